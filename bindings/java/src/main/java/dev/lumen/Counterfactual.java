package dev.lumen;

/**
 * One counterfactual of one instance. The row, probability and distance come in double
 * precision too ({@link #rowDouble()}, ...): a {@link DoubleModel}'s counterfactual rows hold
 * its own doubles exactly, which the float components round.
 *
 * @param row the counterfactual as a model input row (rounded to float for a {@link DoubleModel})
 * @param changed the logical features it changes, ascending
 * @param targetProbability the model's probability of the target class for it
 * @param predictedClass the class the model predicts for it
 * @param success whether it reaches the target within every limit
 * @param distance its Euclidean distance to the instance over the logical features (numeric
 *     differences, and the square root of 2 per changed categorical feature, one-hot or coded)
 * @param rowDouble the counterfactual as a model input row, in double precision
 * @param targetProbabilityDouble {@code targetProbability} in double precision
 * @param distanceDouble {@code distance} in double precision
 */
public record Counterfactual(float[] row, int[] changed, float targetProbability, int predictedClass,
        boolean success, float distance, double[] rowDouble, double targetProbabilityDouble,
        double distanceDouble) {
    /**
     * A counterfactual given in float precision (the double components are its values widened).
     *
     * @param row the counterfactual as a model input row
     * @param changed the logical features it changes, ascending
     * @param targetProbability the model's probability of the target class for it
     * @param predictedClass the class the model predicts for it
     * @param success whether it reaches the target within every limit
     * @param distance its Euclidean distance to the instance over the logical features
     */
    public Counterfactual(float[] row, int[] changed, float targetProbability, int predictedClass, boolean success,
            float distance) {
        this(row, changed, targetProbability, predictedClass, success, distance, widen(row), targetProbability,
                distance);
    }

    /** {@code values} widened to double (exact), or null. */
    private static double[] widen(float[] values) {
        if (values == null) {
            return null;
        }
        double[] wide = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return wide;
    }

    /** The float row of a double row (each value rounded to nearest). */
    static float[] narrow(double[] values) {
        float[] narrow = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            narrow[i] = (float) values[i];
        }
        return narrow;
    }
}

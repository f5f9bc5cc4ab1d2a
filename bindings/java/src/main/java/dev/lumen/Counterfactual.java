package dev.lumen;

/**
 * One counterfactual of one instance.
 *
 * @param row the counterfactual as a model input row
 * @param changed the logical features it changes, ascending
 * @param targetProbability the model's probability of the target class for it
 * @param predictedClass the class the model predicts for it
 * @param success whether it reaches the target within every limit
 * @param distance its Euclidean distance to the instance over the logical features (numeric
 *     differences, and the square root of 2 per changed categorical feature, one-hot or coded)
 */
public record Counterfactual(float[] row, int[] changed, float targetProbability, int predictedClass,
        boolean success, float distance) {}

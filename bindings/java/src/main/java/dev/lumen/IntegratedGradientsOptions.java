package dev.lumen;

/** Integrated Gradients' options (Captum's defaults: 50 steps, Gauss–Legendre). */
public final class IntegratedGradientsOptions extends GradientMethodOptions {
    /** A float[] or a double[] (the model's element type), or null. */
    Object baseline;
    float baselineScalar;
    double baselineScalarDouble;
    int nSteps = 50;
    Quadrature method = Quadrature.GAUSS_LEGENDRE;
    int internalBatchSize;
    boolean multiplyByInputs = true;
    int[] targets;

    /**
     * One baseline row shared by all rows ({@code inputLen} values) or one per row.
     *
     * @param baseline one baseline row shared by all rows ({@code inputLen} values) or one per row
     * @return these options
     */
    public IntegratedGradientsOptions baseline(float[] baseline) {
        this.baseline = baseline;
        return this;
    }

    /**
     * One baseline row shared by all rows ({@code inputLen} values) or one per row, for a
     * {@link DoubleModel} (a float model refuses it with an {@link ElementTypeMismatchException}).
     *
     * @param baseline one baseline row shared by all rows ({@code inputLen} values) or one per row
     * @return these options
     */
    public IntegratedGradientsOptions baseline(double[] baseline) {
        this.baseline = baseline;
        return this;
    }

    /**
     * One baseline value for every element (default 0; ignored when a baseline array is set).
     *
     * @param value one baseline value for every element (default 0; ignored when a baseline array is set)
     * @return these options
     */
    public IntegratedGradientsOptions baseline(float value) {
        this.baselineScalar = value;
        this.baselineScalarDouble = 0;
        return this;
    }

    /**
     * One baseline value for every element, in double precision for a {@link DoubleModel}
     * (default 0; ignored when a baseline array is set). A float model refuses a non-zero double
     * value with an {@link ElementTypeMismatchException}: set it with {@link #baseline(float)}.
     *
     * @param value one baseline value for every element
     * @return these options
     */
    public IntegratedGradientsOptions baseline(double value) {
        this.baselineScalar = 0f;
        this.baselineScalarDouble = value;
        return this;
    }

    /**
     * Points on each path (default 50).
     *
     * @param steps points on each path (default 50)
     * @return these options
     */
    public IntegratedGradientsOptions steps(int steps) {
        this.nSteps = steps;
        return this;
    }

    /**
     * The integration rule (default Gauss–Legendre).
     *
     * @param method the integration rule (default Gauss–Legendre)
     * @return these options
     */
    public IntegratedGradientsOptions method(Quadrature method) {
        this.method = method;
        return this;
    }

    /**
     * Most path points per gradient call; 0 (default) lets the memory budget decide.
     *
     * @param points most path points per gradient call; 0 (default) lets the memory budget decide
     * @return these options
     */
    public IntegratedGradientsOptions internalBatchSize(int points) {
        this.internalBatchSize = points;
        return this;
    }

    /**
     * Multiply the integrated gradient by (x − baseline) (default true).
     *
     * @param multiply multiply the integrated gradient by (x − baseline) (default true)
     * @return these options
     */
    public IntegratedGradientsOptions multiplyByInputs(boolean multiply) {
        this.multiplyByInputs = multiply;
        return this;
    }

    /**
     * The outputs to explain (default: all).
     *
     * @param targets the outputs to explain (default: all)
     * @return these options
     */
    public IntegratedGradientsOptions targets(int... targets) {
        this.targets = targets;
        return this;
    }

    @Override
    long run(long call, long engine, long model, Object inputs, int rows, int ntType, int ntSamples, float ntStdevs,
            double ntStdevsDouble) {
        Checks.notNull(method, "method");
        return NativeLumen.integratedGradients(call, engine, model, inputs, rows, baseline, baselineScalar,
                baselineScalarDouble, nSteps, method.ordinal(), internalBatchSize, multiplyByInputs, targets, ntType,
                ntSamples, ntStdevs, ntStdevsDouble);
    }
}

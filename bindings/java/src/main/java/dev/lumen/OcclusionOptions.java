package dev.lumen;

/**
 * Occlusion's options (Captum's semantics): windows of {@code windowShape} slide by
 * {@code strides} (default 1) and are set to the baseline. Setters return {@code this}.
 */
public final class OcclusionOptions {
    final int[] windowShape;
    int[] strides;
    /** A float[] or a double[] (the model's element type), or null. */
    Object baseline;
    float baselineScalar;
    double baselineScalarDouble;
    int[] targets;
    int perturbationsPerEval;

    /**
     * Windows of {@code windowShape}, one extent per dimension of the model's input shape.
     *
     * @param windowShape the window's extent along each dimension of the input shape
     */
    public OcclusionOptions(int... windowShape) {
        this.windowShape = windowShape;
    }

    /**
     * Steps between windows per dimension (default 1 everywhere).
     *
     * @param strides steps between windows per dimension (default 1 everywhere)
     * @return these options
     */
    public OcclusionOptions strides(int... strides) {
        this.strides = strides;
        return this;
    }

    /**
     * One baseline row shared by all rows ({@code inputLen} values) or one per row.
     *
     * @param baseline one baseline row shared by all rows ({@code inputLen} values) or one per row
     * @return these options
     */
    public OcclusionOptions baseline(float[] baseline) {
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
    public OcclusionOptions baseline(double[] baseline) {
        this.baseline = baseline;
        return this;
    }

    /**
     * One baseline value for every element (default 0; ignored when a baseline array is set).
     *
     * @param value one baseline value for every element (default 0; ignored when a baseline array is set)
     * @return these options
     */
    public OcclusionOptions baseline(float value) {
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
    public OcclusionOptions baseline(double value) {
        this.baselineScalar = 0f;
        this.baselineScalarDouble = value;
        return this;
    }

    /**
     * The outputs to explain (default: all).
     *
     * @param targets the outputs to explain (default: all)
     * @return these options
     */
    public OcclusionOptions targets(int... targets) {
        this.targets = targets;
        return this;
    }

    /**
     * Most perturbed rows per model call; 0 (default) lets the engine choose.
     *
     * @param rows most perturbed rows per model call; 0 (default) lets the engine choose
     * @return these options
     */
    public OcclusionOptions perturbationsPerEval(int rows) {
        this.perturbationsPerEval = rows;
        return this;
    }
}

package dev.lumen;

/**
 * Occlusion's options (Captum's semantics): windows of {@code windowShape} slide by
 * {@code strides} (default 1) and are set to the baseline. Setters return {@code this}.
 */
public final class OcclusionOptions {
    final int[] windowShape;
    int[] strides;
    float[] baseline;
    float baselineScalar;
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
     * One baseline value for every element (default 0; ignored when a baseline array is set).
     *
     * @param value one baseline value for every element (default 0; ignored when a baseline array is set)
     * @return these options
     */
    public OcclusionOptions baseline(float value) {
        this.baselineScalar = value;
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

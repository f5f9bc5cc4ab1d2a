package dev.lumen;

/** GradientSHAP's options (Captum's defaults: 5 samples, no input noise). */
public final class GradientShapOptions extends GradientMethodOptions {
    final float[] baselines;
    int nSamples = 5;
    float stdevs;
    int internalBatchSize;
    int[] targets;

    /**
     * GradientSHAP over the baseline distribution {@code baselines} ({@code m × inputLen}, m ≥ 1).
     *
     * @param baselines the baseline rows, row-major
     */
    public GradientShapOptions(float[] baselines) {
        this.baselines = baselines;
    }

    /**
     * Samples per input row (default 5).
     *
     * @param samples samples per input row (default 5)
     * @return these options
     */
    public GradientShapOptions samples(int samples) {
        this.nSamples = samples;
        return this;
    }

    /**
     * Standard deviation of the Gaussian noise added to the input (default 0).
     *
     * @param stdevs standard deviation of the Gaussian noise added to the input (default 0)
     * @return these options
     */
    public GradientShapOptions stdevs(float stdevs) {
        this.stdevs = stdevs;
        return this;
    }

    /**
     * Most path points per gradient call; 0 (default) lets the memory budget decide.
     *
     * @param points most path points per gradient call; 0 (default) lets the memory budget decide
     * @return these options
     */
    public GradientShapOptions internalBatchSize(int points) {
        this.internalBatchSize = points;
        return this;
    }

    /**
     * The outputs to explain (default: all).
     *
     * @param targets the outputs to explain (default: all)
     * @return these options
     */
    public GradientShapOptions targets(int... targets) {
        this.targets = targets;
        return this;
    }

    @Override
    long run(long call, long engine, long model, float[] inputs, int rows, int ntType, int ntSamples, float ntStdevs) {
        return NativeLumen.gradientShap(call, engine, model, inputs, rows, baselines, nSamples, stdevs, internalBatchSize,
                targets, ntType, ntSamples, ntStdevs);
    }
}

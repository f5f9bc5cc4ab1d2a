package dev.lumen;

/** GradientSHAP's options (Captum's defaults: 5 samples, no input noise). */
public final class GradientShapOptions extends GradientMethodOptions {
    final float[] baselines;
    int nSamples = 5;
    float stdevs;
    int internalBatchSize;
    int[] targets;

    /** GradientSHAP over the baseline distribution {@code baselines} ({@code m × inputLen}, m ≥ 1). */
    public GradientShapOptions(float[] baselines) {
        this.baselines = baselines;
    }

    /** Samples per input row (default 5). */
    public GradientShapOptions samples(int samples) {
        this.nSamples = samples;
        return this;
    }

    /** Standard deviation of the Gaussian noise added to the input (default 0). */
    public GradientShapOptions stdevs(float stdevs) {
        this.stdevs = stdevs;
        return this;
    }

    /** Most path points per gradient call; 0 (default) lets the memory budget decide. */
    public GradientShapOptions internalBatchSize(int points) {
        this.internalBatchSize = points;
        return this;
    }

    /** The outputs to explain (default: all). */
    public GradientShapOptions targets(int... targets) {
        this.targets = targets;
        return this;
    }

    @Override
    long run(long engine, long model, float[] inputs, int rows, int ntType, int ntSamples, float ntStdevs) {
        return NativeLumen.gradientShap(engine, model, inputs, rows, baselines, nSamples, stdevs, internalBatchSize,
                targets, ntType, ntSamples, ntStdevs);
    }
}

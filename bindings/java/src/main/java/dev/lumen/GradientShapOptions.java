package dev.lumen;

/** GradientSHAP's options (Captum's defaults: 5 samples, no input noise). */
public final class GradientShapOptions extends GradientMethodOptions {
    /** A float[] or a double[] (the model's element type). */
    final Object baselines;
    int nSamples = 5;
    float stdevs;
    double stdevsDouble;
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
     * GradientSHAP of a {@link DoubleModel} over the baseline distribution {@code baselines}
     * ({@code m × inputLen}, m ≥ 1).
     *
     * @param baselines the baseline rows, row-major
     */
    public GradientShapOptions(double[] baselines) {
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
        this.stdevsDouble = 0;
        return this;
    }

    /**
     * Standard deviation of the Gaussian noise added to the input, in double precision for a
     * {@link DoubleModel} (default 0). A float model refuses a non-zero double value with an
     * {@link ElementTypeMismatchException}: set it with {@link #stdevs(float)}.
     *
     * @param stdevs standard deviation of the Gaussian noise added to the input
     * @return these options
     */
    public GradientShapOptions stdevs(double stdevs) {
        this.stdevs = 0f;
        this.stdevsDouble = stdevs;
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
    long run(long call, long engine, long model, Object inputs, int rows, int ntType, int ntSamples, float ntStdevs,
            double ntStdevsDouble) {
        return NativeLumen.gradientShap(call, engine, model, inputs, rows, baselines, nSamples, stdevs, stdevsDouble,
                internalBatchSize, targets, ntType, ntSamples, ntStdevs, ntStdevsDouble);
    }
}

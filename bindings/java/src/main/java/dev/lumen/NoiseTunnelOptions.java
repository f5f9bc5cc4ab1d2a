package dev.lumen;

/** NoiseTunnel's options (Captum's defaults: smoothgrad, 5 samples, σ = 1) over a gradient method. */
public final class NoiseTunnelOptions {
    final GradientMethodOptions base;
    NoiseType type = NoiseType.SMOOTHGRAD;
    int samples = 5;
    float stdevs = 1.0f;
    double stdevsDouble;

    /**
     * NoiseTunnel over {@code base}.
     *
     * @param base the options of the gradient method to smooth
     */
    public NoiseTunnelOptions(GradientMethodOptions base) {
        this.base = base;
    }

    /**
     * The aggregation (default smoothgrad).
     *
     * @param type the aggregation (default smoothgrad)
     * @return these options
     */
    public NoiseTunnelOptions type(NoiseType type) {
        this.type = type;
        return this;
    }

    /**
     * Noisy copies per input (default 5, at least 1).
     *
     * @param samples noisy copies per input (default 5, at least 1)
     * @return these options
     */
    public NoiseTunnelOptions samples(int samples) {
        this.samples = samples;
        return this;
    }

    /**
     * Standard deviation of the noise (default 1).
     *
     * @param stdevs standard deviation of the noise (default 1)
     * @return these options
     */
    public NoiseTunnelOptions stdevs(float stdevs) {
        this.stdevs = stdevs;
        this.stdevsDouble = 0;
        return this;
    }

    /**
     * Standard deviation of the noise in double precision, for a {@link DoubleModel} (default 1).
     * A float model refuses a non-zero double value with an {@link ElementTypeMismatchException}:
     * set it with {@link #stdevs(float)}.
     *
     * @param stdevs standard deviation of the noise
     * @return these options
     */
    public NoiseTunnelOptions stdevs(double stdevs) {
        this.stdevs = 0f;
        this.stdevsDouble = stdevs;
        return this;
    }
}

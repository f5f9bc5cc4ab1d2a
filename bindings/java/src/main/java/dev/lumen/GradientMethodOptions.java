package dev.lumen;

/**
 * The options of a gradient method that {@link NoiseTunnelOptions} can smooth: Integrated
 * Gradients, Saliency or GradientSHAP.
 */
public abstract sealed class GradientMethodOptions
        permits IntegratedGradientsOptions, SaliencyOptions, GradientShapOptions {
    GradientMethodOptions() {}

    /** Runs the method, under NoiseTunnel when {@code ntSamples > 0}; returns the explanation handle. */
    abstract long run(long call, long engine, long model, float[] inputs, int rows, int ntType, int ntSamples,
            float ntStdevs);
}

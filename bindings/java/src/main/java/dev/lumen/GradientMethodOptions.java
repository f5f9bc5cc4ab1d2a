package dev.lumen;

/**
 * The options of a gradient method that {@link NoiseTunnelOptions} can smooth: Integrated
 * Gradients, Saliency or GradientSHAP.
 */
public abstract sealed class GradientMethodOptions
        permits IntegratedGradientsOptions, SaliencyOptions, GradientShapOptions {
    GradientMethodOptions() {}

    /**
     * Runs the method, under NoiseTunnel when {@code ntSamples > 0}; returns the explanation handle.
     * {@code inputs} is a float[] or double[]; the noise's σ comes as a float and its double twin.
     */
    abstract long run(long call, long engine, long model, Object inputs, int rows, int ntType, int ntSamples,
            float ntStdevs, double ntStdevsDouble);
}

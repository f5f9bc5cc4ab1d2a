package dev.lumen;

/** Saliency's options: the gradient at the input, by default its absolute value. */
public final class SaliencyOptions extends GradientMethodOptions {
    boolean abs = true;
    int[] targets;

    /**
     * Report |∇f| (default true) or ∇f.
     *
     * @param abs report |∇f| (default true) or ∇f
     * @return these options
     */
    public SaliencyOptions abs(boolean abs) {
        this.abs = abs;
        return this;
    }

    /**
     * The outputs to explain (default: all).
     *
     * @param targets the outputs to explain (default: all)
     * @return these options
     */
    public SaliencyOptions targets(int... targets) {
        this.targets = targets;
        return this;
    }

    @Override
    long run(long call, long engine, long model, Object inputs, int rows, int ntType, int ntSamples, float ntStdevs,
            double ntStdevsDouble) {
        return NativeLumen.saliency(call, engine, model, inputs, rows, abs, targets, ntType, ntSamples, ntStdevs,
                ntStdevsDouble);
    }
}

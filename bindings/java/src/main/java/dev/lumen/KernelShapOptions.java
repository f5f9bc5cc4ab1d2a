package dev.lumen;

/** KernelSHAP's options: shap's coalition schedule over a background set. */
public final class KernelShapOptions extends ShapleyOptions<KernelShapOptions> {
    int budget;
    int errorBatches = 10;

    /**
     * KernelSHAP over {@code background} ({@code n × inputLen} values, n ≥ 1).
     *
     * @param background the background rows, row-major
     */
    public KernelShapOptions(float[] background) {
        super(background);
    }

    @Override
    KernelShapOptions self() {
        return this;
    }

    /**
     * Coalitions per row; 0 (default) means 2M + 2048 (shap's default).
     *
     * @param coalitions coalitions per row; 0 (default) means 2M + 2048 (shap's default)
     * @return these options
     */
    public KernelShapOptions budget(int coalitions) {
        this.budget = coalitions;
        return this;
    }

    /**
     * Disjoint sample batches for the standard errors (default 10, at least 2).
     *
     * @param batches disjoint sample batches for the standard errors (default 10, at least 2)
     * @return these options
     */
    public KernelShapOptions errorBatches(int batches) {
        this.errorBatches = batches;
        return this;
    }
}

package dev.lumen;

/**
 * KernelSHAP's options: the game (background set, players, outputs, link), the coalition budget,
 * the {@link Estimator}, and optionally an accuracy-driven budget
 * ({@link #targetStandardError(double)}, capped by {@link #maxBudget(int)}). Setters validate their
 * argument and return {@code this}; combinations are checked by the engine when the call starts.
 */
public final class KernelShapOptions extends ShapleyOptions<KernelShapOptions> {
    int budget;
    int errorBatches;
    Estimator estimator;
    double targetStandardError;
    int maxBudget;

    /**
     * KernelSHAP over {@code background} ({@code n × inputLen} values, n ≥ 1).
     *
     * @param background the background rows, row-major
     */
    public KernelShapOptions(float[] background) {
        super(background);
    }

    /**
     * KernelSHAP of a {@link DoubleModel} over {@code background} ({@code n × inputLen} values,
     * n ≥ 1).
     *
     * @param background the background rows, row-major
     */
    public KernelShapOptions(double[] background) {
        super(background);
    }

    @Override
    KernelShapOptions self() {
        return this;
    }

    /**
     * Coalitions per row; 0 (default) means 2M + 2048 (shap's default) for M players. With a
     * {@link #targetStandardError(double) target standard error}, the first round's budget
     * (0: 8M, at least 64).
     *
     * @param coalitions coalitions per row, or 0 for the default
     * @return these options
     */
    public KernelShapOptions budget(int coalitions) {
        this.budget = coalitions;
        return this;
    }

    /**
     * The most jackknife groups the standard errors use: sampled pairs are dealt to
     * {@code min(pairs, batches)} groups, each left out once. 0 (default): the engine's default,
     * 64; otherwise at least 2.
     *
     * @param batches jackknife groups (at least 2), or 0 for the engine's default
     * @return these options
     */
    public KernelShapOptions errorBatches(int batches) {
        this.errorBatches = batches;
        return this;
    }

    /**
     * How coalitions are sampled and weighted. Default: the engine's default,
     * {@link Estimator#LEVERAGE_TOP_TRIPLES} today; the estimator used is recorded in the
     * explanation's JSON.
     *
     * @param estimator the estimator
     * @return these options
     * @throws InvalidArgumentException ({@code NULL_POINTER}) when {@code estimator} is null
     */
    public KernelShapOptions estimator(Estimator estimator) {
        this.estimator = Checks.notNull(estimator, "estimator");
        return this;
    }

    /**
     * Samples in rounds until every reported value's standard error is at or below
     * {@code standardError} (in the units of the explained output, after the link), or until
     * {@link #maxBudget(int)} coalitions per row are spent; the explanation records the rounds and
     * the error reached. Without it (the default) the budget is fixed.
     *
     * @param standardError the target standard error: finite and greater than 0
     * @return these options
     * @throws InvalidArgumentException when {@code standardError} is not finite or not above 0
     */
    public KernelShapOptions targetStandardError(double standardError) {
        this.targetStandardError = checkedTargetStandardError(standardError);
        return this;
    }

    /**
     * The most coalitions per row that a {@link #targetStandardError(double) target standard
     * error} may spend; default 16 × (2M + 2048). It must be at least the first round's
     * {@link #budget(int) budget}, and it needs a target standard error (the engine refuses it
     * alone).
     *
     * @param coalitions the cap on coalitions per row, at least 2
     * @return these options
     * @throws InvalidArgumentException when {@code coalitions} is below 2
     */
    public KernelShapOptions maxBudget(int coalitions) {
        if (coalitions < 2) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                    "maxBudget: is " + coalitions + ", expected at least 2 coalitions per row");
        }
        this.maxBudget = coalitions;
        return this;
    }

    /** The estimator's C ABI number, 0 for the engine's default. */
    int estimatorCode() {
        return estimator == null ? 0 : estimator.code();
    }
}

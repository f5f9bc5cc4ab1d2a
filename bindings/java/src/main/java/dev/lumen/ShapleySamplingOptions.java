package dev.lumen;

/**
 * Shapley Value Sampling's options: antithetic permutation pairs over a background set, and
 * optionally an accuracy-driven number of pairs ({@link #targetStandardError(double)}, capped by
 * {@link #maxPermutationPairs(int)}). Setters validate their argument and return {@code this};
 * combinations are checked by the engine when the call starts.
 */
public final class ShapleySamplingOptions extends ShapleyOptions<ShapleySamplingOptions> {
    int permutationPairs = 25;
    double targetStandardError;
    int maxPermutationPairs;

    /**
     * Shapley Value Sampling over {@code background} ({@code n × inputLen} values, n ≥ 1).
     *
     * @param background the background rows, row-major
     */
    public ShapleySamplingOptions(float[] background) {
        super(background);
    }

    /**
     * Shapley Value Sampling of a {@link DoubleModel} over {@code background}
     * ({@code n × inputLen} values, n ≥ 1).
     *
     * @param background the background rows, row-major
     */
    public ShapleySamplingOptions(double[] background) {
        super(background);
    }

    @Override
    ShapleySamplingOptions self() {
        return this;
    }

    /**
     * Antithetic pairs of permutations per row (default 25, at least 1). The standard errors come
     * from the spread of the pairs: with one pair the values stand and the explanation has no
     * standard errors.
     *
     * @param pairs antithetic pairs of permutations per row (default 25, at least 1)
     * @return these options
     */
    public ShapleySamplingOptions permutationPairs(int pairs) {
        this.permutationPairs = pairs;
        return this;
    }

    /**
     * Walks more pairs in rounds until every reported value's standard error is at or below
     * {@code standardError} (in the units of the explained output, after the link), or until
     * {@link #maxPermutationPairs(int)} pairs per row are walked; the explanation records the
     * rounds and the error reached. Without it (the default) one round of
     * {@link #permutationPairs(int)} pairs is walked.
     *
     * @param standardError the target standard error: finite and greater than 0
     * @return these options
     * @throws InvalidArgumentException when {@code standardError} is not finite or not above 0
     */
    public ShapleySamplingOptions targetStandardError(double standardError) {
        this.targetStandardError = checkedTargetStandardError(standardError);
        return this;
    }

    /**
     * The most pairs per row that a {@link #targetStandardError(double) target standard error}
     * may walk; default 16 × the first round's {@link #permutationPairs(int) pairs}. It must be
     * at least the first round's pairs, and it needs a target standard error (the engine refuses
     * it alone).
     *
     * @param pairs the cap on antithetic pairs per row, at least 1
     * @return these options
     * @throws InvalidArgumentException when {@code pairs} is below 1
     */
    public ShapleySamplingOptions maxPermutationPairs(int pairs) {
        if (pairs < 1) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                    "maxPermutationPairs: is " + pairs + ", expected at least 1 pair per row");
        }
        this.maxPermutationPairs = pairs;
        return this;
    }
}

package dev.lumen;

/** Shapley Value Sampling's options: antithetic permutation pairs over a background set. */
public final class ShapleySamplingOptions extends ShapleyOptions<ShapleySamplingOptions> {
    int permutationPairs = 25;

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
}

package dev.lumen;

/** How an {@link Engine} is set up. Setters return {@code this}. */
public final class EngineOptions {
    /** Lumen's default memory budget for perturbation batches: 256 MiB. */
    public static final long DEFAULT_MEMORY_BUDGET_BYTES = 256L << 20;

    Backend backend = Backend.AUTO;
    int threads;
    long seed;
    long memoryBudgetBytes = DEFAULT_MEMORY_BUDGET_BYTES;

    /**
     * The requested backend (default {@link Backend#AUTO}).
     *
     * @param backend the requested backend (default {@link Backend#AUTO})
     * @return these options
     */
    public EngineOptions backend(Backend backend) {
        this.backend = backend;
        return this;
    }

    /**
     * Worker threads; 0 (the default) means one per core.
     *
     * @param threads worker threads; 0 (the default) means one per core
     * @return these options
     */
    public EngineOptions threads(int threads) {
        this.threads = threads;
        return this;
    }

    /**
     * The seed of every random choice (default 0); results never depend on the thread count.
     *
     * @param seed the seed of every random choice (default 0); results never depend on the thread count
     * @return these options
     */
    public EngineOptions seed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Bytes of perturbed input rows an explanation may hold at once.
     *
     * @param bytes bytes of perturbed input rows an explanation may hold at once
     * @return these options
     */
    public EngineOptions memoryBudgetBytes(long bytes) {
        this.memoryBudgetBytes = bytes;
        return this;
    }
}

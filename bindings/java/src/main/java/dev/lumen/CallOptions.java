package dev.lumen;

import java.time.Duration;
import java.util.function.DoubleConsumer;
import java.util.function.DoublePredicate;

/**
 * How one explain call may be stopped and watched: a {@link #timeout(Duration) timeout}, a
 * {@link #cancelToken(CancelToken) cancel token}, a {@link #progress(DoubleConsumer) progress
 * callback} and a bound on its {@link #maxModelThreads(int) model-call parallelism}. Pass it as
 * the last argument of any explain method of {@link Engine}; setters return {@code this}. The
 * options are read when the call starts, so one instance may serve many calls (its progress
 * callback then receives the reports of all of them).
 *
 * <p>Every explain call, with or without these options, also stops when the calling thread is
 * interrupted ({@link Thread#interrupt()}, {@link java.util.concurrent.Future#cancel(boolean)
 * Future.cancel(true)}): it throws a {@link CancelledException} within one model batch, and the
 * thread's interrupt status stays set.
 */
public final class CallOptions {
    Duration timeout;
    DoublePredicate progress;
    CancelToken cancelToken;
    int maxModelThreads;
    Long seed;
    long[] rowKeys;
    int[] rowTargets;

    /** No timeout, no cancel token, no progress callback, the engine's parallelism. */
    public CallOptions() {}

    /**
     * Stops the call with a {@link DeadlineExceededException} once it has run this long (checked
     * before every model batch and inside long compute phases). Null (the default): no deadline.
     *
     * @param timeout how long the call may run; positive, or null for no deadline
     * @return these options
     * @throws InvalidArgumentException when {@code timeout} is zero or negative
     */
    public CallOptions timeout(Duration timeout) {
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                    "timeout: is " + timeout + ", expected a positive duration (or null for none)");
        }
        this.timeout = timeout;
        return this;
    }

    /**
     * Receives the fraction of the call's model rows done so far: in [0, 1], never decreasing;
     * 1 is reported once, when the call succeeds. It runs on one of the engine's threads (one
     * report at a time), so it must be thread-safe with respect to the caller's thread, and must
     * not call an explain method (that throws {@link InvalidStateException}). An exception it
     * throws stops the call, which then throws that exception (a checked one wrapped in a
     * {@link CancelledException}). Replaces any earlier progress callback; null for none.
     *
     * @param progress receives the fraction done, or null
     * @return these options
     */
    public CallOptions progress(DoubleConsumer progress) {
        this.progress = progress == null ? null : fraction -> {
            progress.accept(fraction);
            return true;
        };
        return this;
    }

    /**
     * As {@link #progress(DoubleConsumer)}, but the callback decides whether the call goes on:
     * returning {@code false} stops it with a {@link CancelledException}. Replaces any earlier
     * progress callback; null for none.
     *
     * @param progress receives the fraction done; returns whether to go on; or null
     * @return these options
     */
    public CallOptions progressWhile(DoublePredicate progress) {
        this.progress = progress;
        return this;
    }

    /**
     * Stops the call, with a {@link CancelledException}, when {@code token} is cancelled (also
     * when it is cancelled already). Null (the default): no token.
     *
     * @param token the token to watch, or null
     * @return these options
     */
    public CallOptions cancelToken(CancelToken token) {
        this.cancelToken = token;
        return this;
    }

    /**
     * The most calls of a {@link ModelSpec#concurrent(boolean) concurrent} model that this call
     * lets overlap, so that a slow call leaves engine threads to other callers; 0 (the default)
     * for the engine's thread count. A serial model is called by one thread at a time anyway.
     *
     * @param threads at least 1, or 0 for the engine's thread count
     * @return these options
     * @throws InvalidArgumentException when {@code threads} is negative
     */
    public CallOptions maxModelThreads(int threads) {
        if (threads < 0) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                    "maxModelThreads: is " + threads + ", expected at least 1 (or 0: the engine's threads)");
        }
        this.maxModelThreads = threads;
        return this;
    }

    /**
     * Draws this call's random numbers from {@code seed} instead of the engine's seed, so seeds
     * can be compared without a new engine. Its 64 bits are read as unsigned.
     *
     * @param seed the call's seed
     * @return these options
     */
    public CallOptions seed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Keys the explained rows (TimeSHAP: the sequences), one key per row: a row's random draws
     * depend only on the seed and its key, so re-explaining one row with its key reproduces the
     * values of any batch it was explained in. Without keys a row is keyed by a hash of its
     * values. Null: that default.
     *
     * @param keys one key per explained row (64 bits, unsigned), or null
     * @return these options
     */
    public CallOptions rowKeys(long... keys) {
        this.rowKeys = keys == null ? null : keys.clone();
        return this;
    }

    /**
     * Gives each explained row its own output to explain (Captum's per-row {@code target}):
     * the explanation then has one output per row ({@link Explanation#rowTargets()}). For the
     * gradient and perturbation methods, whose own {@code targets} must then be unset.
     *
     * @param targets one model output index per explained row, or null for the method's targets
     * @return these options
     * @throws InvalidArgumentException when an index is negative
     */
    public CallOptions rowTargets(int... targets) {
        if (targets != null) {
            for (int i = 0; i < targets.length; i++) {
                if (targets[i] < 0) {
                    throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                            "rowTargets[" + i + "]: is " + targets[i] + ", expected an output index >= 0");
                }
            }
        }
        this.rowTargets = targets == null ? null : targets.clone();
        return this;
    }

    /**
     * Keys the explained rows by identifiers such as application ids: each is hashed by
     * {@link #rowKey(String)}, as every binding and the {@code lumen} command's
     * {@code --id-column} do.
     *
     * @param ids one identifier per explained row
     * @return these options
     * @throws InvalidArgumentException when {@code ids} or one of them is null
     */
    public CallOptions rowIds(String... ids) {
        if (ids == null) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT, "rowIds: is null, expected one id per row");
        }
        long[] keys = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == null) {
                throw new InvalidArgumentException(Status.INVALID_ARGUMENT, "rowIds[" + i + "]: is null, expected an id");
            }
            keys[i] = rowKey(ids[i]);
        }
        this.rowKeys = keys;
        return this;
    }

    /**
     * The row key of an identifier: SipHash-2-4 of its UTF-8 bytes with Lumen's fixed keys, the
     * same key C ({@code lumen_row_key_of_bytes}), C++, Python and the CLI derive from it.
     *
     * @param id the identifier
     * @return its 64-bit key (unsigned)
     */
    public static long rowKey(String id) {
        NativeLibrary.ensureLoaded();
        return NativeLumen.rowKeyOf(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The deadline in nanoseconds for the native call (0: none; saturated at Long.MAX_VALUE). */
    long timeoutNanos() {
        if (timeout == null) {
            return 0;
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }
}

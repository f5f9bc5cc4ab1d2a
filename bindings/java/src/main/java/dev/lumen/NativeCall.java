package dev.lumen;

import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.spi.AbstractInterruptibleChannel;
import java.util.function.DoublePredicate;
import java.util.function.LongUnaryOperator;

/**
 * One explain call's control: a native call control (its own cancel token, the deadline, the
 * progress callback, the model-call parallelism) and the Java ways to stop it.
 *
 * <p>The calling thread waits inside native code, where {@link Thread#interrupt()} cannot reach
 * it. This class is an {@link AbstractInterruptibleChannel} for that reason only: between
 * {@code begin()} and {@code end()} the JDK calls {@link #implCloseChannel()} on the interrupting
 * thread, at once (as it does to unblock interruptible I/O), and that cancels the native token;
 * a thread interrupted before the call starts is stopped by {@code begin()} itself. No thread
 * polls. The interrupt status is left set, as Java's conventions require. A {@link CancelToken}
 * cancels the native token of each call that watches it; a progress callback that throws does
 * too, and its exception is rethrown once the native call returned (it never unwinds through
 * native code).
 */
final class NativeCall extends AbstractInterruptibleChannel {
    /** Why the Java side stopped the call. */
    enum Reason {
        /** The calling thread was interrupted. */
        INTERRUPTED,
        /** A {@link CancelToken} the call watches was cancelled. */
        TOKEN,
        /** The progress callback threw. */
        PROGRESS_THREW
    }

    private final CancelToken token;
    private final DoublePredicate progress;
    /** Guards {@link #handle} against a cancel racing the free. */
    private final Object lock = new Object();
    private long handle;
    private volatile Reason reason;
    private volatile Throwable progressFailure;

    /** A control for one call with {@code options} (null: none). */
    NativeCall(CallOptions options) {
        this.token = options == null ? null : options.cancelToken;
        this.progress = options == null ? null : options.progress;
        long timeoutNanos = options == null ? 0 : options.timeoutNanos();
        int maxModelThreads = options == null ? 0 : options.maxModelThreads;
        boolean hasSeed = options != null && options.seed != null;
        long seed = hasSeed ? options.seed : 0;
        long[] rowKeys = options == null ? null : options.rowKeys;
        int[] rowTargets = options == null ? null : options.rowTargets;
        this.handle = NativeLumen.callNew(this, progress != null, timeoutNanos, maxModelThreads, hasSeed, seed, rowKeys,
                rowTargets);
    }

    /**
     * Runs the native call {@code body} (given this control's native handle) on the calling
     * thread, stoppable by interrupting the thread and by the cancel token; frees the native
     * control afterwards. Once, per control.
     *
     * @return what {@code body} returned
     * @throws CancelledException when the call was stopped (the interrupt status stays set)
     */
    long run(LongUnaryOperator body) {
        if (token != null) {
            token.watch(this);
        }
        try {
            boolean completed = false;
            begin();
            try {
                long result = body.applyAsLong(handle);
                completed = true;
                return result;
            } finally {
                try {
                    end(completed);
                } catch (AsynchronousCloseException interruptedOrStopped) {
                    // Handled by `stopped` (the interrupt status stays set either way).
                }
            }
        } catch (LumenException e) {
            throw stopped(e);
        } finally {
            if (token != null) {
                token.unwatch(this);
            }
            free();
        }
    }

    /** The exception to throw for {@code e}, knowing why the Java side stopped the call. */
    private RuntimeException stopped(LumenException e) {
        Throwable thrown = progressFailure;
        if (thrown != null) {
            if (!(e instanceof CancelledException)) {
                e.addSuppressed(thrown);
                return e;
            }
            return progressException(thrown, e);
        }
        if (e.status() == Status.CANCELLED && reason == Reason.INTERRUPTED) {
            Thread.currentThread().interrupt();
            return new CancelledException(
                    "cancelled: the calling thread was interrupted (Thread.interrupt() or Future.cancel(true))", null);
        }
        return e;
    }

    /** The progress callback's exception, rethrown as is when unchecked. */
    private static RuntimeException progressException(Throwable thrown, LumenException stopped) {
        if (thrown instanceof RuntimeException) {
            thrown.addSuppressed(stopped);
            return (RuntimeException) thrown;
        }
        if (thrown instanceof Error) {
            thrown.addSuppressed(stopped);
            throw (Error) thrown;
        }
        return new CancelledException("cancelled: the progress callback threw " + thrown, thrown);
    }

    /**
     * After a call that succeeded: rethrows what the progress callback threw at its last
     * report (the final 1), closing {@code result} first. Does nothing when it threw nothing.
     *
     * @param result what the call returned; closed when an exception is rethrown
     */
    void rethrowProgressFailure(Object result) {
        Throwable thrown = progressFailure;
        if (thrown == null) {
            return;
        }
        if (result instanceof AutoCloseable) {
            try {
                ((AutoCloseable) result).close();
            } catch (Exception closing) {
                thrown.addSuppressed(closing);
            }
        }
        throw progressException(thrown, new CancelledException("the progress callback threw at the end", null));
    }

    /** Stops the native call (any thread, also a model or progress callback); records the first reason. */
    void cancel(Reason why) {
        synchronized (lock) {
            if (reason == null) {
                reason = why;
            }
            if (handle != 0) {
                NativeLumen.callCancel(handle);
            }
        }
    }

    private void free() {
        long freed;
        synchronized (lock) {
            freed = handle;
            handle = 0;
        }
        if (freed != 0) {
            NativeLumen.callFree(freed);
        }
    }

    /** Called by the JDK on the interrupting thread when the calling thread is interrupted. */
    @Override
    protected void implCloseChannel() {
        cancel(Reason.INTERRUPTED);
    }

    /**
     * Called by the native library from an engine thread with the fraction done: the caller's
     * progress callback, whose exception is kept (and stops the call) instead of unwinding into
     * native code. Never throws.
     *
     * @return whether the call goes on
     */
    boolean progress(double fraction) {
        try {
            return progress.test(fraction);
        } catch (Throwable t) {
            if (progressFailure == null) {
                progressFailure = t;
            }
            reason = Reason.PROGRESS_THREW;
            return false;
        }
    }
}

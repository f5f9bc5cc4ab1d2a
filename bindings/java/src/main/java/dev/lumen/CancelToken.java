package dev.lumen;

import java.util.HashSet;
import java.util.Set;

/**
 * A cancellation flag that explain calls can watch ({@link CallOptions#cancelToken(CancelToken)}).
 * {@link #cancel()} stops every running call that watches this token: each throws a
 * {@link CancelledException} within one model batch of the cancel, after freeing what it held;
 * the engine and the model stay usable. The token stays cancelled, so calls started later stop
 * at once, until {@link #reset()}.
 *
 * <p>Thread-safe: any thread may cancel it, also a model callback or a progress callback of a
 * call that watches it. One token may be shared by many calls, on many threads. It holds no
 * native memory (nothing to close).
 */
public final class CancelToken {
    /** The calls running now that watch this token. */
    private final Set<NativeCall> running = new HashSet<>();
    private boolean cancelled;

    /** A token that is not cancelled. */
    public CancelToken() {}

    /** Cancels every call that watches this token, now and until {@link #reset()}. */
    public void cancel() {
        NativeCall[] calls;
        synchronized (this) {
            cancelled = true;
            calls = running.toArray(new NativeCall[0]);
        }
        for (NativeCall call : calls) {
            call.cancel(NativeCall.Reason.TOKEN);
        }
    }

    /**
     * Makes the token usable for new calls. Calls that this token already stopped stay stopped.
     */
    public synchronized void reset() {
        cancelled = false;
    }

    /**
     * Whether {@link #cancel()} was called and {@link #reset()} not since.
     *
     * @return whether the token is cancelled
     */
    public synchronized boolean isCancelled() {
        return cancelled;
    }

    /** Watches {@code call} until {@link #unwatch}; a cancelled token stops it at once. */
    void watch(NativeCall call) {
        boolean stopNow;
        synchronized (this) {
            running.add(call);
            stopNow = cancelled;
        }
        if (stopNow) {
            call.cancel(NativeCall.Reason.TOKEN);
        }
    }

    /** Stops watching {@code call} (it returned). */
    synchronized void unwatch(NativeCall call) {
        running.remove(call);
    }

    @Override
    public String toString() {
        return "CancelToken[" + (isCancelled() ? "cancelled" : "not cancelled") + "]";
    }
}

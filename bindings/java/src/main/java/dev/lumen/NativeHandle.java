package dev.lumen;

/**
 * An object owned by the native library, released by {@link #close()}. Every native use runs
 * between {@link #acquire()} and {@link #release()}; closing while a use is in flight (from
 * another thread, or from inside a model callback) only marks the handle closed and the last
 * user frees it. Closing twice is a no-op; using a closed handle throws
 * {@link IllegalStateException}.
 */
abstract class NativeHandle implements AutoCloseable {
    private final String kind;
    private long address;
    private int users;
    private boolean closed;

    NativeHandle(String kind, long address) {
        this.kind = kind;
        this.address = address;
    }

    /** The native address for one use; pair every call with {@link #release()}. */
    final synchronized long acquire() {
        if (closed) {
            throw new IllegalStateException("this " + kind + " is closed");
        }
        users++;
        return address;
    }

    /** Ends one use started by {@link #acquire()}. */
    final void release() {
        long toFree = 0;
        synchronized (this) {
            users--;
            if (closed && users == 0) {
                toFree = address;
                address = 0;
            }
        }
        if (toFree != 0) {
            free(toFree);
        }
    }

    /** Whether {@link #close()} was called. */
    public final synchronized boolean isClosed() {
        return closed;
    }

    /** Releases the native object (once; later calls do nothing). */
    @Override
    public final void close() {
        long toFree = 0;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (users == 0) {
                toFree = address;
                address = 0;
            }
        }
        if (toFree != 0) {
            free(toFree);
        }
    }

    /** Frees the native object at {@code address}; called exactly once. */
    abstract void free(long address);
}

package dev.lumen;

import java.lang.ref.Cleaner;
import java.util.function.LongConsumer;

/**
 * An object owned by the native library, released by {@link #close()}. Every native use runs
 * between {@link #acquire()} and {@link #release()}; closing while a use is in flight (from
 * another thread, or from inside a model callback) only marks the handle closed and the last
 * user frees it. Closing twice is a no-op; using a closed handle throws
 * {@link IllegalStateException}. A handle that becomes unreachable without being closed is
 * released by a {@link Cleaner}, so a forgotten {@code close()} leaks nothing for long.
 */
abstract class NativeHandle implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final String kind;
    private final Ownership ownership;
    private final Cleaner.Cleanable cleanable;

    NativeHandle(String kind, long address, LongConsumer free) {
        this.kind = kind;
        this.ownership = new Ownership(address, free);
        this.cleanable = CLEANER.register(this, ownership);
    }

    /**
     * The native address, its users and whether it was closed. It never refers to the handle,
     * so that the cleaner can run it once the handle is unreachable.
     */
    private static final class Ownership implements Runnable {
        private final LongConsumer free;
        private long address;
        private int users;
        private boolean closed;

        Ownership(long address, LongConsumer free) {
            this.address = address;
            this.free = free;
        }

        synchronized long acquire(String kind) {
            if (closed) {
                throw new IllegalStateException("this " + kind + " is closed");
            }
            users++;
            return address;
        }

        void release() {
            free(orphan(-1));
        }

        synchronized boolean isClosed() {
            return closed;
        }

        /** Runs once (through {@link Cleaner.Cleanable#clean()}): closes, freeing now or after the last user. */
        @Override
        public void run() {
            synchronized (this) {
                closed = true;
            }
            free(orphan(0));
        }

        /** Counts {@code delta} users; returns the address when it must be freed now, else 0. */
        private synchronized long orphan(int delta) {
            users += delta;
            if (!closed || users != 0) {
                return 0;
            }
            long orphaned = address;
            address = 0;
            return orphaned;
        }

        private void free(long orphaned) {
            if (orphaned != 0) {
                free.accept(orphaned);
            }
        }
    }

    /** The native address for one use; pair every call with {@link #release()}. */
    final long acquire() {
        return ownership.acquire(kind);
    }

    /** Ends one use started by {@link #acquire()}. */
    final void release() {
        ownership.release();
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return whether {@link #close()} was called
     */
    public final boolean isClosed() {
        return ownership.isClosed();
    }

    /** Releases the native object (once; later calls do nothing). */
    @Override
    public final void close() {
        cleanable.clean();
    }
}

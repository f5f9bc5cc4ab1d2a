package dev.lumen;

/**
 * The call was stopped before it finished (status {@code CANCELLED}): the calling thread was
 * interrupted ({@link Thread#interrupt()}, {@link java.util.concurrent.Future#cancel(boolean)
 * Future.cancel(true)}), its {@link CancelToken} was cancelled, or its progress callback asked to
 * stop. Lumen freed what the call held; the engine and the model stay usable. When the
 * thread was interrupted, its interrupt status is still set when this is thrown.
 *
 * <p>A call that ran past its {@link CallOptions#timeout(java.time.Duration) timeout} throws the
 * subclass {@link DeadlineExceededException}, so one {@code catch (CancelledException e)} handles
 * every call that was stopped; {@link #status()} tells the two apart.
 */
public class CancelledException extends LumenException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with Lumen's {@code message} and an optional cause.
     *
     * @param message why the call was stopped
     * @param cause what stopped it (e.g. the exception a progress callback threw), or null
     */
    public CancelledException(String message, Throwable cause) {
        super(Status.CANCELLED, message, cause);
    }

    /**
     * For {@link DeadlineExceededException}.
     *
     * @param status the status Lumen reported
     * @param message Lumen's message
     */
    CancelledException(Status status, String message) {
        super(status, message, null);
    }
}

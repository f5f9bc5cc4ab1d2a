package dev.lumen;

/**
 * The call ran past its {@link CallOptions#timeout(java.time.Duration) timeout} and was stopped
 * (status {@code DEADLINE_EXCEEDED}), within one model batch of the deadline. Lumen freed what
 * the call held; the engine and the model stay usable. A subclass of {@link CancelledException}:
 * catch this one to handle timeouts apart from other cancellations.
 */
public class DeadlineExceededException extends CancelledException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with Lumen's {@code message}.
     *
     * @param message Lumen's message, stating the timeout
     */
    public DeadlineExceededException(String message) {
        super(Status.DEADLINE_EXCEEDED, message);
    }
}

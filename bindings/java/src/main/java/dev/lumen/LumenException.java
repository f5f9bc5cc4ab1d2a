package dev.lumen;

/**
 * A failure reported by Lumen: its {@link Status} and Lumen's message, which names the
 * argument and what was expected. Subclasses group the statuses a caller handles alike.
 */
public class LumenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The status Lumen reported. */
    private final Status status;

    /**
     * An exception of {@code status} with Lumen's {@code message} and an optional cause.
     *
     * @param status the status Lumen reported
     * @param message Lumen's message
     * @param cause the exception that caused it, or null
     */
    public LumenException(Status status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /**
     * The status Lumen reported.
     *
     * @return the status Lumen reported
     */
    public Status status() {
        return status;
    }

    /**
     * The exception class for a status: {@link InvalidArgumentException} (and its
     * {@link ElementTypeMismatchException}), {@link ModelException},
     * {@link BackendUnavailableException}, {@link InvalidStateException},
     * {@link OutOfMemoryException}, {@link NonFiniteResultException}, {@link CancelledException},
     * {@link DeadlineExceededException} or {@link InternalException}. Called by the native
     * library.
     */
    static LumenException of(int code, String message, Throwable cause) {
        Status status = Status.of(code);
        switch (status) {
            case NULL_POINTER:
            case INVALID_ARGUMENT:
            case LENGTH_MISMATCH:
            case NON_FINITE_INPUT:
            case BUDGET_TOO_SMALL:
            case BUFFER_TOO_SMALL:
            case INVALID_UTF8:
            case ABI_VERSION_MISMATCH:
            case ELEMENT_TYPE_UNSUPPORTED:
                return new InvalidArgumentException(status, message);
            case ELEMENT_TYPE_MISMATCH:
                return new ElementTypeMismatchException(message);
            case MODEL_FAILED:
            case MODEL_NON_FINITE_OUTPUT:
            case MODEL_CAPABILITY_MISSING:
                return new ModelException(status, message, cause);
            case BACKEND_UNAVAILABLE:
                return new BackendUnavailableException(message);
            case INVALID_STATE:
                return new InvalidStateException(message);
            case OUT_OF_MEMORY:
                return new OutOfMemoryException(message);
            case NON_FINITE_RESULT:
                return new NonFiniteResultException(message);
            case CANCELLED:
                return new CancelledException(message, cause);
            case DEADLINE_EXCEEDED:
                return new DeadlineExceededException(message);
            case INTERNAL:
            case PANIC:
                return new InternalException(status, message);
            default:
                return new LumenException(status, message, cause);
        }
    }
}

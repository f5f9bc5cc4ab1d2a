package dev.lumen;

/**
 * The call is not allowed now (status {@code INVALID_STATE}): typically an explain method called
 * from inside a model or progress callback. Lumen refuses it instead of deadlocking on the model
 * it is already calling; return from the callback first.
 */
public class InvalidStateException extends LumenException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with Lumen's {@code message}.
     *
     * @param message Lumen's message, saying why the call is not allowed now
     */
    public InvalidStateException(String message) {
        super(Status.INVALID_STATE, message, null);
    }
}

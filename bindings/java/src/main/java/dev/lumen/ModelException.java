package dev.lumen;

/**
 * The model stopped the explanation: it threw (the exception it threw is the
 * {@linkplain #getCause() cause}, status {@code MODEL_FAILED}), wrote NaN or ±Inf
 * ({@code MODEL_NON_FINITE_OUTPUT}), or lacks what the method needs
 * ({@code MODEL_CAPABILITY_MISSING}).
 */
public class ModelException extends LumenException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception of {@code status} with Lumen's {@code message} and the model's exception.
     *
     * @param status the status Lumen reported
     * @param message Lumen's message
     * @param cause the model's own exception, or null
     */
    public ModelException(Status status, String message, Throwable cause) {
        super(status, message, cause);
    }
}

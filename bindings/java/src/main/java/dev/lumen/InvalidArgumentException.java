package dev.lumen;

/**
 * An argument Lumen refused: null, out of range, of the wrong length, or holding NaN/±Inf
 * (statuses {@code NULL_POINTER}, {@code INVALID_ARGUMENT}, {@code LENGTH_MISMATCH},
 * {@code NON_FINITE_INPUT}, {@code BUDGET_TOO_SMALL}, ...).
 */
public class InvalidArgumentException extends LumenException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception of {@code status} with Lumen's {@code message}.
     *
     * @param status the status Lumen reported
     * @param message Lumen's message, naming the argument
     */
    public InvalidArgumentException(Status status, String message) {
        super(status, message, null);
    }
}

package dev.lumen;

/** The requested compute backend cannot run here (status {@code BACKEND_UNAVAILABLE}). */
public class BackendUnavailableException extends LumenException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with Lumen's {@code message}.
     *
     * @param message Lumen's message
     */
    public BackendUnavailableException(String message) {
        super(Status.BACKEND_UNAVAILABLE, message, null);
    }
}

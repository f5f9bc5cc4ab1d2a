package dev.lumen;

/**
 * A bug in Lumen (status {@code INTERNAL}) or a contained panic ({@code PANIC}); the JVM is
 * unaffected. Please report the message.
 */
public class InternalException extends LumenException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception of {@code status} with Lumen's {@code message}.
     *
     * @param status the status Lumen reported
     * @param message Lumen's message
     */
    public InternalException(Status status, String message) {
        super(status, message, null);
    }
}

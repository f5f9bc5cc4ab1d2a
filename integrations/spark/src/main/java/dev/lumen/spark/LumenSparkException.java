package dev.lumen.spark;

/**
 * A failure of the Spark integration: a bad column, a bad row (named by its id or values), or a
 * model factory or model that failed on an executor. Spark reports it as the cause of the failed
 * job.
 */
public class LumenSparkException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure with a message.
     *
     * @param message what failed and why
     */
    public LumenSparkException(String message) {
        super(message);
    }

    /**
     * A failure with a message and its cause.
     *
     * @param message what failed and why
     * @param cause the underlying exception
     */
    public LumenSparkException(String message, Throwable cause) {
        super(message, cause);
    }
}

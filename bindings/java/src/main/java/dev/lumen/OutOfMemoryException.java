package dev.lumen;

/**
 * Lumen could not allocate the native memory the work needs (status {@code OUT_OF_MEMORY}); it
 * returned nothing, freed what it held and stays usable. This is native memory, outside the Java
 * heap, and unlike {@link OutOfMemoryError} it is safe to catch: retry with fewer rows, a smaller
 * budget or a smaller {@link EngineOptions#memoryBudgetBytes(long) memory budget}.
 */
public class OutOfMemoryException extends LumenException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with Lumen's {@code message}.
     *
     * @param message Lumen's message, naming what could not be allocated
     */
    public OutOfMemoryException(String message) {
        super(Status.OUT_OF_MEMORY, message, null);
    }
}

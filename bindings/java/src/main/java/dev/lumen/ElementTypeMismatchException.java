package dev.lumen;

/**
 * Data of one element type was given to a model of the other (status
 * {@code ELEMENT_TYPE_MISMATCH}): a {@code float[]} (rows, baseline, background, training rows,
 * or a scalar option set as a double) for a {@link DoubleModel}, or a {@code double[]} for a
 * float {@link Model}. Lumen never converts between the two; the message names the argument and
 * the type the model takes. It is an {@link InvalidArgumentException}, so code that handles bad
 * arguments alike keeps doing so.
 */
public class ElementTypeMismatchException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with Lumen's {@code message}.
     *
     * @param message Lumen's message, naming the argument and the model's element type
     */
    public ElementTypeMismatchException(String message) {
        super(Status.ELEMENT_TYPE_MISMATCH, message);
    }
}

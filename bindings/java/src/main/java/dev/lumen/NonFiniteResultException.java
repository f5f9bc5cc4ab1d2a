package dev.lumen;

/**
 * A result overflowed to infinity or NaN although the inputs and the model's outputs were finite
 * (status {@code NON_FINITE_RESULT}): the values are too close to the ends of the float range for
 * the method. Nothing is returned; rescale the model's inputs or outputs.
 */
public class NonFiniteResultException extends LumenException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with Lumen's {@code message}.
     *
     * @param message Lumen's message, naming the value and its position
     */
    public NonFiniteResultException(String message) {
        super(Status.NON_FINITE_RESULT, message, null);
    }
}

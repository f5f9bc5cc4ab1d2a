package dev.lumen;

/** Argument checks of the Java layer, reported like Lumen's own. */
final class Checks {
    private Checks() {}

    /** Fails with {@link InvalidArgumentException} ({@code NULL_POINTER}) when {@code value} is null. */
    static <T> T notNull(T value, String argument) {
        if (value == null) {
            throw new InvalidArgumentException(Status.NULL_POINTER, argument + ": is null");
        }
        return value;
    }
}

package dev.lumen;

/**
 * The element type of the numbers that cross the model boundary: a {@link Model}'s rows,
 * outputs and gradients are {@code float}s, a {@link DoubleModel}'s are {@code double}s. Every
 * array handed to an explanation (rows, baselines, backgrounds, training rows) must be of the
 * model's element type; the other type is refused with an {@link ElementTypeMismatchException},
 * never converted.
 */
public enum ElementType {
    /** IEEE binary32: {@code float[]} and {@code FloatBuffer} (a {@link Model}). */
    F32,
    /** IEEE binary64: {@code double[]} and {@code DoubleBuffer} (a {@link DoubleModel}). */
    F64;

    /** The number the native library uses for this type (0 float, 1 double). */
    int code() {
        return this == F32 ? 0 : 1;
    }

    /** The element type numbered {@code code} by the native library. */
    static ElementType of(int code) {
        return code == 1 ? F64 : F32;
    }
}

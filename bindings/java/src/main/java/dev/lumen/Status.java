package dev.lumen;

/** Lumen's status codes ({@code lumen_status} in the C header); numbers never change. */
public enum Status {
    /** Success. */
    OK(0),
    /** A required argument was null. */
    NULL_POINTER(1),
    /** An argument is out of range or inconsistent with another one. */
    INVALID_ARGUMENT(2),
    /** An array's length does not match the length the other arguments imply. */
    LENGTH_MISMATCH(3),
    /** An input, baseline or option holds NaN or ±Inf. */
    NON_FINITE_INPUT(4),
    /** The model failed (in Java: it threw; the exception is the cause). */
    MODEL_FAILED(5),
    /** The model wrote NaN or ±Inf into its outputs. */
    MODEL_NON_FINITE_OUTPUT(6),
    /** The model lacks what the method needs (e.g. a gradient). */
    MODEL_CAPABILITY_MISSING(7),
    /** The requested backend cannot run here. */
    BACKEND_UNAVAILABLE(8),
    /** The memory budget cannot hold one row of the work. */
    BUDGET_TOO_SMALL(9),
    /** The model descriptor's ABI version is not spoken by this library. */
    ABI_VERSION_MISMATCH(10),
    /** An output buffer is smaller than the result. */
    BUFFER_TOO_SMALL(11),
    /** A string is not valid UTF-8. */
    INVALID_UTF8(12),
    /** A value was requested that the explanation does not define. */
    NOT_AVAILABLE(13),
    /** An internal invariant broke (a bug in Lumen). */
    INTERNAL(14),
    /** Lumen panicked; the panic was contained. */
    PANIC(15),
    /** The call is not allowed now (e.g. made from inside a model callback). */
    INVALID_STATE(16),
    /** Memory for the work could not be allocated; nothing was returned. */
    OUT_OF_MEMORY(17),
    /** A result overflowed to infinity although the inputs were finite; nothing was returned. */
    NON_FINITE_RESULT(18),
    /** The call was cancelled (its cancel token, or its progress callback asked to stop). */
    CANCELLED(19),
    /** The call ran past its deadline. */
    DEADLINE_EXCEEDED(20),
    /** Data of one element type (float or double) was given to a model of the other. */
    ELEMENT_TYPE_MISMATCH(21),
    /** The element type is not supported where it was asked for (e.g. double device memory). */
    ELEMENT_TYPE_UNSUPPORTED(22);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /**
     * The stable number of this status.
     *
     * @return the number of the status in the C header
     */
    public int code() {
        return code;
    }

    /**
     * The status numbered {@code code}, or {@link #INTERNAL} for an unknown number.
     *
     * @param code a {@code lumen_status} number
     * @return the status with that number
     */
    public static Status of(int code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return INTERNAL;
    }
}

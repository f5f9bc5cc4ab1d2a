package dev.lumen;

/**
 * A {@link SequenceModel} (float) or {@link DoubleSequenceModel} (double) registered with Lumen
 * for TimeSHAP; explanations take arrays of its {@link #elementType()}. It holds a reference to the model
 * until closed; closing twice is safe, and closing while an explanation runs defers the release
 * until it ends.
 */
public final class SequenceModelHandle extends NativeHandle {
    private final int features;
    private final ElementType elementType;

    /**
     * Registers {@code model} as described by {@code spec}.
     *
     * @param model the sequence model Lumen will call
     * @param spec its features, outputs, batch limit, concurrency and state
     * @throws InvalidArgumentException when the model or spec is null or the spec is inconsistent
     */
    public SequenceModelHandle(SequenceModel model, SequenceModelSpec spec) {
        this(register(model, spec, ElementType.F32), spec, ElementType.F32);
    }

    private SequenceModelHandle(long handle, SequenceModelSpec spec, ElementType elementType) {
        super("sequence model", handle, NativeLumen::sequenceModelFree);
        this.features = spec.features;
        this.elementType = elementType;
    }

    /**
     * Registers the double-precision sequence {@code model} as described by {@code spec}:
     * TimeSHAP of it takes {@code double[]} sequences and backgrounds.
     *
     * @param model the sequence model Lumen will call, on doubles
     * @param spec its features, outputs, batch limit, concurrency and state
     * @return the handle (close it when done)
     * @throws InvalidArgumentException when the model or spec is null or the spec is inconsistent
     */
    public static SequenceModelHandle ofDouble(DoubleSequenceModel model, SequenceModelSpec spec) {
        return new SequenceModelHandle(register(model, spec, ElementType.F64), spec, ElementType.F64);
    }

    private static long register(Object model, SequenceModelSpec spec, ElementType elementType) {
        Checks.notNull(model, "model");
        Checks.notNull(spec, "spec");
        NativeLibrary.ensureLoaded();
        Object bridge = elementType == ElementType.F64
                ? new DoubleSequenceModelBridge((DoubleSequenceModel) model)
                : new SequenceModelBridge((SequenceModel) model);
        return NativeLumen.sequenceModelNew(bridge, spec.features, spec.outputLen, spec.maxBatchRows,
                spec.concurrent, spec.featureNames, spec.stateLen, elementType.code());
    }

    /**
     * The element type of the model's sequences: {@link ElementType#F32} for a
     * {@link SequenceModel}, {@link ElementType#F64} for a {@link DoubleSequenceModel}.
     *
     * @return the model's element type
     */
    public ElementType elementType() {
        return elementType;
    }

    /**
     * Values per event.
     *
     * @return values per event
     */
    public int features() {
        return features;
    }
}

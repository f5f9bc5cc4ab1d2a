package dev.lumen;

/**
 * A {@link SequenceModel} registered with Lumen for TimeSHAP. It holds a reference to the model
 * until closed; closing twice is safe, and closing while an explanation runs defers the release
 * until it ends.
 */
public final class SequenceModelHandle extends NativeHandle {
    private final int features;

    /**
     * Registers {@code model} as described by {@code spec}.
     *
     * @param model the sequence model Lumen will call
     * @param spec its features, outputs, batch limit, concurrency and state
     * @throws InvalidArgumentException when the model or spec is null or the spec is inconsistent
     */
    public SequenceModelHandle(SequenceModel model, SequenceModelSpec spec) {
        super("sequence model", register(model, spec), NativeLumen::sequenceModelFree);
        this.features = spec.features;
    }

    private static long register(SequenceModel model, SequenceModelSpec spec) {
        Checks.notNull(model, "model");
        Checks.notNull(spec, "spec");
        NativeLibrary.ensureLoaded();
        return NativeLumen.sequenceModelNew(new SequenceModelBridge(model), spec.features, spec.outputLen,
                spec.maxBatchRows, spec.concurrent, spec.featureNames, spec.stateLen);
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

package dev.lumen;

/**
 * A {@link Model} registered with Lumen. It holds a reference to the model until closed;
 * closing twice is safe, and closing while an explanation runs defers the release until it
 * ends.
 */
public final class ModelHandle extends NativeHandle {
    private final int inputLen;
    private final int outputLen;

    /**
     * Registers {@code model} as described by {@code spec}.
     *
     * @param model the model Lumen will call
     * @param spec its shapes, batch limit, concurrency and capabilities
     * @throws InvalidArgumentException when the model or spec is null or the spec is inconsistent
     */
    public ModelHandle(Model model, ModelSpec spec) {
        super("model", register(model, spec), NativeLumen::modelFree);
        this.inputLen = spec.inputLen();
        this.outputLen = spec.outputLen();
    }

    private static long register(Model model, ModelSpec spec) {
        Checks.notNull(model, "model");
        Checks.notNull(spec, "spec");
        NativeLibrary.ensureLoaded();
        return NativeLumen.modelNew(new ModelBridge(model), spec.inputShape, spec.outputLen, spec.maxBatchRows,
                spec.concurrent, spec.featureNames, spec.layerShape, spec.gradient);
    }

    /**
     * Elements in one input row.
     *
     * @return elements in one input row
     */
    public int inputLen() {
        return inputLen;
    }

    /**
     * Outputs per row.
     *
     * @return outputs per row
     */
    public int outputLen() {
        return outputLen;
    }
}

package dev.lumen;

/**
 * A {@link Model} (float) or {@link DoubleModel} (double) registered with Lumen. It holds a
 * reference to the model until closed; closing twice is safe, and closing while an explanation
 * runs defers the release until it ends. Explanations take arrays of the model's
 * {@link #elementType()}.
 */
public final class ModelHandle extends NativeHandle {
    private final int inputLen;
    private final int outputLen;
    private final ElementType elementType;

    /**
     * Registers {@code model} as described by {@code spec}.
     *
     * @param model the model Lumen will call
     * @param spec its shapes, batch limit, concurrency and capabilities
     * @throws InvalidArgumentException when the model or spec is null or the spec is inconsistent
     */
    public ModelHandle(Model model, ModelSpec spec) {
        this(register(model, spec, ElementType.F32), spec, ElementType.F32);
    }

    private ModelHandle(long handle, ModelSpec spec, ElementType elementType) {
        super("model", handle, NativeLumen::modelFree);
        this.inputLen = spec.inputLen();
        this.outputLen = spec.outputLen();
        this.elementType = elementType;
    }

    /**
     * Registers the double-precision {@code model} as described by {@code spec}: explanations of
     * it take {@code double[]} rows and options and keep every bit of its outputs.
     *
     * @param model the model Lumen will call, on doubles
     * @param spec its shapes, batch limit, concurrency and capabilities
     * @return the handle (close it when done)
     * @throws InvalidArgumentException when the model or spec is null or the spec is inconsistent
     */
    public static ModelHandle ofDouble(DoubleModel model, ModelSpec spec) {
        return new ModelHandle(register(model, spec, ElementType.F64), spec, ElementType.F64);
    }

    private static long register(Object model, ModelSpec spec, ElementType elementType) {
        Checks.notNull(model, "model");
        Checks.notNull(spec, "spec");
        NativeLibrary.ensureLoaded();
        Object bridge = elementType == ElementType.F64 ? new DoubleModelBridge((DoubleModel) model)
                : new ModelBridge((Model) model);
        return NativeLumen.modelNew(bridge, spec.inputShape, spec.outputLen, spec.maxBatchRows, spec.concurrent,
                spec.featureNames, spec.layerShape, spec.gradient, elementType.code());
    }

    /**
     * The element type of the model's rows: {@link ElementType#F32} for a {@link Model},
     * {@link ElementType#F64} for a {@link DoubleModel}.
     *
     * @return the model's element type
     */
    public ElementType elementType() {
        return elementType;
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

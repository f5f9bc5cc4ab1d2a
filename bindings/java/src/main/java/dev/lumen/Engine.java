package dev.lumen;

/**
 * A Lumen engine: a backend, worker threads, a seed and a memory budget. One engine serves
 * many explanations, from many threads at once. Close it when done (closing twice is safe;
 * closing while explanations run defers the release until they end). The worker threads that
 * call a Java model attach to the JVM as daemon threads, so an engine nobody closed never keeps
 * the JVM from exiting; {@link #close()} stops them (and the cleaner closes an engine that
 * becomes unreachable).
 *
 * <p>Every method takes the rows to explain as one row-major array of {@code rows × inputLen}
 * floats and throws {@link InvalidArgumentException} on bad input (null, wrong length, NaN),
 * {@link ModelException} when the model throws or returns NaN, and
 * {@link IllegalStateException} when this engine or the model is closed.
 */
public final class Engine extends NativeHandle {
    /** An engine with the defaults: auto backend, one thread per core, seed 0. */
    public Engine() {
        this(new EngineOptions());
    }

    /**
     * An engine set up by {@code options}.
     *
     * @param options backend, worker threads, seed and memory budget
     */
    public Engine(EngineOptions options) {
        super("engine", create(options), NativeLumen::engineFree);
    }

    private static long create(EngineOptions options) {
        Checks.notNull(options, "options");
        Checks.notNull(options.backend, "options.backend");
        NativeLibrary.ensureLoaded();
        return NativeLumen.engineNew(options.backend.ordinal(), options.threads, options.seed,
                options.memoryBudgetBytes);
    }

    /**
     * Lumen's version, e.g. {@code 0.2.0}.
     *
     * @return the version of the native library, e.g. {@code 0.2.0}
     */
    public static String version() {
        NativeLibrary.ensureLoaded();
        return NativeLumen.version();
    }

    private long info() {
        long handle = acquire();
        try {
            return NativeLumen.engineInfo(handle);
        } finally {
            release();
        }
    }

    /**
     * The backend in use ({@link Backend#CPU} or {@link Backend#CUDA}).
     *
     * @return the backend in use
     */
    public Backend backend() {
        return (info() & 0xff) == 2 ? Backend.CUDA : Backend.CPU;
    }

    /**
     * Worker threads running.
     *
     * @return the number of worker threads
     */
    public int threads() {
        return (int) (info() >>> 8);
    }

    /** One native explanation call on this engine and {@code model}, both held open for its duration. */
    @FunctionalInterface
    private interface Call {
        long run(long engine, long model);
    }

    private long call(NativeHandle model, Call call) {
        Checks.notNull(model, "model");
        long engine = acquire();
        try {
            long m = model.acquire();
            try {
                return call.run(engine, m);
            } finally {
                model.release();
            }
        } finally {
            release();
        }
    }

    private Explanation explain(ModelHandle model, Object options, Call call) {
        Checks.notNull(options, "options");
        return new Explanation(call(model, call));
    }

    /**
     * Occlusion (Captum's semantics): sliding windows set to the baseline.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation occlusion(ModelHandle model, float[] inputs, int rows, OcclusionOptions o) {
        return explain(model, o, (e, m) -> NativeLumen.occlusion(e, m, inputs, rows, o.windowShape, o.strides,
                o.baseline, o.baselineScalar, o.targets, o.perturbationsPerEval));
    }

    /**
     * Feature Ablation (Captum's semantics): each group of the feature mask set to the baseline.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation featureAblation(ModelHandle model, float[] inputs, int rows, FeatureAblationOptions o) {
        return explain(model, o, (e, m) -> NativeLumen.featureAblation(e, m, inputs, rows, o.featureMask,
                o.groupNames, o.baseline, o.baselineScalar, o.targets, o.perturbationsPerEval, o.groupAttributions));
    }

    /**
     * KernelSHAP over a background set, with standard errors; deterministic given the seed.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation kernelShap(ModelHandle model, float[] inputs, int rows, KernelShapOptions o) {
        return explain(model, o, (e, m) -> NativeLumen.kernelShap(e, m, inputs, rows, o.background,
                o.backgroundWeights, o.players, o.playerNames, o.targets, o.logit, o.budget, o.errorBatches));
    }

    /**
     * Shapley Value Sampling (antithetic permutations); deterministic given the seed.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation shapleySampling(ModelHandle model, float[] inputs, int rows, ShapleySamplingOptions o) {
        return explain(model, o, (e, m) -> NativeLumen.shapleySampling(e, m, inputs, rows, o.background,
                o.backgroundWeights, o.players, o.playerNames, o.targets, o.logit, o.permutationPairs));
    }

    /**
     * Integrated Gradients; needs the model's gradient.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation integratedGradients(ModelHandle model, float[] inputs, int rows,
            IntegratedGradientsOptions o) {
        return explain(model, o, (e, m) -> o.run(e, m, inputs, rows, 0, 0, 0f));
    }

    /**
     * Saliency (the gradient at the input); needs the model's gradient.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation saliency(ModelHandle model, float[] inputs, int rows, SaliencyOptions o) {
        return explain(model, o, (e, m) -> o.run(e, m, inputs, rows, 0, 0, 0f));
    }

    /**
     * GradientSHAP (expected gradients); needs the model's gradient; deterministic given the seed.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation gradientShap(ModelHandle model, float[] inputs, int rows, GradientShapOptions o) {
        return explain(model, o, (e, m) -> o.run(e, m, inputs, rows, 0, 0, 0f));
    }

    /**
     * NoiseTunnel over a gradient method; deterministic given the seed.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation noiseTunnel(ModelHandle model, float[] inputs, int rows, NoiseTunnelOptions o) {
        Checks.notNull(o, "options");
        Checks.notNull(o.base, "options.base");
        Checks.notNull(o.type, "options.type");
        if (o.samples <= 0) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                    "samples: is " + o.samples + ", expected at least 1");
        }
        return explain(model, o, (e, m) -> o.base.run(e, m, inputs, rows, o.type.ordinal(), o.samples, o.stdevs));
    }

    /**
     * Grad-CAM on the layer the model exposes ({@link ModelSpec#layerShape}).
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation gradCam(ModelHandle model, float[] inputs, int rows, GradCamOptions o) {
        return explain(model, o, (e, m) -> NativeLumen.gradCam(e, m, inputs, rows, o.targets, o.reluAttributions,
                o.upsample, o.internalBatchSize));
    }

    /**
     * PermuteAttack counterfactuals; deterministic given the seed.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the counterfactuals found for every row
     */
    public Counterfactuals counterfactuals(ModelHandle model, float[] inputs, int rows, PermuteAttackOptions o) {
        Checks.notNull(o, "options");
        return Counterfactuals.read(call(model, (e, m) -> o.run(e, m, inputs, rows)));
    }

    /**
     * Temporal coalition pruning of one sequence ({@code seqLen × features} values, event-major,
     * {@code seqLen ≥ 2}) with the options' tolerance (no pruning without one). With
     * {@code fullCurve} every split is evaluated; otherwise the walk stops where pruning does.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param o the method's options
     * @param fullCurve evaluate every split instead of stopping where pruning stops
     * @return the pruning curve and the pruned length
     */
    public Pruning timeshapPrune(SequenceModelHandle model, float[] sequence, int seqLen, TimeShapOptions o,
            boolean fullCurve) {
        Checks.notNull(o, "options");
        double[][] out = new double[1][];
        call(model, (e, m) -> {
            out[0] = NativeLumen.timeshapPrune(e, m, sequence, seqLen, o.background, o.trainingEvents, o.ints(),
                    o.reals(), fullCurve);
            return 0;
        });
        return Pruning.decode(out[0]);
    }

    /**
     * TimeSHAP of one sequence ({@code seqLen × features} values, event-major, {@code seqLen ≥ 2})
     * at {@code level}, after pruning when the options set a tolerance; deterministic given the
     * seed.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param level what the values are attributed to: events, features or cells
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public TimeShapExplanation explainTimeShap(SequenceModelHandle model, float[] sequence, int seqLen,
            TimeShapLevel level, TimeShapOptions o) {
        Checks.notNull(o, "options");
        Checks.notNull(level, "level");
        return TimeShapExplanation.read(call(model, (e, m) -> NativeLumen.timeshapExplain(e, m, sequence, seqLen,
                level.ordinal(), o.background, o.trainingEvents, o.ints(), o.reals())), level);
    }

    /**
     * Global TimeSHAP over the sequences concatenated in {@code sequences} ({@code lengths[i]}
     * events each, ≥ 2): event importance by distance, feature importance, the most recent event's
     * share and the pruning table at each η of {@code tolerances} over {@code seeds} (≥ 2) random
     * streams. The background must be one event (or the mean of training events).
     *
     * @param model the model to explain
     * @param sequences the sequences one after the other, event-major
     * @param lengths the events of each sequence (each at least 2)
     * @param o the method's options
     * @param tolerances the pruning tolerances η of the pruning table
     * @param seeds random streams per tolerance (at least 2)
     * @return the global report
     */
    public TimeShapGlobal timeshapGlobal(SequenceModelHandle model, float[] sequences, int[] lengths,
            TimeShapOptions o, double[] tolerances, int seeds) {
        Checks.notNull(o, "options");
        return TimeShapGlobal.read(call(model, (e, m) -> NativeLumen.timeshapGlobal(e, m, sequences, lengths,
                o.background, o.trainingEvents, o.ints(), o.reals(), tolerances, seeds)));
    }
}

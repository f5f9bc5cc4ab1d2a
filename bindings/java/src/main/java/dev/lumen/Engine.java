package dev.lumen;

import java.util.function.LongFunction;

/**
 * A Lumen engine: a backend, worker threads, a seed and a memory budget. One engine serves
 * many explanations, from many threads at once. Close it when done (closing twice is safe;
 * closing while explanations run defers the release until they end). The worker threads that
 * call a Java model attach to the JVM as daemon threads, so an engine nobody closed never keeps
 * the JVM from exiting; {@link #close()} stops them (and the cleaner closes an engine that
 * becomes unreachable).
 *
 * <p>Every method takes the rows to explain as one row-major array of {@code rows × inputLen}
 * values: {@code float}s for a {@link Model}, {@code double}s for a {@link DoubleModel} (each
 * method has a {@code float[]} and a {@code double[]} overload, as have the options' arrays). An
 * array of the other element type throws {@link ElementTypeMismatchException}, never a silent
 * conversion. Every method throws {@link InvalidArgumentException} on bad input (null, wrong length, NaN),
 * {@link ModelException} when the model throws or returns NaN, and
 * {@link IllegalStateException} when this engine or the model is closed.
 *
 * <p>Stopping a call: every explain method stops when its thread is interrupted
 * ({@link Thread#interrupt()}, {@link java.util.concurrent.Future#cancel(boolean) Future.cancel(true)}
 * of a task running it) and throws a {@link CancelledException} within one model batch, leaving
 * the thread's interrupt status set. Each also has an overload taking {@link CallOptions}: a
 * timeout ({@link DeadlineExceededException}), a {@link CancelToken}, a progress callback and a
 * bound on model-call parallelism. A stopped call frees what it held; the engine and the model
 * stay usable. An explain method called from inside a model or progress callback throws
 * {@link InvalidStateException} instead of deadlocking.
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
     * Lumen's version, e.g. {@code 0.3.0}.
     *
     * @return the version of the native library, e.g. {@code 0.3.0}
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

    /** Call options that set nothing (never changed). */
    private static final CallOptions NO_CALL_OPTIONS = new CallOptions();

    /** One native explanation call on this engine and {@code model}, both held open for its duration. */
    @FunctionalInterface
    private interface Call {
        long run(long call, long engine, long model);
    }

    /**
     * Runs {@code call} under a fresh {@link NativeCall} built from {@code options} and turns the
     * native handle it returns into the result with {@code read}.
     */
    private <T> T call(NativeHandle model, CallOptions options, Call call, LongFunction<T> read) {
        Checks.notNull(model, "model");
        Checks.notNull(options, "callOptions");
        long engine = acquire();
        try {
            long m = model.acquire();
            try {
                NativeCall control = new NativeCall(options);
                T result = read.apply(control.run(c -> call.run(c, engine, m)));
                control.rethrowProgressFailure(result);
                return result;
            } finally {
                model.release();
            }
        } finally {
            release();
        }
    }

    private Explanation explain(ModelHandle model, Object options, CallOptions call, Call run) {
        Checks.notNull(options, "options");
        return call(model, call, run, Explanation::new);
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
        return occlusion(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Occlusion (Captum's semantics): sliding windows set to the baseline.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation occlusion(ModelHandle model, double[] inputs, int rows, OcclusionOptions o) {
        return occlusion(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Occlusion (Captum's semantics): sliding windows set to the baseline.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation occlusion(ModelHandle model, float[] inputs, int rows, OcclusionOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.occlusion(c, e, m, inputs, rows, o.windowShape,
                o.strides, o.baseline, o.baselineScalar, o.baselineScalarDouble, o.targets, o.perturbationsPerEval));
    }

    /**
     * Occlusion (Captum's semantics): sliding windows set to the baseline.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation occlusion(ModelHandle model, double[] inputs, int rows, OcclusionOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.occlusion(c, e, m, inputs, rows, o.windowShape,
                o.strides, o.baseline, o.baselineScalar, o.baselineScalarDouble, o.targets, o.perturbationsPerEval));
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
        return featureAblation(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Feature Ablation (Captum's semantics): each group of the feature mask set to the baseline.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation featureAblation(ModelHandle model, double[] inputs, int rows, FeatureAblationOptions o) {
        return featureAblation(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Feature Ablation (Captum's semantics): each group of the feature mask set to the baseline.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation featureAblation(ModelHandle model, float[] inputs, int rows, FeatureAblationOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.featureAblation(c, e, m, inputs, rows,
                o.featureMask, o.groupNames, o.baseline, o.baselineScalar, o.baselineScalarDouble, o.targets,
                o.perturbationsPerEval,
                o.groupAttributions));
    }

    /**
     * Feature Ablation (Captum's semantics): each group of the feature mask set to the baseline.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation featureAblation(ModelHandle model, double[] inputs, int rows, FeatureAblationOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.featureAblation(c, e, m, inputs, rows,
                o.featureMask, o.groupNames, o.baseline, o.baselineScalar, o.baselineScalarDouble, o.targets,
                o.perturbationsPerEval,
                o.groupAttributions));
    }

    /**
     * KernelSHAP over a background set, with standard errors; deterministic given the seed. With
     * {@link KernelShapOptions#targetStandardError(double)} it samples in rounds until every
     * value's standard error is at or below the target (or the budget cap is spent).
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation kernelShap(ModelHandle model, float[] inputs, int rows, KernelShapOptions o) {
        return kernelShap(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * KernelSHAP over a background set, with standard errors; deterministic given the seed. With
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * {@link KernelShapOptions#targetStandardError(double)} it samples in rounds until every
     * value's standard error is at or below the target (or the budget cap is spent).
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation kernelShap(ModelHandle model, double[] inputs, int rows, KernelShapOptions o) {
        return kernelShap(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * KernelSHAP over a background set, with standard errors; deterministic given the seed. With
     * {@link KernelShapOptions#targetStandardError(double)} it samples in rounds until every
     * value's standard error is at or below the target (or the budget cap is spent).
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation kernelShap(ModelHandle model, float[] inputs, int rows, KernelShapOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.kernelShap(c, e, m, inputs, rows, o.background,
                o.backgroundWeights, o.players, o.playerNames, o.targets, o.logit, o.budget, o.errorBatches,
                o.estimatorCode(), o.targetStandardError, o.maxBudget));
    }

    /**
     * KernelSHAP over a background set, with standard errors; deterministic given the seed. With
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * {@link KernelShapOptions#targetStandardError(double)} it samples in rounds until every
     * value's standard error is at or below the target (or the budget cap is spent).
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation kernelShap(ModelHandle model, double[] inputs, int rows, KernelShapOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.kernelShap(c, e, m, inputs, rows, o.background,
                o.backgroundWeights, o.players, o.playerNames, o.targets, o.logit, o.budget, o.errorBatches,
                o.estimatorCode(), o.targetStandardError, o.maxBudget));
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
        return shapleySampling(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Shapley Value Sampling (antithetic permutations); deterministic given the seed.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation shapleySampling(ModelHandle model, double[] inputs, int rows, ShapleySamplingOptions o) {
        return shapleySampling(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Shapley Value Sampling (antithetic permutations); deterministic given the seed.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation shapleySampling(ModelHandle model, float[] inputs, int rows, ShapleySamplingOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.shapleySampling(c, e, m, inputs, rows,
                o.background, o.backgroundWeights, o.players, o.playerNames, o.targets, o.logit,
                o.permutationPairs, o.targetStandardError, o.maxPermutationPairs));
    }

    /**
     * Shapley Value Sampling (antithetic permutations); deterministic given the seed.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation shapleySampling(ModelHandle model, double[] inputs, int rows, ShapleySamplingOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.shapleySampling(c, e, m, inputs, rows,
                o.background, o.backgroundWeights, o.players, o.playerNames, o.targets, o.logit,
                o.permutationPairs, o.targetStandardError, o.maxPermutationPairs));
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
    public Explanation integratedGradients(ModelHandle model, float[] inputs, int rows, IntegratedGradientsOptions o) {
        return integratedGradients(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Integrated Gradients; needs the model's gradient.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation integratedGradients(ModelHandle model, double[] inputs, int rows, IntegratedGradientsOptions o) {
        return integratedGradients(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Integrated Gradients; needs the model's gradient.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation integratedGradients(ModelHandle model, float[] inputs, int rows, IntegratedGradientsOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> o.run(c, e, m, inputs, rows, 0, 0, 0f, 0.0));
    }

    /**
     * Integrated Gradients; needs the model's gradient.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation integratedGradients(ModelHandle model, double[] inputs, int rows, IntegratedGradientsOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> o.run(c, e, m, inputs, rows, 0, 0, 0f, 0.0));
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
        return saliency(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Saliency (the gradient at the input); needs the model's gradient.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation saliency(ModelHandle model, double[] inputs, int rows, SaliencyOptions o) {
        return saliency(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Saliency (the gradient at the input); needs the model's gradient.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation saliency(ModelHandle model, float[] inputs, int rows, SaliencyOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> o.run(c, e, m, inputs, rows, 0, 0, 0f, 0.0));
    }

    /**
     * Saliency (the gradient at the input); needs the model's gradient.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation saliency(ModelHandle model, double[] inputs, int rows, SaliencyOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> o.run(c, e, m, inputs, rows, 0, 0, 0f, 0.0));
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
        return gradientShap(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * GradientSHAP (expected gradients); needs the model's gradient; deterministic given the seed.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation gradientShap(ModelHandle model, double[] inputs, int rows, GradientShapOptions o) {
        return gradientShap(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * GradientSHAP (expected gradients); needs the model's gradient; deterministic given the seed.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation gradientShap(ModelHandle model, float[] inputs, int rows, GradientShapOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> o.run(c, e, m, inputs, rows, 0, 0, 0f, 0.0));
    }

    /**
     * GradientSHAP (expected gradients); needs the model's gradient; deterministic given the seed.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation gradientShap(ModelHandle model, double[] inputs, int rows, GradientShapOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> o.run(c, e, m, inputs, rows, 0, 0, 0f, 0.0));
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
        return noiseTunnel(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * NoiseTunnel over a gradient method; deterministic given the seed.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation noiseTunnel(ModelHandle model, double[] inputs, int rows, NoiseTunnelOptions o) {
        return noiseTunnel(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * NoiseTunnel over a gradient method; deterministic given the seed.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation noiseTunnel(ModelHandle model, float[] inputs, int rows, NoiseTunnelOptions o, CallOptions call) {
        Checks.notNull(o, "options");
        Checks.notNull(o.base, "options.base");
        Checks.notNull(o.type, "options.type");
        if (o.samples <= 0) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                    "samples: is " + o.samples + ", expected at least 1");
        }
        return explain(model, o, call,
                (c, e, m) -> o.base.run(c, e, m, inputs, rows, o.type.ordinal(), o.samples, o.stdevs,
                        o.stdevsDouble));
    }

    /**
     * NoiseTunnel over a gradient method; deterministic given the seed.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation noiseTunnel(ModelHandle model, double[] inputs, int rows, NoiseTunnelOptions o, CallOptions call) {
        Checks.notNull(o, "options");
        Checks.notNull(o.base, "options.base");
        Checks.notNull(o.type, "options.type");
        if (o.samples <= 0) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                    "samples: is " + o.samples + ", expected at least 1");
        }
        return explain(model, o, call,
                (c, e, m) -> o.base.run(c, e, m, inputs, rows, o.type.ordinal(), o.samples, o.stdevs,
                        o.stdevsDouble));
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
        return gradCam(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Grad-CAM on the layer the model exposes ({@link ModelSpec#layerShape}).
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public Explanation gradCam(ModelHandle model, double[] inputs, int rows, GradCamOptions o) {
        return gradCam(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * Grad-CAM on the layer the model exposes ({@link ModelSpec#layerShape}).
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation gradCam(ModelHandle model, float[] inputs, int rows, GradCamOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.gradCam(c, e, m, inputs, rows, o.targets,
                o.reluAttributions, o.upsample, o.internalBatchSize));
    }

    /**
     * Grad-CAM on the layer the model exposes ({@link ModelSpec#layerShape}).
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public Explanation gradCam(ModelHandle model, double[] inputs, int rows, GradCamOptions o, CallOptions call) {
        return explain(model, o, call, (c, e, m) -> NativeLumen.gradCam(c, e, m, inputs, rows, o.targets,
                o.reluAttributions, o.upsample, o.internalBatchSize));
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
        return counterfactuals(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * PermuteAttack counterfactuals; deterministic given the seed.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @return the counterfactuals found for every row
     */
    public Counterfactuals counterfactuals(ModelHandle model, double[] inputs, int rows, PermuteAttackOptions o) {
        return counterfactuals(model, inputs, rows, o, NO_CALL_OPTIONS);
    }

    /**
     * PermuteAttack counterfactuals; deterministic given the seed.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the counterfactuals found for every row
     */
    public Counterfactuals counterfactuals(ModelHandle model, float[] inputs, int rows, PermuteAttackOptions o, CallOptions call) {
        Checks.notNull(o, "options");
        return call(model, call, (c, e, m) -> o.run(c, e, m, inputs, rows), Counterfactuals::read);
    }

    /**
     * PermuteAttack counterfactuals; deterministic given the seed.
     * The {@code double[]} overload, for a {@link DoubleModel}: its data is of the model's element type.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param inputs the rows to explain, row-major ({@code rows × inputLen} values)
     * @param rows the number of rows in {@code inputs}
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the counterfactuals found for every row
     */
    public Counterfactuals counterfactuals(ModelHandle model, double[] inputs, int rows, PermuteAttackOptions o, CallOptions call) {
        Checks.notNull(o, "options");
        return call(model, call, (c, e, m) -> o.run(c, e, m, inputs, rows), Counterfactuals::read);
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
        return timeshapPrune(model, sequence, seqLen, o, fullCurve, NO_CALL_OPTIONS);
    }

    /**
     * Temporal coalition pruning of one sequence ({@code seqLen × features} values, event-major,
     * The {@code double[]} overload, for a {@link DoubleSequenceModel}: its data is of the model's element type.
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
    public Pruning timeshapPrune(SequenceModelHandle model, double[] sequence, int seqLen, TimeShapOptions o,
            boolean fullCurve) {
        return timeshapPrune(model, sequence, seqLen, o, fullCurve, NO_CALL_OPTIONS);
    }

    /**
     * Temporal coalition pruning of one sequence ({@code seqLen × features} values, event-major,
     * {@code seqLen ≥ 2}) with the options' tolerance (no pruning without one). With
     * {@code fullCurve} every split is evaluated; otherwise the walk stops where pruning does.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param o the method's options
     * @param fullCurve evaluate every split instead of stopping where pruning stops
     * @param call how the call may be stopped and watched
     * @return the pruning curve and the pruned length
     */
    public Pruning timeshapPrune(SequenceModelHandle model, float[] sequence, int seqLen, TimeShapOptions o,
            boolean fullCurve, CallOptions call) {
        Checks.notNull(o, "options");
        double[][] out = new double[1][];
        call(model, call, (c, e, m) -> {
            out[0] = NativeLumen.timeshapPrune(c, e, m, sequence, seqLen, o.background, o.trainingEvents, o.ints(),
                    o.reals(), fullCurve);
            return 0;
        }, ignored -> null);
        return Pruning.decode(out[0]);
    }

    /**
     * Temporal coalition pruning of one sequence ({@code seqLen × features} values, event-major,
     * The {@code double[]} overload, for a {@link DoubleSequenceModel}: its data is of the model's element type.
     * {@code seqLen ≥ 2}) with the options' tolerance (no pruning without one). With
     * {@code fullCurve} every split is evaluated; otherwise the walk stops where pruning does.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param o the method's options
     * @param fullCurve evaluate every split instead of stopping where pruning stops
     * @param call how the call may be stopped and watched
     * @return the pruning curve and the pruned length
     */
    public Pruning timeshapPrune(SequenceModelHandle model, double[] sequence, int seqLen, TimeShapOptions o,
            boolean fullCurve, CallOptions call) {
        Checks.notNull(o, "options");
        double[][] out = new double[1][];
        call(model, call, (c, e, m) -> {
            out[0] = NativeLumen.timeshapPrune(c, e, m, sequence, seqLen, o.background, o.trainingEvents, o.ints(),
                    o.reals(), fullCurve);
            return 0;
        }, ignored -> null);
        return Pruning.decode(out[0]);
    }

    /**
     * The whole pruning curve of one sequence in the {@code timeshap} package's form (its
     * {@code temp_coalition_pruning(..., ret_plot_data=True)}): the package's {@code pruning_idx},
     * chosen by the options' tolerance or fixed pruning index ({@code −seqLen} with neither), and
     * the points t = 0, −1, …, −seqLen, both end points included. Every split is evaluated.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param o the method's options
     * @return the pruning index and the curve
     */
    public TimeShapPruningCurve timeshapPruningCurve(SequenceModelHandle model, float[] sequence, int seqLen,
            TimeShapOptions o) {
        return timeshapPruningCurve(model, sequence, seqLen, o, NO_CALL_OPTIONS);
    }

    /**
     * The whole pruning curve of one sequence in the {@code timeshap} package's form (its
     * The {@code double[]} overload, for a {@link DoubleSequenceModel}: its data is of the model's element type.
     * {@code temp_coalition_pruning(..., ret_plot_data=True)}): the package's {@code pruning_idx},
     * chosen by the options' tolerance or fixed pruning index ({@code −seqLen} with neither), and
     * the points t = 0, −1, …, −seqLen, both end points included. Every split is evaluated.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param o the method's options
     * @return the pruning index and the curve
     */
    public TimeShapPruningCurve timeshapPruningCurve(SequenceModelHandle model, double[] sequence, int seqLen,
            TimeShapOptions o) {
        return timeshapPruningCurve(model, sequence, seqLen, o, NO_CALL_OPTIONS);
    }

    /**
     * As {@link #timeshapPruningCurve(SequenceModelHandle, float[], int, TimeShapOptions)},
     * stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the pruning index and the curve
     */
    public TimeShapPruningCurve timeshapPruningCurve(SequenceModelHandle model, float[] sequence, int seqLen,
            TimeShapOptions o, CallOptions call) {
        Checks.notNull(o, "options");
        double[][] out = new double[1][];
        call(model, call, (c, e, m) -> {
            out[0] = NativeLumen.timeshapPruningCurve(c, e, m, sequence, seqLen, o.background, o.trainingEvents,
                    o.ints(), o.reals());
            return 0;
        }, ignored -> null);
        return TimeShapPruningCurve.decode(out[0]);
    }

    /**
     * As {@link #timeshapPruningCurve(SequenceModelHandle, double[], int, TimeShapOptions)},
     * The {@code double[]} overload, for a {@link DoubleSequenceModel}: its data is of the model's element type.
     * stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the pruning index and the curve
     */
    public TimeShapPruningCurve timeshapPruningCurve(SequenceModelHandle model, double[] sequence, int seqLen,
            TimeShapOptions o, CallOptions call) {
        Checks.notNull(o, "options");
        double[][] out = new double[1][];
        call(model, call, (c, e, m) -> {
            out[0] = NativeLumen.timeshapPruningCurve(c, e, m, sequence, seqLen, o.background, o.trainingEvents,
                    o.ints(), o.reals());
            return 0;
        }, ignored -> null);
        return TimeShapPruningCurve.decode(out[0]);
    }

    /**
     * TimeSHAP of one sequence ({@code seqLen × features} values, event-major, {@code seqLen ≥ 2})
     * at {@code level}, after pruning when the options set a tolerance or a pruning index;
     * deterministic given the seed.
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
        return explainTimeShap(model, sequence, seqLen, level, o, NO_CALL_OPTIONS);
    }

    /**
     * TimeSHAP of one sequence ({@code seqLen × features} values, event-major, {@code seqLen ≥ 2})
     * The {@code double[]} overload, for a {@link DoubleSequenceModel}: its data is of the model's element type.
     * at {@code level}, after pruning when the options set a tolerance or a pruning index;
     * deterministic given the seed.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param level what the values are attributed to: events, features or cells
     * @param o the method's options
     * @return the explanation (close it when done)
     */
    public TimeShapExplanation explainTimeShap(SequenceModelHandle model, double[] sequence, int seqLen,
            TimeShapLevel level, TimeShapOptions o) {
        return explainTimeShap(model, sequence, seqLen, level, o, NO_CALL_OPTIONS);
    }

    /**
     * TimeSHAP of one sequence ({@code seqLen × features} values, event-major, {@code seqLen ≥ 2})
     * at {@code level}, after pruning when the options set a tolerance or a pruning index;
     * deterministic given the seed.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param level what the values are attributed to: events, features or cells
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public TimeShapExplanation explainTimeShap(SequenceModelHandle model, float[] sequence, int seqLen,
            TimeShapLevel level, TimeShapOptions o, CallOptions call) {
        Checks.notNull(o, "options");
        Checks.notNull(level, "level");
        return call(model, call, (c, e, m) -> NativeLumen.timeshapExplain(c, e, m, sequence, seqLen,
                level.ordinal(), o.background, o.trainingEvents, o.ints(), o.reals()),
                handle -> TimeShapExplanation.read(handle, level));
    }

    /**
     * TimeSHAP of one sequence ({@code seqLen × features} values, event-major, {@code seqLen ≥ 2})
     * The {@code double[]} overload, for a {@link DoubleSequenceModel}: its data is of the model's element type.
     * at {@code level}, after pruning when the options set a tolerance or a pruning index;
     * deterministic given the seed.
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param sequence one sequence, event-major ({@code seqLen × features} values)
     * @param seqLen the events in {@code sequence} (at least 2)
     * @param level what the values are attributed to: events, features or cells
     * @param o the method's options
     * @param call how the call may be stopped and watched
     * @return the explanation (close it when done)
     */
    public TimeShapExplanation explainTimeShap(SequenceModelHandle model, double[] sequence, int seqLen,
            TimeShapLevel level, TimeShapOptions o, CallOptions call) {
        Checks.notNull(o, "options");
        Checks.notNull(level, "level");
        return call(model, call, (c, e, m) -> NativeLumen.timeshapExplain(c, e, m, sequence, seqLen,
                level.ordinal(), o.background, o.trainingEvents, o.ints(), o.reals()),
                handle -> TimeShapExplanation.read(handle, level));
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
        return timeshapGlobal(model, sequences, lengths, o, tolerances, seeds, NO_CALL_OPTIONS);
    }

    /**
     * Global TimeSHAP over the sequences concatenated in {@code sequences} ({@code lengths[i]}
     * The {@code double[]} overload, for a {@link DoubleSequenceModel}: its data is of the model's element type.
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
    public TimeShapGlobal timeshapGlobal(SequenceModelHandle model, double[] sequences, int[] lengths,
            TimeShapOptions o, double[] tolerances, int seeds) {
        return timeshapGlobal(model, sequences, lengths, o, tolerances, seeds, NO_CALL_OPTIONS);
    }

    /**
     * Global TimeSHAP over the sequences concatenated in {@code sequences} ({@code lengths[i]}
     * events each, ≥ 2): event importance by distance, feature importance, the most recent event's
     * share and the pruning table at each η of {@code tolerances} over {@code seeds} (≥ 2) random
     * streams. The background must be one event (or the mean of training events).
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param sequences the sequences one after the other, event-major
     * @param lengths the events of each sequence (each at least 2)
     * @param o the method's options
     * @param tolerances the pruning tolerances η of the pruning table
     * @param seeds random streams per tolerance (at least 2)
     * @param call how the call may be stopped and watched
     * @return the global report
     */
    public TimeShapGlobal timeshapGlobal(SequenceModelHandle model, float[] sequences, int[] lengths,
            TimeShapOptions o, double[] tolerances, int seeds, CallOptions call) {
        Checks.notNull(o, "options");
        return call(model, call, (c, e, m) -> NativeLumen.timeshapGlobal(c, e, m, sequences, lengths,
                o.background, o.trainingEvents, o.ints(), o.reals(), tolerances, seeds), TimeShapGlobal::read);
    }

    /**
     * Global TimeSHAP over the sequences concatenated in {@code sequences} ({@code lengths[i]}
     * The {@code double[]} overload, for a {@link DoubleSequenceModel}: its data is of the model's element type.
     * events each, ≥ 2): event importance by distance, feature importance, the most recent event's
     * share and the pruning table at each η of {@code tolerances} over {@code seeds} (≥ 2) random
     * streams. The background must be one event (or the mean of training events).
     * Stoppable and observable as {@code call} says.
     *
     * @param model the model to explain
     * @param sequences the sequences one after the other, event-major
     * @param lengths the events of each sequence (each at least 2)
     * @param o the method's options
     * @param tolerances the pruning tolerances η of the pruning table
     * @param seeds random streams per tolerance (at least 2)
     * @param call how the call may be stopped and watched
     * @return the global report
     */
    public TimeShapGlobal timeshapGlobal(SequenceModelHandle model, double[] sequences, int[] lengths,
            TimeShapOptions o, double[] tolerances, int seeds, CallOptions call) {
        Checks.notNull(o, "options");
        return call(model, call, (c, e, m) -> NativeLumen.timeshapGlobal(c, e, m, sequences, lengths,
                o.background, o.trainingEvents, o.ints(), o.reals(), tolerances, seeds), TimeShapGlobal::read);
    }
}

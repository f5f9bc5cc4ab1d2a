package dev.lumen;

/**
 * The native methods of {@code lumen-jni} ({@code bindings/java/native}). Package-private: the
 * public classes check their handles and call these. Every method throws a
 * {@link LumenException} subclass on failure. Callers load the library first with
 * {@link NativeLibrary#ensureLoaded()}.
 */
final class NativeLumen {
    private NativeLumen() {}

    static native long engineNew(int backend, int threads, long seed, long memoryBudgetBytes);

    static native void engineFree(long engine);

    static native long engineInfo(long engine);

    static native String version();

    /** {@code bridge}: a {@link ModelBridge} (elementType 0) or a {@link DoubleModelBridge} (1). */
    static native long modelNew(Object bridge, int[] inputShape, int outputLen, int maxBatchRows,
            boolean concurrent, String[] featureNames, int[] layerShape, boolean gradient, int elementType);

    static native void modelFree(long model);

    static native long callNew(NativeCall call, boolean progress, long timeoutNanos, int maxModelThreads,
            boolean hasSeed, long seed, long[] rowKeys, int[] rowTargets);

    static native long rowKeyOf(byte[] id);

    static native void callCancel(long call);

    static native void callFree(long call);

    // The explain natives take the rows and every array option in the model's element type as an
    // Object: a float[] for a float model, a double[] for a double one (the other type is refused
    // with ELEMENT_TYPE_MISMATCH). Scalar options come as a float and its double twin (0: unset).

    static native long occlusion(long call, long engine, long model, Object inputs, int rows, int[] windowShape,
            int[] strides, Object baseline, float baselineScalar, double baselineScalarDouble, int[] targets,
            int perturbationsPerEval);

    static native long featureAblation(long call, long engine, long model, Object inputs, int rows, int[] featureMask,
            String[] groupNames, Object baseline, float baselineScalar, double baselineScalarDouble, int[] targets,
            int perturbationsPerEval, boolean groupAttributions);

    static native long kernelShap(long call, long engine, long model, Object inputs, int rows, Object background,
            double[] backgroundWeights, int[] players, String[] playerNames, int[] targets, boolean logit,
            int budget, int errorBatches, int estimator, double targetStandardError, int maxBudget);

    static native long shapleySampling(long call, long engine, long model, Object inputs, int rows, Object background,
            double[] backgroundWeights, int[] players, String[] playerNames, int[] targets, boolean logit,
            int permutationPairs, double targetStandardError, int maxPermutationPairs);

    static native long integratedGradients(long call, long engine, long model, Object inputs, int rows, Object baseline,
            float baselineScalar, double baselineScalarDouble, int nSteps, int method, int internalBatchSize,
            boolean multiplyByInputs, int[] targets, int ntType, int ntSamples, float ntStdevs, double ntStdevsDouble);

    static native long saliency(long call, long engine, long model, Object inputs, int rows, boolean abs, int[] targets,
            int ntType, int ntSamples, float ntStdevs, double ntStdevsDouble);

    static native long gradientShap(long call, long engine, long model, Object inputs, int rows, Object baselines,
            int nSamples, float stdevs, double stdevsDouble, int internalBatchSize, int[] targets, int ntType,
            int ntSamples, float ntStdevs, double ntStdevsDouble);

    static native long gradCam(long call, long engine, long model, Object inputs, int rows, int[] targets,
            boolean reluAttributions, boolean upsample, int internalBatchSize);

    static native long counterfactuals(long call, long engine, long model, Object inputs, int rows, String[] featureNames,
            int[] featureKinds, int[][] featureColumns, float[][] featureCodes, Object training, int[] immutable,
            int[] allowList, int[] rangeFeatures, double[] rangeBounds, int[] settings, double[] weights);

    static native void explanationFree(long explanation);

    static native int[] explanationShape(long explanation);

    static native int[] explanationFeatureShape(long explanation);

    static native float[] explanationFloats(long explanation, int which);

    static native double[] explanationDoubles(long explanation, int which);

    static native int[] explanationOutputs(long explanation);

    static native int[] explanationRowTargets(long explanation);

    static native double[] explanationGaps(long explanation);

    static native long[] explanationModelRows(long explanation);

    static native String[] explanationTexts(long explanation);

    static native ReasonCode[] explanationReasonCodes(long explanation, int row, int output, int k,
            boolean raised);

    static native long explanationSumGroups(long explanation, int[] groups, String[] names);

    static native String explanationToJson(long explanation);

    static native double[] explanationSummary(long explanation, int row, int output);

    /** {@code a} and {@code b}: each a float[] or a double[]. */
    static native double consistency(Object a, Object b);

    static native void counterfactualsFree(long counterfactuals);

    static native int counterfactualsInstances(long counterfactuals);

    static native double[] counterfactualsInstance(long counterfactuals, int instance);

    static native double[] counterfactualsGet(long counterfactuals, int instance, int index);

    static native double[] counterfactualsRow(long counterfactuals, int instance, int index);

    static native int[] counterfactualsChanged(long counterfactuals, int instance, int index);

    static native String counterfactualsToJson(long counterfactuals);

    static native String[] counterfactualsFeatureNames(long counterfactuals);

    static native double scorecardScore(double baseScore, double baseOdds, double pointsToDoubleOdds,
            double pGood);

    /** {@code bridge}: a {@link SequenceModelBridge} (elementType 0) or a {@link DoubleSequenceModelBridge} (1). */
    static native long sequenceModelNew(Object bridge, int features, int outputLen, int maxBatchRows,
            boolean concurrent, String[] featureNames, int stateLen, int elementType);

    static native void sequenceModelFree(long model);

    static native double[] timeshapPrune(long call, long engine, long model, Object sequence, int seqLen, Object background,
            Object trainingEvents, int[] ints, double[] reals, boolean fullCurve);

    static native long timeshapExplain(long call, long engine, long model, Object sequence, int seqLen, int level,
            Object background, Object trainingEvents, int[] ints, double[] reals);

    static native double[] timeshapPruningCurve(long call, long engine, long model, Object sequence, int seqLen,
            Object background, Object trainingEvents, int[] ints, double[] reals);

    static native int[] timeshapParts(long explanation);

    static native String[] timeshapNames(long explanation);

    static native long timeshapExplanation(long explanation);

    static native void timeshapFree(long explanation);

    static native long timeshapGlobal(long call, long engine, long model, Object sequences, int[] lengths,
            Object background, Object trainingEvents, int[] ints, double[] reals, double[] tolerances, int seeds);

    static native double[] timeshapGlobalValues(long report, int which);

    static native String timeshapGlobalToJson(long report);

    static native void timeshapGlobalFree(long report);
}

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

    static native long modelNew(ModelBridge bridge, int[] inputShape, int outputLen, int maxBatchRows,
            boolean concurrent, String[] featureNames, int[] layerShape, boolean gradient);

    static native void modelFree(long model);

    static native long callNew(NativeCall call, boolean progress, long timeoutNanos, int maxModelThreads,
            boolean hasSeed, long seed, long[] rowKeys, int[] rowTargets);

    static native long rowKeyOf(byte[] id);

    static native void callCancel(long call);

    static native void callFree(long call);

    static native long occlusion(long call, long engine, long model, float[] inputs, int rows, int[] windowShape,
            int[] strides, float[] baseline, float baselineScalar, int[] targets, int perturbationsPerEval);

    static native long featureAblation(long call, long engine, long model, float[] inputs, int rows, int[] featureMask,
            String[] groupNames, float[] baseline, float baselineScalar, int[] targets, int perturbationsPerEval,
            boolean groupAttributions);

    static native long kernelShap(long call, long engine, long model, float[] inputs, int rows, float[] background,
            double[] backgroundWeights, int[] players, String[] playerNames, int[] targets, boolean logit,
            int budget, int errorBatches, int estimator, double targetStandardError, int maxBudget);

    static native long shapleySampling(long call, long engine, long model, float[] inputs, int rows, float[] background,
            double[] backgroundWeights, int[] players, String[] playerNames, int[] targets, boolean logit,
            int permutationPairs);

    static native long integratedGradients(long call, long engine, long model, float[] inputs, int rows, float[] baseline,
            float baselineScalar, int nSteps, int method, int internalBatchSize, boolean multiplyByInputs,
            int[] targets, int ntType, int ntSamples, float ntStdevs);

    static native long saliency(long call, long engine, long model, float[] inputs, int rows, boolean abs, int[] targets,
            int ntType, int ntSamples, float ntStdevs);

    static native long gradientShap(long call, long engine, long model, float[] inputs, int rows, float[] baselines,
            int nSamples, float stdevs, int internalBatchSize, int[] targets, int ntType, int ntSamples,
            float ntStdevs);

    static native long gradCam(long call, long engine, long model, float[] inputs, int rows, int[] targets,
            boolean reluAttributions, boolean upsample, int internalBatchSize);

    static native long counterfactuals(long call, long engine, long model, float[] inputs, int rows, String[] featureNames,
            int[] featureKinds, int[][] featureColumns, float[][] featureCodes, float[] training, int[] immutable,
            int[] allowList, int[] rangeFeatures, float[] rangeBounds, int[] settings, double[] weights);

    static native void explanationFree(long explanation);

    static native int[] explanationShape(long explanation);

    static native int[] explanationFeatureShape(long explanation);

    static native float[] explanationFloats(long explanation, int which);

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

    static native double consistency(float[] a, float[] b);

    static native void counterfactualsFree(long counterfactuals);

    static native int counterfactualsInstances(long counterfactuals);

    static native double[] counterfactualsInstance(long counterfactuals, int instance);

    static native double[] counterfactualsGet(long counterfactuals, int instance, int index);

    static native float[] counterfactualsRow(long counterfactuals, int instance, int index);

    static native int[] counterfactualsChanged(long counterfactuals, int instance, int index);

    static native String counterfactualsToJson(long counterfactuals);

    static native String[] counterfactualsFeatureNames(long counterfactuals);

    static native double scorecardScore(double baseScore, double baseOdds, double pointsToDoubleOdds,
            double pGood);

    static native long sequenceModelNew(SequenceModelBridge bridge, int features, int outputLen, int maxBatchRows,
            boolean concurrent, String[] featureNames, int stateLen);

    static native void sequenceModelFree(long model);

    static native double[] timeshapPrune(long call, long engine, long model, float[] sequence, int seqLen, float[] background,
            float[] trainingEvents, int[] ints, double[] reals, boolean fullCurve);

    static native long timeshapExplain(long call, long engine, long model, float[] sequence, int seqLen, int level,
            float[] background, float[] trainingEvents, int[] ints, double[] reals);

    static native double[] timeshapPruningCurve(long call, long engine, long model, float[] sequence, int seqLen,
            float[] background, float[] trainingEvents, int[] ints, double[] reals);

    static native int[] timeshapParts(long explanation);

    static native String[] timeshapNames(long explanation);

    static native long timeshapExplanation(long explanation);

    static native void timeshapFree(long explanation);

    static native long timeshapGlobal(long call, long engine, long model, float[] sequences, int[] lengths,
            float[] background, float[] trainingEvents, int[] ints, double[] reals, double[] tolerances, int seeds);

    static native double[] timeshapGlobalValues(long report, int which);

    static native String timeshapGlobalToJson(long report);

    static native void timeshapGlobalFree(long report);
}

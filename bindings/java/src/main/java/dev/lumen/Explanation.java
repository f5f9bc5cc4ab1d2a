package dev.lumen;

import java.util.List;

/**
 * The result of an explanation: attributions laid out {@code rows × outputs × features},
 * row-major, with predictions, base values, diagnostics and the audit record. The values are
 * numbers of the model's {@link #elementType()}: read a {@link DoubleModel}'s with the
 * {@code ...Double()} accessors, which keep every bit ({@link #attributionsDouble()}); the float
 * accessors round them to float (and are exact for a float {@link Model}'s). Close it to
 * release its native memory (closing twice is safe). Safe to read from several threads.
 */
public final class Explanation extends NativeHandle {
    private final int rows;
    private final int outputs;
    private final int features;
    private final boolean groupAxis;
    private final ElementType elementType;

    Explanation(long handle) {
        this(handle, shapeOrFree(handle));
    }

    private Explanation(long handle, int[] shape) {
        super("explanation", handle, NativeLumen::explanationFree);
        this.rows = shape[0];
        this.outputs = shape[1];
        this.features = shape[2];
        this.groupAxis = shape[3] == 1;
        this.elementType = ElementType.of(shape[4]);
    }

    /** The shape of the new explanation {@code handle}; frees it when even that fails. */
    private static int[] shapeOrFree(long handle) {
        try {
            return NativeLumen.explanationShape(handle);
        } catch (RuntimeException | Error e) {
            NativeLumen.explanationFree(handle);
            throw e;
        }
    }

    /**
     * Rows explained.
     *
     * @return rows explained
     */
    public int rows() {
        return rows;
    }

    /**
     * Outputs explained per row (see {@link #explainedOutputs()}).
     *
     * @return outputs explained per row (see {@link #explainedOutputs()})
     */
    public int outputs() {
        return outputs;
    }

    /**
     * Length of the feature axis: input elements, groups or players.
     *
     * @return length of the feature axis: input elements, groups or players
     */
    public int features() {
        return features;
    }

    /**
     * Whether the feature axis indexes groups (Feature Ablation per group, summed groups).
     *
     * @return whether the feature axis indexes groups (Feature Ablation per group, summed groups)
     */
    public boolean groupAxis() {
        return groupAxis;
    }

    /**
     * The element type of the explained model: {@link ElementType#F64} for a {@link DoubleModel},
     * whose values {@link #attributionsDouble()} and the other {@code ...Double()} accessors give
     * bit for bit; {@link ElementType#F32} for a float {@link Model}.
     *
     * @return the explained model's element type
     */
    public ElementType elementType() {
        return elementType;
    }

    /**
     * The feature axis's own shape, whose product is {@link #features()}: the model's input
     * shape for per-element methods (so the values of one row and output fill it row-major,
     * as Captum returns attributions), a Grad-CAM map's {@code {H, W}}, {@code {features}}
     * for groups.
     *
     * @return the feature axis's shape, outermost dimension first
     */
    public int[] featureShape() {
        long handle = acquire();
        try {
            return NativeLumen.explanationFeatureShape(handle);
        } finally {
            release();
        }
    }

    private float[] floats(int which) {
        long handle = acquire();
        try {
            return NativeLumen.explanationFloats(handle, which);
        } finally {
            release();
        }
    }

    private double[] doubles(int which) {
        long handle = acquire();
        try {
            return NativeLumen.explanationDoubles(handle, which);
        } finally {
            release();
        }
    }

    /**
     * A copy of all attributions, {@code rows × outputs × features} (rounded to float for a
     * {@link DoubleModel}: see {@link #attributionsDouble()}).
     *
     * @return a copy of all attributions, {@code rows × outputs × features}
     */
    public float[] attributions() {
        return floats(0);
    }

    /**
     * A copy of all attributions in double precision, {@code rows × outputs × features}: a
     * {@link DoubleModel}'s exactly, a float model's widened (exact).
     *
     * @return a copy of all attributions, {@code rows × outputs × features}
     */
    public double[] attributionsDouble() {
        return doubles(0);
    }

    /**
     * f(x) in double precision, {@code rows × outputs}.
     *
     * @return f(x), {@code rows × outputs}
     */
    public double[] predictionsDouble() {
        return doubles(1);
    }

    /**
     * Base values in double precision ({@code rows × outputs}).
     *
     * @return base values ({@code rows × outputs}): f(baseline), or the background mean for Shapley methods
     */
    public double[] baseValuesDouble() {
        return doubles(2);
    }

    /**
     * Standard errors of sampled estimates in double precision ({@code rows × outputs × features}),
     * or null when not sampled.
     *
     * @return standard errors of sampled estimates, or null when not sampled
     */
    public double[] standardErrorsDouble() {
        return doubles(3);
    }

    /**
     * A copy of the attributions of {@code row} for the {@code output}-th explained output.
     *
     * @param row the row, {@code 0..rows-1}
     * @param output the explained output, {@code 0..outputs-1}
     * @return its {@link #features()} attributions
     */
    public float[] attributions(int row, int output) {
        if (row < 0 || row >= rows || output < 0 || output >= outputs) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT, "row/output: (" + row + ", " + output
                    + ") is outside rows × outputs = " + rows + " × " + outputs);
        }
        float[] all = attributions();
        int start = (row * outputs + output) * features;
        return java.util.Arrays.copyOfRange(all, start, start + features);
    }

    /**
     * f(x), {@code rows × outputs}.
     *
     * @return f(x), {@code rows × outputs}
     */
    public float[] predictions() {
        return floats(1);
    }

    /**
     * Base values ({@code rows × outputs}): f(baseline), or the background mean for Shapley methods.
     *
     * @return base values ({@code rows × outputs}): f(baseline), or the background mean for Shapley methods
     */
    public float[] baseValues() {
        return floats(2);
    }

    /**
     * Standard errors of sampled estimates ({@code rows × outputs × features}), or null when not sampled.
     *
     * @return standard errors of sampled estimates ({@code rows × outputs × features}), or null when not sampled
     */
    public float[] standardErrors() {
        return floats(3);
    }

    /**
     * Each row's explained output when the call gave per-row targets
     * ({@link CallOptions#rowTargets(int...)}); then {@link #explainedOutputs()} is empty and
     * every row has one output.
     *
     * @return one model output index per row, or null when every row explains
     *     {@link #explainedOutputs()}
     */
    public int[] rowTargets() {
        long handle = acquire();
        try {
            return NativeLumen.explanationRowTargets(handle);
        } finally {
            release();
        }
    }

    /**
     * The model outputs explained for every row (indices into the model's outputs); empty with
     * per-row targets ({@link #rowTargets()}).
     *
     * @return the model outputs explained (indices into the model's outputs)
     */
    public int[] explainedOutputs() {
        long handle = acquire();
        try {
            return NativeLumen.explanationOutputs(handle);
        } finally {
            release();
        }
    }

    /**
     * Σ attributions − (f(x) − base value) per row and output ({@code rows × outputs}), or null
     * when the method does not define it (Occlusion, Saliency, Grad-CAM).
     *
     * @return the gaps, {@code rows × outputs}, or null
     */
    public double[] completenessGaps() {
        long handle = acquire();
        try {
            return NativeLumen.explanationGaps(handle);
        } finally {
            release();
        }
    }

    private long[] modelRows() {
        long handle = acquire();
        try {
            return NativeLumen.explanationModelRows(handle);
        } finally {
            release();
        }
    }

    /**
     * Model rows evaluated to explain each row.
     *
     * @return model rows evaluated to explain each row
     */
    public long[] modelRowsEvaluated() {
        return java.util.Arrays.copyOf(modelRows(), rows);
    }

    /**
     * Model rows evaluated for the whole explanation.
     *
     * @return model rows evaluated for the whole explanation
     */
    public long totalModelRowsEvaluated() {
        return modelRows()[rows];
    }

    private String[] texts() {
        long handle = acquire();
        try {
            return NativeLumen.explanationTexts(handle);
        } finally {
            release();
        }
    }

    /**
     * The method, as in the audit record: {@code occlusion}, {@code kernel_shap}, ...
     *
     * @return the method's name in the audit record
     */
    public String method() {
        return texts()[0];
    }

    /**
     * The name of every feature ({@code feature N} when unnamed).
     *
     * @return the name of every feature ({@code feature N} when unnamed)
     */
    public List<String> featureNames() {
        String[] texts = texts();
        return List.of(java.util.Arrays.copyOfRange(texts, 1, texts.length));
    }

    /**
     * Up to {@code k} players of {@code row} that moved the {@code output}-th explained output in
     * {@code direction}, strongest first (ties to the lower index; zero contributions never).
     *
     * @param row the row, {@code 0..rows-1}
     * @param output the explained output, {@code 0..outputs-1}
     * @param k the most reason codes to return
     * @param direction whether to list the players that lowered or raised the output
     * @return the reason codes, strongest first
     */
    public List<ReasonCode> reasonCodes(int row, int output, int k, Direction direction) {
        Checks.notNull(direction, "direction");
        long handle = acquire();
        try {
            return List.of(NativeLumen.explanationReasonCodes(handle, row, output, k, direction == Direction.RAISED));
        } finally {
            release();
        }
    }

    /**
     * A new explanation whose features are groups: {@code groups[f]} is the group of feature
     * {@code f} (ids {@code 0..G-1}, all used); {@code names} (optional) names the G groups.
     *
     * @param groups the group of each feature
     * @param names the names of the groups (none: unnamed)
     * @return the grouped explanation (close it when done)
     */
    public Explanation sumGroups(int[] groups, String... names) {
        long handle = acquire();
        try {
            return new Explanation(NativeLumen.explanationSumGroups(handle, groups, names));
        } finally {
            release();
        }
    }

    /**
     * Concentration, magnitude and sparsity of the attributions of {@code row} for the {@code output}-th output.
     *
     * @param row the row, {@code 0..rows-1}
     * @param output the explained output, {@code 0..outputs-1}
     * @return the summary
     */
    public AttributionSummary summary(int row, int output) {
        long handle = acquire();
        try {
            double[] s = NativeLumen.explanationSummary(handle, row, output);
            return new AttributionSummary(s[0], s[1], s[2]);
        } finally {
            release();
        }
    }

    /**
     * The audit record as JSON: method, parameters, seed, version, backend, shapes, values, diagnostics.
     *
     * @return the audit record as JSON: method, parameters, seed, version, backend, shapes, values, diagnostics
     */
    public String toJson() {
        long handle = acquire();
        try {
            return NativeLumen.explanationToJson(handle);
        } finally {
            release();
        }
    }

    /**
     * How much two attribution maps of the same length agree: |Pearson correlation| in [0, 1].
     *
     * @param a one attribution map
     * @param b the other, of the same length
     * @return |Pearson correlation| of {@code a} and {@code b}
     */
    public static double consistency(float[] a, float[] b) {
        NativeLibrary.ensureLoaded();
        return NativeLumen.consistency(a, b);
    }

    /**
     * How much two double attribution maps of the same length agree: |Pearson correlation| in
     * [0, 1].
     *
     * @param a one attribution map
     * @param b the other, of the same length
     * @return |Pearson correlation| of {@code a} and {@code b}
     */
    public static double consistency(double[] a, double[] b) {
        NativeLibrary.ensureLoaded();
        return NativeLumen.consistency(a, b);
    }
}

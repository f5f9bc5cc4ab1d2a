package dev.lumen;

/**
 * Feature Ablation's options (Captum's semantics): each group of the feature mask in turn is
 * set to the baseline. Setters return {@code this}.
 */
public final class FeatureAblationOptions {
    int[] featureMask;
    String[] groupNames;
    /** A float[] or a double[] (the model's element type), or null. */
    Object baseline;
    float baselineScalar;
    double baselineScalarDouble;
    int[] targets;
    int perturbationsPerEval;
    boolean groupAttributions;

    /**
     * The group ({@code 0..G-1}, all used) of each input element; default: each element alone.
     *
     * @param mask the group ({@code 0..G-1}, all used) of each input element; default: each element alone
     * @return these options
     */
    public FeatureAblationOptions featureMask(int... mask) {
        this.featureMask = mask;
        return this;
    }

    /**
     * The groups as lists of element indices, as Captum and shap users write them: group
     * {@code g} lists its elements, and every input element is in exactly one group.
     *
     * @param groups the element indices of each group
     * @return these options
     * @throws InvalidArgumentException when a group is empty, an element is out of range, or
     *     an element is in two groups or in none
     */
    public FeatureAblationOptions featureGroups(int[]... groups) {
        this.featureMask = Groups.elementIds(groups, "featureGroups");
        return this;
    }

    /**
     * Names of the G groups.
     *
     * @param names names of the G groups
     * @return these options
     */
    public FeatureAblationOptions groupNames(String... names) {
        this.groupNames = names;
        return this;
    }

    /**
     * One baseline row shared by all rows ({@code inputLen} values) or one per row.
     *
     * @param baseline one baseline row shared by all rows ({@code inputLen} values) or one per row
     * @return these options
     */
    public FeatureAblationOptions baseline(float[] baseline) {
        this.baseline = baseline;
        return this;
    }

    /**
     * One baseline row shared by all rows ({@code inputLen} values) or one per row, for a
     * {@link DoubleModel} (a float model refuses it with an {@link ElementTypeMismatchException}).
     *
     * @param baseline one baseline row shared by all rows ({@code inputLen} values) or one per row
     * @return these options
     */
    public FeatureAblationOptions baseline(double[] baseline) {
        this.baseline = baseline;
        return this;
    }

    /**
     * One baseline value for every element (default 0; ignored when a baseline array is set).
     *
     * @param value one baseline value for every element (default 0; ignored when a baseline array is set)
     * @return these options
     */
    public FeatureAblationOptions baseline(float value) {
        this.baselineScalar = value;
        this.baselineScalarDouble = 0;
        return this;
    }

    /**
     * One baseline value for every element, in double precision for a {@link DoubleModel}
     * (default 0; ignored when a baseline array is set). A float model refuses a non-zero double
     * value with an {@link ElementTypeMismatchException}: set it with {@link #baseline(float)}.
     *
     * @param value one baseline value for every element
     * @return these options
     */
    public FeatureAblationOptions baseline(double value) {
        this.baselineScalar = 0f;
        this.baselineScalarDouble = value;
        return this;
    }

    /**
     * The outputs to explain (default: all).
     *
     * @param targets the outputs to explain (default: all)
     * @return these options
     */
    public FeatureAblationOptions targets(int... targets) {
        this.targets = targets;
        return this;
    }

    /**
     * Most perturbed rows per model call; 0 (default) lets the engine choose.
     *
     * @param rows most perturbed rows per model call; 0 (default) lets the engine choose
     * @return these options
     */
    public FeatureAblationOptions perturbationsPerEval(int rows) {
        this.perturbationsPerEval = rows;
        return this;
    }

    /**
     * Report one value per group instead of one per element (Captum reports per element).
     *
     * @param perGroup report one value per group instead of one per element (Captum reports per element)
     * @return these options
     */
    public FeatureAblationOptions groupAttributions(boolean perGroup) {
        this.groupAttributions = perGroup;
        return this;
    }
}

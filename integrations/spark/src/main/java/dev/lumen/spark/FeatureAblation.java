package dev.lumen.spark;

import dev.lumen.CallOptions;
import dev.lumen.Engine;
import dev.lumen.Explanation;
import dev.lumen.FeatureAblationOptions;
import dev.lumen.ModelHandle;
import java.util.List;
import java.util.Map;

/**
 * Feature Ablation (Captum's semantics): each feature, or each group of columns, in turn set to
 * the baseline; with groups, one value per group. Setters return {@code this}.
 */
public final class FeatureAblation extends AttributionMethod {
    private static final long serialVersionUID = 1L;

    private float[] baseline;
    private float baselineValue;

    private FeatureAblation() {}

    /**
     * Feature Ablation with the baseline 0 for every feature (change it with {@link #baseline}).
     *
     * @return the method
     */
    public static FeatureAblation create() {
        return new FeatureAblation();
    }

    /**
     * One baseline value per feature column (e.g. the portfolio's medians).
     *
     * @param values one value per feature column
     * @return this method
     */
    public FeatureAblation baseline(float[] values) {
        this.baseline = values == null ? null : values.clone();
        return this;
    }

    /**
     * One baseline value for every feature (default 0; ignored when per-feature values are set).
     *
     * @param value the baseline value
     * @return this method
     */
    public FeatureAblation baseline(float value) {
        this.baselineValue = value;
        return this;
    }

    @Override
    public FeatureAblation groups(Map<String, List<String>> groups) {
        super.groups(groups);
        return this;
    }

    @Override
    public FeatureAblation target(int output) {
        super.target(output);
        return this;
    }

    @Override
    public FeatureAblation targets(int... outputs) {
        super.targets(outputs);
        return this;
    }

    @Override
    public String name() {
        return "feature_ablation";
    }

    @Override
    void check(String[] features) {
        super.check(features);
        if (baseline != null && baseline.length != features.length) {
            throw new IllegalArgumentException("baseline: has " + baseline.length
                    + " values, expected one per feature column (" + features.length + ")");
        }
    }

    @Override
    Explanation run(Engine engine, ModelHandle model, float[] x, int rows, CallOptions call, String[] features) {
        FeatureAblationOptions o = new FeatureAblationOptions().targets(targets).baseline(baselineValue);
        if (baseline != null) {
            o.baseline(baseline);
        }
        Players players = Players.resolve(groups, features);
        if (players.grouped()) {
            o.featureGroups(players.members).groupNames(players.names).groupAttributions(true);
        }
        return engine.featureAblation(model, x, rows, o, call);
    }
}

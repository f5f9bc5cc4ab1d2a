package dev.lumen.spark;

import dev.lumen.CallOptions;
import dev.lumen.Engine;
import dev.lumen.Explanation;
import dev.lumen.ModelHandle;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A method that attributes an output to the features (or to groups of them): {@link KernelShap}
 * and {@link FeatureAblation}. Options shared by both: groups of columns and the outputs explained.
 */
public abstract class AttributionMethod extends ExplainMethod {
    private static final long serialVersionUID = 1L;

    LinkedHashMap<String, String[]> groups;
    int[] targets = {0};

    AttributionMethod() {}

    /**
     * Attributes to groups of feature columns instead of single columns: each entry is a group's
     * name and its columns; a column in no group is a player of its own. Players are ordered by
     * their first column. Null or empty: every column alone (the default).
     *
     * @param groups group name → its feature columns, or null
     * @return this method
     */
    public AttributionMethod groups(Map<String, List<String>> groups) {
        if (groups == null || groups.isEmpty()) {
            this.groups = null;
            return this;
        }
        LinkedHashMap<String, String[]> copy = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> g : groups.entrySet()) {
            copy.put(g.getKey(), g.getValue() == null ? null : g.getValue().toArray(new String[0]));
        }
        this.groups = copy;
        return this;
    }

    /**
     * The model output explained (default 0: the first output, e.g. the probability of class 0).
     *
     * @param output the output's index
     * @return this method
     */
    public AttributionMethod target(int output) {
        return targets(output);
    }

    /**
     * The model outputs explained, one attribution vector per output; {@link LumenExplainer}
     * takes exactly one, {@link TabularSHAP} one per target class.
     *
     * @param outputs the outputs' indices (at least one, each at least 0)
     * @return this method
     */
    public AttributionMethod targets(int... outputs) {
        if (outputs == null || outputs.length == 0) {
            throw new IllegalArgumentException("targets: is empty, expected at least one output index");
        }
        for (int t : outputs) {
            if (t < 0) {
                throw new IllegalArgumentException("targets: " + Arrays.toString(outputs) + " holds " + t
                        + ", expected output indices ≥ 0");
            }
        }
        this.targets = outputs.clone();
        return this;
    }

    /**
     * The explained outputs.
     *
     * @return a copy of the explained outputs' indices
     */
    public int[] targets() {
        return targets.clone();
    }

    /**
     * The names of the attribution axis: the groups and ungrouped columns, or the columns.
     *
     * @param features the feature columns
     * @return one name per attribution value
     */
    public String[] playerNames(String[] features) {
        return Players.resolve(groups, features).names;
    }

    @Override
    void check(String[] features) {
        Players.resolve(groups, features);
    }

    /** Explains {@code rows} rows of {@code x} (row-major) under {@code call}. */
    abstract Explanation run(Engine engine, ModelHandle model, float[] x, int rows, CallOptions call,
            String[] features);
}

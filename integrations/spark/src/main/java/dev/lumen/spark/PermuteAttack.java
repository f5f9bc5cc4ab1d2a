package dev.lumen.spark;

import dev.lumen.CallOptions;
import dev.lumen.Counterfactuals;
import dev.lumen.Engine;
import dev.lumen.ModelHandle;
import dev.lumen.PermuteAttackOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PermuteAttack counterfactuals (Lumen's {@link PermuteAttackOptions}, the paper's settings by
 * default): new values are drawn from the training rows; columns may be frozen, allow-listed or
 * bounded. Each explained row gets up to {@link #counterfactuals(int) k} counterfactuals as an
 * array of structs. Setters return {@code this}.
 */
public final class PermuteAttack extends ExplainMethod {
    private static final long serialVersionUID = 1L;

    private final float[][] training;
    private int targetClass = PermuteAttackOptions.TARGET_OPPOSITE;
    private String[] immutable;
    private String[] allowList;
    private final LinkedHashMap<String, float[]> ranges = new LinkedHashMap<>();
    private int population = 30;
    private int parents = 10;
    private int generations = 100;
    private int runs = 10;
    private int counterfactuals = 3;
    private int maxChanged;
    private double maxDistance;
    private double successProbability;
    private boolean columnSampling;

    private PermuteAttack(float[][] training) {
        if (training == null || training.length == 0) {
            throw new IllegalArgumentException("training: is empty, expected at least one row of feature values");
        }
        this.training = new float[training.length][];
        for (int i = 0; i < training.length; i++) {
            if (training[i] == null) {
                throw new IllegalArgumentException("training: row " + i + " is null");
            }
            this.training[i] = training[i].clone();
        }
    }

    /**
     * A search drawing new values from {@code rows} (one array of feature values per training row,
     * in the order of the feature columns).
     *
     * @param rows the training rows (at least one)
     * @return the method
     */
    public static PermuteAttack withTraining(float[][] rows) {
        return new PermuteAttack(rows);
    }

    /**
     * The class to reach; default: the most probable other class.
     *
     * @param targetClass the class's output index
     * @return this method
     */
    public PermuteAttack targetClass(int targetClass) {
        this.targetClass = targetClass;
        return this;
    }

    /**
     * Columns that must never change (age, say).
     *
     * @param columns feature columns
     * @return this method
     */
    public PermuteAttack immutable(String... columns) {
        this.immutable = columns == null ? null : columns.clone();
        return this;
    }

    /**
     * When set, only these columns may change.
     *
     * @param columns feature columns
     * @return this method
     */
    public PermuteAttack allowList(String... columns) {
        this.allowList = columns == null ? null : columns.clone();
        return this;
    }

    /**
     * Allowed values {@code [min, max]} of a column.
     *
     * @param column the feature column
     * @param min its smallest allowed value
     * @param max its largest allowed value
     * @return this method
     */
    public PermuteAttack range(String column, float min, float max) {
        ranges.put(column, new float[] {min, max});
        return this;
    }

    /**
     * The genetic search's size: candidates per generation, parents, generations and independent
     * runs (defaults 30, 10, 100, 10).
     *
     * @param population candidates per generation
     * @param parents parents per generation
     * @param generations generations per run
     * @param runs runs per row
     * @return this method
     */
    public PermuteAttack search(int population, int parents, int generations, int runs) {
        this.population = population;
        this.parents = parents;
        this.generations = generations;
        this.runs = runs;
        return this;
    }

    /**
     * Counterfactuals reported per row (default 3).
     *
     * @param k counterfactuals per row
     * @return this method
     */
    public PermuteAttack counterfactuals(int k) {
        this.counterfactuals = k;
        return this;
    }

    /**
     * Most columns a counterfactual may change; 0 (default): no limit.
     *
     * @param columns the limit, or 0
     * @return this method
     */
    public PermuteAttack maxChanged(int columns) {
        this.maxChanged = columns;
        return this;
    }

    /**
     * Largest L2 distance of a counterfactual; 0 (default): no limit.
     *
     * @param distance the limit, or 0
     * @return this method
     */
    public PermuteAttack maxDistance(double distance) {
        this.maxDistance = distance;
        return this;
    }

    /**
     * The target class's probability to reach (an approval cutoff, say); 0 (default): its prediction.
     *
     * @param probability the probability to reach, or 0
     * @return this method
     */
    public PermuteAttack successProbability(double probability) {
        this.successProbability = probability;
        return this;
    }

    /**
     * New values as uniform draws from the training column instead of Gibbs sampling.
     *
     * @return this method
     */
    public PermuteAttack columnSampling() {
        this.columnSampling = true;
        return this;
    }

    @Override
    public String name() {
        return "permute_attack";
    }

    @Override
    void check(String[] features) {
        for (int i = 0; i < training.length; i++) {
            if (training[i].length != features.length) {
                throw new IllegalArgumentException("training: row " + i + " has " + training[i].length
                        + " values, expected one per feature column (" + features.length + ")");
            }
        }
        indices("immutable", immutable, features);
        indices("allowList", allowList, features);
        indices("range", ranges.keySet().toArray(new String[0]), features);
    }

    private static int[] indices(String option, String[] columns, String[] features) {
        if (columns == null) {
            return null;
        }
        List<String> all = Arrays.asList(features);
        int[] out = new int[columns.length];
        for (int i = 0; i < columns.length; i++) {
            out[i] = all.indexOf(columns[i]);
            if (out[i] < 0) {
                throw new IllegalArgumentException(option + ": column '" + columns[i]
                        + "' is not a feature column " + all);
            }
        }
        return out;
    }

    /** Runs the search for {@code rows} rows of {@code x}. */
    Counterfactuals run(Engine engine, ModelHandle model, float[] x, int rows, CallOptions call, String[] features) {
        int f = features.length;
        float[] flat = new float[training.length * f];
        for (int i = 0; i < training.length; i++) {
            System.arraycopy(training[i], 0, flat, i * f, f);
        }
        PermuteAttackOptions o = new PermuteAttackOptions(flat).targetClass(targetClass).population(population)
                .parents(parents).generations(generations).runs(runs).counterfactuals(counterfactuals)
                .maxChanged(maxChanged).maxDistance(maxDistance).successProbability(successProbability);
        if (columnSampling) {
            o.columnSampling();
        }
        List<dev.lumen.TabularFeature> named = new ArrayList<>();
        for (int i = 0; i < f; i++) {
            named.add(dev.lumen.TabularFeature.numeric(features[i], i));
        }
        o.features(named);
        int[] frozen = indices("immutable", immutable, features);
        if (frozen != null) {
            o.immutable(frozen);
        }
        int[] allowed = indices("allowList", allowList, features);
        if (allowed != null) {
            o.allowList(allowed);
        }
        for (Map.Entry<String, float[]> r : ranges.entrySet()) {
            o.range(Arrays.asList(features).indexOf(r.getKey()), r.getValue()[0], r.getValue()[1]);
        }
        return engine.counterfactuals(model, x, rows, o, call);
    }
}

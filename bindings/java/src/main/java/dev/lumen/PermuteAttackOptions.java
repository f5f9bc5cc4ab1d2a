package dev.lumen;

import java.util.ArrayList;
import java.util.List;

/**
 * PermuteAttack's options (Hashemi &amp; Fathi, 2020; the paper's settings by default):
 * population 30, 10 parents, 100 generations, 10 runs, ρ0 = 0.05, ρ1 = 0.01, τ = 0.5, decay
 * 0.96, Gibbs sampling with 5 bins and 5 sweeps, 3 counterfactuals. Setters return {@code this}.
 */
public final class PermuteAttackOptions {
    /** {@link #targetClass(int)} value that aims for the other (most probable other) class. */
    public static final int TARGET_OPPOSITE = -1;

    /** A float[] or a double[] (the model's element type). */
    final Object training;
    List<TabularFeature> features;
    int targetClass = TARGET_OPPOSITE;
    int[] immutable;
    int[] allowList;
    final List<int[]> rangeFeatures = new ArrayList<>();
    final List<double[]> rangeBounds = new ArrayList<>();
    int population = 30;
    int parents = 10;
    int generations = 100;
    int runs = 10;
    double rho0 = 0.05;
    double rho1 = 0.01;
    double temperature = 0.5;
    double decay = 0.96;
    int maxChanged;
    double maxDistance;
    double successProbability;
    int counterfactuals = 3;
    boolean gibbs = true;
    int gibbsBins = 5;
    int gibbsIterations = 5;

    /**
     * A search drawing new values from {@code training} ({@code n × inputLen} rows, n ≥ 1).
     *
     * @param training the training rows the new values come from, row-major
     */
    public PermuteAttackOptions(float[] training) {
        this.training = training;
    }

    /**
     * A search for a {@link DoubleModel} drawing new values from {@code training}
     * ({@code n × inputLen} rows, n ≥ 1).
     *
     * @param training the training rows the new values come from, row-major
     */
    public PermuteAttackOptions(double[] training) {
        this.training = training;
    }

    /**
     * The logical features (default: every column a numeric feature).
     *
     * @param features the logical features (default: every column a numeric feature)
     * @return these options
     */
    public PermuteAttackOptions features(List<TabularFeature> features) {
        this.features = features == null ? null : List.copyOf(features);
        return this;
    }

    /**
     * The class to reach, or {@link #TARGET_OPPOSITE} (the default).
     *
     * @param targetClass the class to reach, or {@link #TARGET_OPPOSITE} (the default)
     * @return these options
     */
    public PermuteAttackOptions targetClass(int targetClass) {
        this.targetClass = targetClass;
        return this;
    }

    /**
     * Logical features that must never change.
     *
     * @param features logical features that must never change
     * @return these options
     */
    public PermuteAttackOptions immutable(int... features) {
        this.immutable = features;
        return this;
    }

    /**
     * If set, only these logical features may change.
     *
     * @param features if set, only these logical features may change
     * @return these options
     */
    public PermuteAttackOptions allowList(int... features) {
        this.allowList = features;
        return this;
    }

    /**
     * Allowed values {@code [min, max]} of a numeric feature.
     *
     * @param feature the feature
     * @param min its smallest allowed value
     * @param max its largest allowed value
     * @return these options
     */
    public PermuteAttackOptions range(int feature, float min, float max) {
        rangeFeatures.add(new int[] {feature});
        rangeBounds.add(new double[] {min, max});
        return this;
    }

    /**
     * Allowed values {@code [min, max]} of a numeric feature, in double precision (for a model of
     * either element type: the bounds are compared in double).
     *
     * @param feature the feature
     * @param min its smallest allowed value
     * @param max its largest allowed value
     * @return these options
     */
    public PermuteAttackOptions range(int feature, double min, double max) {
        rangeFeatures.add(new int[] {feature});
        rangeBounds.add(new double[] {min, max});
        return this;
    }

    /**
     * Candidates per generation (default 30).
     *
     * @param population candidates per generation (default 30)
     * @return these options
     */
    public PermuteAttackOptions population(int population) {
        this.population = population;
        return this;
    }

    /**
     * Parents drawn per generation (default 10).
     *
     * @param parents parents drawn per generation (default 10)
     * @return these options
     */
    public PermuteAttackOptions parents(int parents) {
        this.parents = parents;
        return this;
    }

    /**
     * Generations per run (default 100).
     *
     * @param generations generations per run (default 100)
     * @return these options
     */
    public PermuteAttackOptions generations(int generations) {
        this.generations = generations;
        return this;
    }

    /**
     * Independent runs per instance (default 10).
     *
     * @param runs independent runs per instance (default 10)
     * @return these options
     */
    public PermuteAttackOptions runs(int runs) {
        this.runs = runs;
        return this;
    }

    /**
     * Fitness penalties per changed feature (ρ0) and per unit of L2 distance (ρ1).
     *
     * @param rho0 the penalty per changed feature (ρ0)
     * @param rho1 the penalty per unit of L2 distance (ρ1)
     * @return these options
     */
    public PermuteAttackOptions penalties(double rho0, double rho1) {
        this.rho0 = rho0;
        this.rho1 = rho1;
        return this;
    }

    /**
     * Softmax temperature of parent selection (default 0.5).
     *
     * @param temperature softmax temperature of parent selection (default 0.5)
     * @return these options
     */
    public PermuteAttackOptions temperature(double temperature) {
        this.temperature = temperature;
        return this;
    }

    /**
     * Factor applied to the penalties after a generation without success (default 0.96).
     *
     * @param decay factor applied to the penalties after a generation without success (default 0.96)
     * @return these options
     */
    public PermuteAttackOptions decay(double decay) {
        this.decay = decay;
        return this;
    }

    /**
     * Most features a counterfactual may change; 0 (default) means no limit.
     *
     * @param features most features a counterfactual may change; 0 (default) means no limit
     * @return these options
     */
    public PermuteAttackOptions maxChanged(int features) {
        this.maxChanged = features;
        return this;
    }

    /**
     * Largest L2 distance of a counterfactual; 0 (default) means no limit.
     *
     * @param distance largest L2 distance of a counterfactual; 0 (default) means no limit
     * @return these options
     */
    public PermuteAttackOptions maxDistance(double distance) {
        this.maxDistance = distance;
        return this;
    }

    /**
     * The target class's probability to reach (e.g. an approval cutoff); 0 (default): its prediction.
     *
     * @param probability the target class's probability to reach (e.g. an approval cutoff); 0 (default): its prediction
     * @return these options
     */
    public PermuteAttackOptions successProbability(double probability) {
        this.successProbability = probability;
        return this;
    }

    /**
     * Counterfactuals reported per instance (default 3).
     *
     * @param k counterfactuals reported per instance (default 3)
     * @return these options
     */
    public PermuteAttackOptions counterfactuals(int k) {
        this.counterfactuals = k;
        return this;
    }

    /**
     * New values as uniform draws from the training column instead of Gibbs sampling.
     *
     * @return these options
     */
    public PermuteAttackOptions columnSampling() {
        this.gibbs = false;
        return this;
    }

    /**
     * Gibbs sampling with {@code bins} quantile bins and {@code iterations} sweeps (the default, 5 and 5).
     *
     * @param bins quantile bins per numeric feature
     * @param iterations Gibbs sweeps
     * @return these options
     */
    public PermuteAttackOptions gibbsSampling(int bins, int iterations) {
        this.gibbs = true;
        this.gibbsBins = bins;
        this.gibbsIterations = iterations;
        return this;
    }

    /** Runs the search; returns the result handle. */
    long run(long call, long engine, long model, Object inputs, int rows) {
        String[] names = null;
        int[] kinds = null;
        int[][] columns = null;
        float[][] codes = null;
        if (features != null) {
            names = new String[features.size()];
            kinds = new int[features.size()];
            columns = new int[features.size()][];
            codes = new float[features.size()][];
            for (int f = 0; f < features.size(); f++) {
                TabularFeature feature = Checks.notNull(features.get(f), "features[" + f + "]");
                names[f] = feature.name() == null ? "feature " + f : feature.name();
                kinds[f] = feature.codes() != null ? 2 : feature.categorical() ? 1 : 0;
                columns[f] = feature.columns();
                codes[f] = feature.codes();
            }
        }
        int[] ranged = rangeFeatures.stream().mapToInt(r -> r[0]).toArray();
        double[] bounds = new double[2 * rangeBounds.size()];
        for (int i = 0; i < rangeBounds.size(); i++) {
            bounds[2 * i] = rangeBounds.get(i)[0];
            bounds[2 * i + 1] = rangeBounds.get(i)[1];
        }
        int[] settings = {population, parents, generations, runs, maxChanged, counterfactuals, gibbs ? 1 : 0,
            gibbsBins, gibbsIterations, targetClass};
        double[] weights = {rho0, rho1, temperature, decay, maxDistance, successProbability};
        return NativeLumen.counterfactuals(call, engine, model, inputs, rows, names, kinds, columns, codes, training,
                immutable, allowList, ranged, bounds, settings, weights);
    }
}

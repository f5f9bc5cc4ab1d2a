package dev.lumen.spark;

import dev.lumen.CallOptions;
import dev.lumen.Engine;
import dev.lumen.Estimator;
import dev.lumen.Explanation;
import dev.lumen.KernelShapOptions;
import dev.lumen.ModelHandle;
import java.util.List;
import java.util.Map;

/**
 * KernelSHAP over a background set, with standard errors (Lumen's {@link KernelShapOptions}):
 * background rows and weights, groups, targets, link, coalition budget, estimator and an optional
 * target standard error. Setters return {@code this}.
 */
public final class KernelShap extends AttributionMethod {
    private static final long serialVersionUID = 1L;

    private final float[][] background;
    private double[] weights;
    private boolean logit;
    private int budget;
    private int errorBatches;
    private Estimator estimator;
    private double targetStandardError;
    private int maxBudget;

    private KernelShap(float[][] background) {
        if (background == null || background.length == 0) {
            throw new IllegalArgumentException("background: is empty, expected at least one row of feature values");
        }
        this.background = new float[background.length][];
        for (int i = 0; i < background.length; i++) {
            if (background[i] == null) {
                throw new IllegalArgumentException("background: row " + i + " is null");
            }
            this.background[i] = background[i].clone();
        }
    }

    /**
     * KernelSHAP over {@code rows}, one array of feature values per background row, in the order of
     * the feature columns (see {@link LumenExplainer#collectRows} to take them from a Dataset).
     *
     * @param rows the background rows (at least one)
     * @return the method
     */
    public static KernelShap withBackground(float[][] rows) {
        return new KernelShap(rows);
    }

    /**
     * One weight per background row (default uniform).
     *
     * @param weights one weight per background row
     * @return this method
     */
    public KernelShap backgroundWeights(double... weights) {
        this.weights = weights == null ? null : weights.clone();
        return this;
    }

    /**
     * Explain a probability in log-odds (default: the model's own output).
     *
     * @param logit whether to explain log-odds
     * @return this method
     */
    public KernelShap logitLink(boolean logit) {
        this.logit = logit;
        return this;
    }

    /**
     * Coalitions per row; 0 (default) means 2M + 2048 for M players (exact when that covers them all).
     *
     * @param coalitions coalitions per row, or 0
     * @return this method
     */
    public KernelShap budget(int coalitions) {
        if (coalitions < 0) {
            throw new IllegalArgumentException("budget: is " + coalitions + ", expected ≥ 0 (0: the default)");
        }
        this.budget = coalitions;
        return this;
    }

    /**
     * Jackknife groups of the standard errors (0: Lumen's default, 64; else at least 2).
     *
     * @param batches jackknife groups, or 0
     * @return this method
     */
    public KernelShap errorBatches(int batches) {
        this.errorBatches = batches;
        return this;
    }

    /**
     * How coalitions are sampled and weighted (default: Lumen's default estimator).
     *
     * @param estimator the estimator
     * @return this method
     */
    public KernelShap estimator(Estimator estimator) {
        this.estimator = estimator;
        return this;
    }

    /**
     * Samples in rounds until every value's standard error is at most {@code standardError}, or
     * {@link #maxBudget(int)} coalitions are spent.
     *
     * @param standardError the target, finite and above 0
     * @return this method
     */
    public KernelShap targetStandardError(double standardError) {
        this.targetStandardError = standardError;
        return this;
    }

    /**
     * The most coalitions per row a target standard error may spend.
     *
     * @param coalitions the cap, at least 2
     * @return this method
     */
    public KernelShap maxBudget(int coalitions) {
        this.maxBudget = coalitions;
        return this;
    }

    @Override
    public KernelShap groups(Map<String, List<String>> groups) {
        super.groups(groups);
        return this;
    }

    @Override
    public KernelShap target(int output) {
        super.target(output);
        return this;
    }

    @Override
    public KernelShap targets(int... outputs) {
        super.targets(outputs);
        return this;
    }

    @Override
    public String name() {
        return "kernel_shap";
    }

    @Override
    void check(String[] features) {
        super.check(features);
        for (int i = 0; i < background.length; i++) {
            if (background[i].length != features.length) {
                throw new IllegalArgumentException("background: row " + i + " has " + background[i].length
                        + " values, expected one per feature column (" + features.length + ")");
            }
        }
        if (weights != null && weights.length != background.length) {
            throw new IllegalArgumentException("backgroundWeights: has " + weights.length
                    + " weights, expected one per background row (" + background.length + ")");
        }
        if (targetStandardError != 0) {
            options();
        }
    }

    /** Lumen's options for this method. */
    private KernelShapOptions options() {
        int n = background.length;
        int f = background[0].length;
        float[] flat = new float[n * f];
        for (int i = 0; i < n; i++) {
            System.arraycopy(background[i], 0, flat, i * f, f);
        }
        KernelShapOptions o = new KernelShapOptions(flat).targets(targets).logitLink(logit).budget(budget)
                .errorBatches(errorBatches);
        if (weights != null) {
            o.backgroundWeights(weights);
        }
        if (estimator != null) {
            o.estimator(estimator);
        }
        if (targetStandardError != 0) {
            o.targetStandardError(targetStandardError);
        }
        if (maxBudget != 0) {
            o.maxBudget(maxBudget);
        }
        return o;
    }

    @Override
    Explanation run(Engine engine, ModelHandle model, float[] x, int rows, CallOptions call, String[] features) {
        KernelShapOptions o = options();
        Players players = Players.resolve(groups, features);
        if (players.grouped()) {
            o.playerGroups(players.members).playerNames(players.names);
        }
        return engine.kernelShap(model, x, rows, o, call);
    }
}

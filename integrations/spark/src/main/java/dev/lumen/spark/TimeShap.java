package dev.lumen.spark;

import dev.lumen.Estimator;
import dev.lumen.TimeShapLevel;
import dev.lumen.TimeShapOptions;
import java.io.Serializable;

/**
 * TimeSHAP's options as a Spark job carries them (Lumen's {@link TimeShapOptions}): the
 * background (one event, or the mean of training events), the level (events, features or cells),
 * optional temporal coalition pruning, the coalition budget and estimator, the explained output
 * and link.
 * Setters return {@code this}.
 */
public final class TimeShap implements Serializable {
    private static final long serialVersionUID = 1L;

    private final float[] background;
    private final float[] trainingEvents;
    private TimeShapLevel level = TimeShapLevel.EVENT;
    private Double tolerance;
    private int budget = 32000;
    private int errorBatches;
    private Estimator estimator;
    private int target;
    private boolean logit;
    private int topEvents = 3;
    private int topFeatures = 3;

    private TimeShap(float[] background, float[] trainingEvents) {
        this.background = background;
        this.trainingEvents = trainingEvents;
    }

    /**
     * TimeSHAP against one background event, repeated at every position.
     *
     * @param event one value per feature column
     * @return the options
     */
    public static TimeShap withBackgroundEvent(float[] event) {
        if (event == null || event.length == 0) {
            throw new IllegalArgumentException("background event: is empty, expected one value per feature column");
        }
        return new TimeShap(event.clone(), null);
    }

    /**
     * TimeSHAP against the mean of {@code events} (the paper's choice).
     *
     * @param events training events, one array of feature values each
     * @return the options
     */
    public static TimeShap withAverageEventOf(float[][] events) {
        if (events == null || events.length == 0) {
            throw new IllegalArgumentException("training events: is empty, expected at least one event");
        }
        int f = events[0].length;
        float[] flat = new float[events.length * f];
        for (int i = 0; i < events.length; i++) {
            if (events[i].length != f) {
                throw new IllegalArgumentException("training events: event " + i + " has " + events[i].length
                        + " values, expected " + f);
            }
            System.arraycopy(events[i], 0, flat, i * f, f);
        }
        return new TimeShap(null, flat);
    }

    /**
     * What the values are attributed to (default {@link TimeShapLevel#EVENT}).
     *
     * @param level events, features or cells
     * @return these options
     */
    public TimeShap level(TimeShapLevel level) {
        if (level == null) {
            throw new IllegalArgumentException("level: is null, expected EVENT, FEATURE or CELL");
        }
        this.level = level;
        return this;
    }

    /**
     * Temporal coalition pruning with tolerance η (finite, ≥ 0); default: no pruning.
     *
     * @param eta the tolerance
     * @return these options
     */
    public TimeShap tolerance(double eta) {
        if (!(Double.isFinite(eta) && eta >= 0)) {
            throw new IllegalArgumentException("tolerance: is " + eta + ", expected a finite η ≥ 0");
        }
        this.tolerance = eta;
        return this;
    }

    /**
     * Coalitions per sequence (at least 2; default 32000; exact when every coalition fits).
     *
     * @param coalitions the budget
     * @return these options
     */
    public TimeShap budget(int coalitions) {
        this.budget = coalitions;
        return this;
    }

    /**
     * The most jackknife groups the standard errors of sampled values use. 0 (default): the
     * engine's default, 64; otherwise at least 2.
     *
     * @param batches jackknife groups (at least 2), or 0 for the engine's default
     * @return these options
     */
    public TimeShap errorBatches(int batches) {
        this.errorBatches = batches;
        return this;
    }

    /**
     * The KernelSHAP estimator of the levels whose coalitions are sampled (default: the
     * engine's, {@link Estimator#LEVERAGE_TOP_TRIPLES}; {@link Estimator#LEVERAGE_STRATIFIED}
     * gives Lumen 0.2's values). Recorded in each explanation's JSON.
     *
     * @param estimator the estimator
     * @return these options
     */
    public TimeShap estimator(Estimator estimator) {
        if (estimator == null) {
            throw new IllegalArgumentException("estimator: is null, expected an Estimator");
        }
        this.estimator = estimator;
        return this;
    }

    /**
     * The model output explained (default 0).
     *
     * @param output the output's index
     * @return these options
     */
    public TimeShap target(int output) {
        this.target = output;
        return this;
    }

    /**
     * Values in log-odds (outputs must be probabilities strictly between 0 and 1).
     *
     * @param logit whether to explain log-odds
     * @return these options
     */
    public TimeShap logit(boolean logit) {
        this.logit = logit;
        return this;
    }

    /**
     * Cell level: the {@code events} events and {@code features} features of largest |value| are
     * relevant (default 3 and 3).
     *
     * @param events relevant events
     * @param features relevant features
     * @return these options
     */
    public TimeShap topK(int events, int features) {
        this.topEvents = events;
        this.topFeatures = features;
        return this;
    }

    /**
     * The level.
     *
     * @return the level
     */
    public TimeShapLevel level() {
        return level;
    }

    /** Checks the background against the feature count, on the driver. */
    void check(int features) {
        if (background != null && background.length != features) {
            throw new IllegalArgumentException("background event: has " + background.length
                    + " values, expected one per feature column (" + features + ")");
        }
        if (trainingEvents != null && trainingEvents.length % features != 0) {
            throw new IllegalArgumentException("training events: have " + trainingEvents.length
                    + " values, expected a multiple of the feature columns (" + features + ")");
        }
        options(tolerance);
    }

    /** Lumen's options, with pruning at {@code eta} (null: none). */
    TimeShapOptions options(Double eta) {
        TimeShapOptions o = background != null ? new TimeShapOptions(background)
                : TimeShapOptions.averageEventOf(trainingEvents);
        o.budget(budget).errorBatches(errorBatches).target(target).logit(logit).topK(topEvents, topFeatures);
        if (estimator != null) {
            o.estimator(estimator);
        }
        if (eta != null) {
            o.tolerance(eta);
        }
        return o;
    }

    /** Lumen's options as configured. */
    TimeShapOptions options() {
        return options(tolerance);
    }
}

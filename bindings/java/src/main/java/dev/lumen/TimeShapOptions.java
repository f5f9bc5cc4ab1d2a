package dev.lumen;

/**
 * Options of the TimeSHAP methods, with the library's defaults: no pruning, 32000 coalitions
 * per explanation (exact when {@code 2^M − 2} fit), 10 error batches, output 0, identity link,
 * the model's state methods when it has them, and for cell level the top 3 events and 3
 * features. Setters return {@code this}.
 */
public final class TimeShapOptions {
    final float[] background;
    final float[] trainingEvents;
    boolean prune;
    double tolerance;
    int budget = 32000;
    int errorBatches = 10;
    int target;
    boolean logit;
    boolean useState = true;
    boolean threshold;
    int topEvents = 3;
    int topFeatures = 3;
    double eventThreshold;
    double featureThreshold;

    private TimeShapOptions(float[] background, float[] trainingEvents) {
        this.background = background;
        this.trainingEvents = trainingEvents;
    }

    /**
     * Options over {@code background}: one event ({@code features} values, repeated at every
     * position) or a whole sequence ({@code seqLen × features} values, for sequences of exactly
     * that length).
     *
     * @param background one event or one whole sequence, event-major
     */
    public TimeShapOptions(float[] background) {
        this(Checks.notNull(background, "background").clone(), null);
    }

    /**
     * Options whose background is the mean event of {@code events} ({@code n × features} values; the paper's choice).
     *
     * @param events training events, event-major ({@code n × features} values)
     * @return the options
     */
    public static TimeShapOptions averageEventOf(float[] events) {
        return new TimeShapOptions(null, Checks.notNull(events, "trainingEvents").clone());
    }

    /**
     * Turns temporal coalition pruning on with tolerance η (finite, ≥ 0): the older events are
     * lumped at the first split, walking back from the most recent event, where their Shapley
     * value is at most η in magnitude.
     *
     * @param eta the pruning tolerance η (finite, ≥ 0)
     * @return these options
     */
    public TimeShapOptions tolerance(double eta) {
        this.prune = true;
        this.tolerance = eta;
        return this;
    }

    /**
     * Coalitions per explanation (at least 2; default 32000).
     *
     * @param coalitions coalitions per explanation (at least 2; default 32000)
     * @return these options
     */
    public TimeShapOptions budget(int coalitions) {
        this.budget = coalitions;
        return this;
    }

    /**
     * Sample batches for the standard errors (at least 2; default 10).
     *
     * @param batches sample batches for the standard errors (at least 2; default 10)
     * @return these options
     */
    public TimeShapOptions errorBatches(int batches) {
        this.errorBatches = batches;
        return this;
    }

    /**
     * The model output explained (default 0).
     *
     * @param output the model output explained (default 0)
     * @return these options
     */
    public TimeShapOptions target(int output) {
        this.target = output;
        return this;
    }

    /**
     * Values in log-odds (the outputs must be probabilities strictly between 0 and 1).
     *
     * @param logit values in log-odds (the outputs must be probabilities strictly between 0 and 1)
     * @return these options
     */
    public TimeShapOptions logit(boolean logit) {
        this.logit = logit;
        return this;
    }

    /**
     * Whether to use the model's state methods when it has them (default true; same values).
     *
     * @param useState whether to use the model's state methods when it has them (default true; same values)
     * @return these options
     */
    public TimeShapOptions useState(boolean useState) {
        this.useState = useState;
        return this;
    }

    /**
     * Cell level: the {@code events} events and {@code features} features of largest |value| are relevant.
     *
     * @param events the number of relevant events
     * @param features the number of relevant features
     * @return these options
     */
    public TimeShapOptions topK(int events, int features) {
        this.threshold = false;
        this.topEvents = events;
        this.topFeatures = features;
        return this;
    }

    /**
     * Cell level: events and features whose |value| reaches the thresholds are relevant.
     *
     * @param events the threshold on an event's |value|
     * @param features the threshold on a feature's |value|
     * @return these options
     */
    public TimeShapOptions thresholds(double events, double features) {
        this.threshold = true;
        this.eventThreshold = events;
        this.featureThreshold = features;
        return this;
    }

    /** The integer settings as the natives read them. */
    int[] ints() {
        return new int[] {prune ? 1 : 0, budget, errorBatches, target, logit ? 1 : 0, useState ? 1 : 0,
            threshold ? 1 : 0, topEvents, topFeatures};
    }

    /** The real settings as the natives read them. */
    double[] reals() {
        return new double[] {tolerance, eventThreshold, featureThreshold};
    }
}

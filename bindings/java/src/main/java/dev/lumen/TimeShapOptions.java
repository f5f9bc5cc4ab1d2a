package dev.lumen;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Options of the TimeSHAP methods, with the library's defaults: no pruning, 32000 coalitions
 * per explanation (exact when {@code 2^M − 2} fit), 10 error batches, output 0, identity link,
 * the model's state methods when it has them, and for cell level the top 3 events and 3
 * features. Setters return {@code this}. {@link #builder(float[])} builds the same options,
 * also from named settings (the {@code timeshap} package's names among them), refusing an
 * unknown name with an {@link InvalidArgumentException} that lists the valid ones.
 */
public final class TimeShapOptions {
    /** A float[] or a double[] (the model's element type), or null. */
    final Object background;
    /** A float[] or a double[] (the model's element type), or null. */
    final Object trainingEvents;
    boolean prune;
    double tolerance;
    int budget = 32000;
    int errorBatches;
    int target;
    boolean logit;
    boolean useState = true;
    boolean threshold;
    int topEvents = 3;
    int topFeatures = 3;
    double eventThreshold;
    double featureThreshold;
    int pruningIndex;
    Estimator estimator;

    private TimeShapOptions(Object background, Object trainingEvents) {
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
     * Options over a double {@code background} for a {@link DoubleSequenceModel}: one event
     * ({@code features} values) or a whole sequence ({@code seqLen × features} values).
     *
     * @param background one event or one whole sequence, event-major
     */
    public TimeShapOptions(double[] background) {
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
     * Options for a {@link DoubleSequenceModel} whose background is the mean event of the double
     * {@code events} ({@code n × features} values).
     *
     * @param events training events, event-major ({@code n × features} values)
     * @return the options
     */
    public static TimeShapOptions averageEventOf(double[] events) {
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
     * Prunes at a fixed index instead of searching with a tolerance: the {@code timeshap}
     * package's {@code pruning_idx}. A negative {@code -k} keeps the last {@code k} events as
     * players and lumps the older ones into one ({@code -seqLen} keeps every event); the
     * natives refuse it with a tolerance, when not negative, or below {@code -seqLen}.
     * 0 (the default) sets no fixed index.
     *
     * @param index the negative pruning index, or 0 for none
     * @return these options
     */
    public TimeShapOptions pruningIndex(int index) {
        this.pruningIndex = index;
        return this;
    }

    /**
     * The KernelSHAP estimator of the levels whose coalitions are sampled (default: the engine's,
     * {@link Estimator#LEVERAGE_TOP_TRIPLES} today; {@link Estimator#LEVERAGE_STRATIFIED} gives
     * Lumen 0.2's values). The estimator used is recorded in the explanation's JSON. Since 0.3.
     *
     * @param estimator the estimator
     * @return these options
     * @throws InvalidArgumentException ({@code NULL_POINTER}) when {@code estimator} is null
     */
    public TimeShapOptions estimator(Estimator estimator) {
        this.estimator = Checks.notNull(estimator, "estimator");
        return this;
    }

    /**
     * Coalitions per explanation (at least 2; default 32000). 0 keeps the default, as in C.
     *
     * @param coalitions coalitions per explanation (at least 2), or 0 for the default 32000
     * @return these options
     */
    public TimeShapOptions budget(int coalitions) {
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
            threshold ? 1 : 0, topEvents, topFeatures, pruningIndex, estimator == null ? 0 : estimator.code()};
    }

    /** The real settings as the natives read them. */
    double[] reals() {
        return new double[] {tolerance, eventThreshold, featureThreshold};
    }

    /**
     * A builder of options over {@code background} (as {@link #TimeShapOptions(float[])}).
     *
     * @param background one event or one whole sequence, event-major
     * @return a builder
     */
    public static Builder builder(float[] background) {
        return new Builder(new TimeShapOptions(background));
    }

    /**
     * A builder of options over a double {@code background} (as {@link #TimeShapOptions(double[])}).
     *
     * @param background one event or one whole sequence, event-major
     * @return the builder
     */
    public static Builder builder(double[] background) {
        return new Builder(new TimeShapOptions(background));
    }

    /**
     * A builder of options whose background is the mean event of {@code events} (as
     * {@link #averageEventOf(float[])}).
     *
     * @param events training events, event-major ({@code n × features} values)
     * @return a builder
     */
    public static Builder builderAverageEventOf(float[] events) {
        return new Builder(averageEventOf(events));
    }

    /**
     * A builder of options whose background is the mean event of the double {@code events} (as
     * {@link #averageEventOf(double[])}).
     *
     * @param events training events, event-major ({@code n × features} values)
     * @return the builder
     */
    public static Builder builderAverageEventOf(double[] events) {
        return new Builder(averageEventOf(events));
    }

    /**
     * Builds {@link TimeShapOptions} from typed setters or from named settings. Named settings
     * take Lumen's names (camelCase, or the snake_case of the C and Python APIs) and the
     * {@code timeshap} package's: {@code nsamples} (= budget), {@code pruning_idx} (=
     * pruningIndex), {@code top_x_events} (= topEvents), {@code top_x_feats} (= topFeatures),
     * {@code tol} (= tolerance). {@code estimator} takes an {@link Estimator} or its name (see
     * {@link Estimator#named(String)}; {@code "default"} keeps the engine's). An unknown name, a
     * value of the wrong type, a setting given
     * twice under two names, or a tolerance together with a pruning index throws an
     * {@link InvalidArgumentException}. Not thread-safe.
     */
    public static final class Builder {
        /** The settings by canonical name, in order. */
        private static final List<String> SETTINGS = List.of("tolerance", "pruningIndex", "budget", "errorBatches",
                "target", "logit", "useState", "topEvents", "topFeatures", "eventThreshold", "featureThreshold",
                "estimator");
        /** Every accepted name and the setting it stands for. */
        private static final Map<String, String> NAMES = names();

        private final TimeShapOptions options;
        private final Map<String, String> given = new LinkedHashMap<>();
        private boolean hasTolerance;

        private Builder(TimeShapOptions options) {
            this.options = options;
        }

        private static Map<String, String> names() {
            Map<String, String> names = new LinkedHashMap<>();
            for (String setting : SETTINGS) {
                names.put(setting, setting);
                names.put(setting.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT), setting);
            }
            names.put("nsamples", "budget");
            names.put("pruning_idx", "pruningIndex");
            names.put("top_x_events", "topEvents");
            names.put("top_x_feats", "topFeatures");
            names.put("tol", "tolerance");
            return Map.copyOf(names);
        }

        private void mark(String setting, String as) {
            String before = given.putIfAbsent(setting, as);
            if (before != null && !before.equals(as)) {
                throw new InvalidArgumentException(Status.INVALID_ARGUMENT, "TimeShapOptions: " + setting
                        + " is given twice (as " + before + " and as " + as + ")");
            }
        }

        /**
         * Sets one setting by name (see the class documentation for the names).
         *
         * @param name the setting's name
         * @param value a {@link Number} (a {@link Boolean} for {@code logit} and {@code useState}, an
         *     {@link Estimator} or its name for {@code estimator})
         * @return this builder
         * @throws InvalidArgumentException for an unknown name or a value of the wrong type
         */
        public Builder set(String name, Object value) {
            Checks.notNull(name, "name");
            String setting = NAMES.get(name);
            if (setting == null) {
                throw new InvalidArgumentException(Status.INVALID_ARGUMENT, "TimeShapOptions: unknown setting '" + name
                        + "'; valid settings: " + String.join(", ", SETTINGS)
                        + " (or their snake_case); timeshap's names: nsamples (= budget), pruning_idx (= pruningIndex),"
                        + " top_x_events (= topEvents), top_x_feats (= topFeatures), tol (= tolerance)");
            }
            mark(setting, name);
            if (setting.equals("estimator")) {
                return estimatorSetting(value);
            }
            boolean flag = setting.equals("logit") || setting.equals("useState");
            if (flag ? !(value instanceof Boolean) : !(value instanceof Number)) {
                throw new InvalidArgumentException(Status.INVALID_ARGUMENT, "TimeShapOptions: " + name + " is "
                        + (value == null ? "null" : value.getClass().getSimpleName()) + ", expected a "
                        + (flag ? "Boolean" : "Number"));
            }
            switch (setting) {
                case "tolerance" -> tolerance(((Number) value).doubleValue());
                case "pruningIndex" -> pruningIndex(((Number) value).intValue());
                case "budget" -> options.budget(((Number) value).intValue());
                case "errorBatches" -> options.errorBatches(((Number) value).intValue());
                case "target" -> options.target(((Number) value).intValue());
                case "logit" -> options.logit((Boolean) value);
                case "useState" -> options.useState((Boolean) value);
                case "topEvents" -> options.topK(((Number) value).intValue(), options.topFeatures);
                case "topFeatures" -> options.topK(options.topEvents, ((Number) value).intValue());
                case "eventThreshold" -> options.thresholds(((Number) value).doubleValue(), options.featureThreshold);
                default -> options.thresholds(options.eventThreshold, ((Number) value).doubleValue());
            }
            return this;
        }

        private Builder estimatorSetting(Object value) {
            if (value instanceof Estimator estimator) {
                options.estimator(estimator);
            } else if (value instanceof String name) {
                options.estimator = name.trim().equalsIgnoreCase("default") ? null : Estimator.named(name);
            } else {
                throw new InvalidArgumentException(Status.INVALID_ARGUMENT, "TimeShapOptions: estimator is "
                        + (value == null ? "null" : value.getClass().getSimpleName())
                        + ", expected an Estimator or its name");
            }
            return this;
        }

        /**
         * Sets every entry of {@code settings} by name, in the map's order.
         *
         * @param settings settings by name
         * @return this builder
         * @throws InvalidArgumentException as {@link #set(String, Object)}
         */
        public Builder setAll(Map<String, ?> settings) {
            Checks.notNull(settings, "settings").forEach(this::set);
            return this;
        }

        /**
         * The pruning tolerance η (see {@link TimeShapOptions#tolerance(double)}).
         *
         * @param eta the pruning tolerance η (finite, ≥ 0)
         * @return this builder
         */
        public Builder tolerance(double eta) {
            options.tolerance(eta);
            hasTolerance = true;
            return this;
        }

        /**
         * A fixed pruning index, the package's {@code pruning_idx} (see
         * {@link TimeShapOptions#pruningIndex(int)}).
         *
         * @param index the negative pruning index
         * @return this builder
         */
        public Builder pruningIndex(int index) {
            options.pruningIndex(index);
            return this;
        }

        /**
         * Coalitions per explanation (the package's {@code nsamples}).
         *
         * @param coalitions coalitions per explanation (at least 2; default 32000)
         * @return this builder
         */
        public Builder budget(int coalitions) {
            options.budget(coalitions);
            return this;
        }

        /**
         * Cell level: the top {@code events} events and {@code features} features are relevant
         * (the package's {@code top_x_events} and {@code top_x_feats}).
         *
         * @param events the number of relevant events
         * @param features the number of relevant features
         * @return this builder
         */
        public Builder topK(int events, int features) {
            options.topK(events, features);
            return this;
        }

        /**
         * The options built; the builder should not be used afterwards.
         *
         * @return the options
         * @throws InvalidArgumentException when both a tolerance and a pruning index are set
         */
        public TimeShapOptions build() {
            if (hasTolerance && options.pruningIndex != 0) {
                throw new InvalidArgumentException(Status.INVALID_ARGUMENT, "TimeShapOptions: pruningIndex ("
                        + options.pruningIndex + ") and tolerance (" + options.tolerance
                        + ") are both set: set one of them (a fixed index replaces the tolerance search)");
            }
            return options;
        }
    }
}

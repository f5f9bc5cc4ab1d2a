package dev.lumen;

/** The granularity of a TimeSHAP explanation. */
public enum TimeShapLevel {
    /** One value per unpruned event (most recent first), then one for the pruned events. */
    EVENT,
    /** One value per feature (over the unpruned events), then one for the pruned events. */
    FEATURE,
    /** The paper's cell groups around the relevant events and features. */
    CELL
}

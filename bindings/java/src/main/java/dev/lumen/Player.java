package dev.lumen;

/**
 * What one TimeSHAP value stands for.
 *
 * @param kind the kind of player
 * @param event position in the sequence (0 = oldest), or -1 when the kind has none
 * @param feature feature index, or -1 when the kind has none
 * @param name Lumen's name ("Event -1" is the most recent event, "Pruned Events" the lumped ones)
 */
public record Player(Kind kind, int event, int feature, String name) {
    /** The kinds of player, in the natives' numbering. */
    public enum Kind {
        /** One event (all its features). */
        EVENT,
        /** One feature over every unpruned event. */
        FEATURE,
        /** One cell: a relevant event's relevant feature. */
        CELL,
        /** The features of a relevant event that are not relevant. */
        OTHER_FEATURES_OF_EVENT,
        /** A relevant feature on the unpruned events that are not relevant. */
        OTHER_EVENTS_OF_FEATURE,
        /** Every other unpruned cell. */
        OTHER_CELLS,
        /** The events lumped by pruning. */
        PRUNED_EVENTS
    }
}

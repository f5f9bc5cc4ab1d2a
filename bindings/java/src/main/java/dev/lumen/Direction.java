package dev.lumen;

/** Which contributions reason codes report. */
public enum Direction {
    /** Players that lowered the output, most negative first. */
    LOWERED,
    /** Players that raised the output, most positive first. */
    RAISED
}

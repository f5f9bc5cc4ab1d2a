package dev.lumen;

/**
 * One point of the pruning curve: events {@code [0, split)} are the older part.
 *
 * @param split the split index
 * @param newerLength events in the newer part
 * @param olderValue exact Shapley value of the older events
 * @param newerValue exact Shapley value of the newer events
 */
public record PruningPoint(int split, int newerLength, double olderValue, double newerValue) {}

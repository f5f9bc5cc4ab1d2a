package dev.lumen;

/**
 * One row of the global pruning table.
 *
 * @param tolerance η
 * @param meanLength mean pruned length
 * @param medianLength median pruned length
 * @param maxLength largest pruned length
 * @param exactShare share of sequences whose event-level players fit exact enumeration
 * @param relativeStd mean relative standard deviation of event-level values over the seeds
 */
public record PruningRow(double tolerance, double meanLength, double medianLength, int maxLength,
        double exactShare, double relativeStd) {}

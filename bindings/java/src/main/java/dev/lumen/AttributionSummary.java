package dev.lumen;

/**
 * Analytics of one attribution map.
 *
 * @param concentration the Gini coefficient of |a| (0 even, near 1 concentrated)
 * @param magnitude the mean |a| over the map
 * @param sparsity the share of elements with |a| below 0.1 σ of the map
 */
public record AttributionSummary(double concentration, double magnitude, double sparsity) {}

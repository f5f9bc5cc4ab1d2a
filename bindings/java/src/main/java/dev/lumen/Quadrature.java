package dev.lumen;

/** How Integrated Gradients approximates the path integral (Captum's names). */
public enum Quadrature {
    /** α_k = k/n, weights 1/n. */
    RIEMANN_LEFT,
    /** α_k = (k+1)/n, weights 1/n. */
    RIEMANN_RIGHT,
    /** α_k = (k+½)/n, weights 1/n. */
    RIEMANN_MIDDLE,
    /** α_k = k/(n−1), weights 1/(n−1) halved at both ends (n ≥ 2): the textbook rule. */
    RIEMANN_TRAPEZOID,
    /** Gauss–Legendre nodes and weights on [0, 1] (the default). */
    GAUSS_LEGENDRE,
    /**
     * Captum's {@code riemann_trapezoid}: α_k = k/(n−1), weights 1/n halved at both ends
     * (they sum to (n−1)/n, so attributions are about (n−1)/n of {@link #RIEMANN_TRAPEZOID}'s).
     */
    RIEMANN_TRAPEZOID_CAPTUM,
    /**
     * Gauss–Legendre as Captum applies it: the nodes and weights on [0, 1] rounded to float32
     * (as Captum's tensors are), to reproduce Captum's own rounding.
     */
    GAUSS_LEGENDRE_CAPTUM
}

package dev.lumen;

/** How Integrated Gradients approximates the path integral (Captum's names). */
public enum Quadrature {
    /** α_k = k/n, weights 1/n. */
    RIEMANN_LEFT,
    /** α_k = (k+1)/n, weights 1/n. */
    RIEMANN_RIGHT,
    /** α_k = (k+½)/n, weights 1/n. */
    RIEMANN_MIDDLE,
    /** α_k = k/(n−1), half weights at both ends (n ≥ 2). */
    RIEMANN_TRAPEZOID,
    /** Gauss–Legendre nodes and weights on [0, 1] (the default). */
    GAUSS_LEGENDRE
}

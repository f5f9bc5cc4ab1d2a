package dev.lumen;

/** How NoiseTunnel aggregates the attributions of the noisy copies. */
public enum NoiseType {
    /** Their mean. */
    SMOOTHGRAD,
    /** The mean of their squares. */
    SMOOTHGRAD_SQ,
    /** Their variance. */
    VARGRAD
}

package dev.lumen;

/** The compute backend an engine runs on. */
public enum Backend {
    /** CUDA when a driver and a device are present, otherwise the CPU. */
    AUTO,
    /** The CPU (rayon) reference backend. */
    CPU,
    /** CUDA, or a {@link BackendUnavailableException} when it cannot run. */
    CUDA
}

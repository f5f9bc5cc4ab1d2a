package dev.lumen.spark;

import dev.lumen.Model;
import java.io.Serializable;

/**
 * Builds the tabular model on an executor. It is serialized with the job and called once per
 * executor JVM (per explainer); the model it returns serves every partition that JVM processes,
 * from several task threads, so it must be thread-safe when {@link #concurrent()} says so (by
 * default Lumen never overlaps two calls to it). Typical implementations load a model file or
 * hold the model's coefficients.
 */
public interface ModelFactory extends Serializable {
    /**
     * Builds the model (once per executor JVM).
     *
     * @return the model Lumen will call with batches of feature rows
     * @throws Exception when it cannot be built; the job then fails with this cause
     */
    Model create() throws Exception;

    /**
     * Outputs per row (for a classifier, one probability per class).
     *
     * @return outputs per row, at least 1
     */
    int outputLen();

    /**
     * Whether the model may be called from several threads at once (default false).
     *
     * @return whether the model is thread-safe
     */
    default boolean concurrent() {
        return false;
    }

    /**
     * The most rows one model call accepts; 0 (the default) for no limit.
     *
     * @return the most rows per model call, or 0
     */
    default int maxBatchRows() {
        return 0;
    }
}

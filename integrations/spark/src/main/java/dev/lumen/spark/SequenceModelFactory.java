package dev.lumen.spark;

import dev.lumen.SequenceModel;
import java.io.Serializable;

/**
 * Builds the sequence model that TimeSHAP explains, on an executor: serialized with the job,
 * called once per executor JVM (per explainer), the model reused by every partition.
 */
public interface SequenceModelFactory extends Serializable {
    /**
     * Builds the model (once per executor JVM).
     *
     * @return the sequence model
     * @throws Exception when it cannot be built; the job then fails with this cause
     */
    SequenceModel create() throws Exception;

    /**
     * Outputs per sequence.
     *
     * @return outputs per sequence, at least 1
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
}

package dev.lumen;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * The caller's model, as Lumen calls it: batches of rows, row-major. Implement
 * {@link #predict(float[], int, float[])} (a lambda will do); override the {@link FloatBuffer}
 * variant to read Lumen's batch memory in place (zero-copy), and the gradient methods for the
 * gradient explanations.
 *
 * <p>Threading: Lumen calls the model from its own worker threads (attached to the JVM as
 * daemon threads), not from the thread that asked for the explanation. By default Lumen never
 * overlaps two calls to a model, whichever explanations or threads make them; a model
 * registered with {@link ModelSpec#concurrent(boolean) concurrent(true)} may be called from
 * several threads at once, so it must be thread-safe.
 *
 * <p>Errors: an exception thrown here stops the explanation; the caller gets a
 * {@link ModelException} (status {@code MODEL_FAILED}) whose cause is this exception. A NaN or
 * infinite output gives a {@link ModelException} with status {@code MODEL_NON_FINITE_OUTPUT}.
 *
 * <p>Buffers handed to the {@code FloatBuffer} variants are views of Lumen's memory and are
 * valid only during the call: never keep them. Input buffers are read-only.
 */
@FunctionalInterface
public interface Model {
    /**
     * Writes {@code rows × outputLen} outputs for {@code rows × inputLen} inputs.
     *
     * @param inputs the batch, row-major
     * @param rows rows in the batch
     * @param outputs where to write the outputs, row-major
     * @throws Exception to stop the explanation (it becomes the cause of a ModelException)
     */
    void predict(float[] inputs, int rows, float[] outputs) throws Exception;

    /**
     * Zero-copy variant of {@link #predict(float[], int, float[])} over Lumen's own batch memory
     * (direct, native-order buffers; position 0, limit = the batch). The default copies into
     * arrays and calls the array variant.
     *
     * @param inputs the batch, read-only
     * @param rows rows in the batch
     * @param outputs where to write the outputs (absolute or relative puts)
     * @throws Exception to stop the explanation
     */
    default void predict(FloatBuffer inputs, int rows, FloatBuffer outputs) throws Exception {
        float[] in = new float[inputs.remaining()];
        inputs.duplicate().get(in);
        float[] out = new float[outputs.remaining()];
        predict(in, rows, out);
        outputs.duplicate().put(out);
    }

    /**
     * For each row, writes ∂f_target/∂input ({@code rows × inputLen}) for that row's target
     * output and, when {@code outputs} is not null, the model's outputs
     * ({@code rows × outputLen}). Needed by Integrated Gradients, Saliency, GradientSHAP and
     * NoiseTunnel; declare it with {@link ModelSpec#withGradient()}.
     *
     * @param inputs the batch, row-major ({@code rows × inputLen} values; read-only)
     * @param rows rows in the batch
     * @param targets the output whose gradient is wanted, one per row
     * @param gradients where to write the gradients ({@code rows × inputLen})
     * @param outputs where to write the outputs ({@code rows × outputLen}), or null when they are not wanted
     * @throws Exception to stop the explanation
     */
    default void gradient(float[] inputs, int rows, int[] targets, float[] gradients, float[] outputs)
            throws Exception {
        throw new UnsupportedOperationException("this model implements no gradient");
    }

    /**
     * Zero-copy variant of {@link #gradient(float[], int, int[], float[], float[])}; the default
     * copies into arrays and calls it.
     *
     * @param inputs the batch, row-major ({@code rows × inputLen} values; read-only)
     * @param rows rows in the batch
     * @param targets the output whose gradient is wanted, one per row
     * @param gradients where to write the gradients ({@code rows × inputLen})
     * @param outputs where to write the outputs ({@code rows × outputLen}), or null when they are not wanted
     * @throws Exception to stop the explanation
     */
    default void gradient(FloatBuffer inputs, int rows, IntBuffer targets, FloatBuffer gradients,
            FloatBuffer outputs) throws Exception {
        float[] in = new float[inputs.remaining()];
        inputs.duplicate().get(in);
        int[] t = new int[targets.remaining()];
        targets.duplicate().get(t);
        float[] g = new float[gradients.remaining()];
        float[] out = outputs == null ? null : new float[outputs.remaining()];
        gradient(in, rows, t, g, out);
        gradients.duplicate().put(g);
        if (outputs != null) {
            outputs.duplicate().put(out);
        }
    }

    /**
     * Grad-CAM's access to a layer of shape {@code [C, h, w]} ({@link ModelSpec#layerShape}):
     * for each row, writes the layer's activations and the gradients of the row's target output
     * with respect to them (both {@code rows × C × h × w}).
     *
     * @param inputs the batch, row-major ({@code rows × inputLen} values; read-only)
     * @param rows rows in the batch
     * @param targets the output whose gradient is wanted, one per row
     * @param activations where to write the layer's activations ({@code rows × C × h × w})
     * @param gradients where to write the gradients ({@code rows × inputLen})
     * @throws Exception to stop the explanation
     */
    default void layerGradient(float[] inputs, int rows, int[] targets, float[] activations, float[] gradients)
            throws Exception {
        throw new UnsupportedOperationException("this model implements no layer gradient");
    }

    /**
     * Zero-copy variant of {@link #layerGradient(float[], int, int[], float[], float[])}; the
     * default copies into arrays and calls it.
     *
     * @param inputs the batch, row-major ({@code rows × inputLen} values; read-only)
     * @param rows rows in the batch
     * @param targets the output whose gradient is wanted, one per row
     * @param activations where to write the layer's activations ({@code rows × C × h × w})
     * @param gradients where to write the gradients ({@code rows × inputLen})
     * @throws Exception to stop the explanation
     */
    default void layerGradient(FloatBuffer inputs, int rows, IntBuffer targets, FloatBuffer activations,
            FloatBuffer gradients) throws Exception {
        float[] in = new float[inputs.remaining()];
        inputs.duplicate().get(in);
        int[] t = new int[targets.remaining()];
        targets.duplicate().get(t);
        float[] a = new float[activations.remaining()];
        float[] g = new float[gradients.remaining()];
        layerGradient(in, rows, t, a, g);
        activations.duplicate().put(a);
        gradients.duplicate().put(g);
    }
}

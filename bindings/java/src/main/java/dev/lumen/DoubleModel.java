package dev.lumen;

import java.nio.DoubleBuffer;
import java.nio.IntBuffer;

/**
 * A model over {@code double}s, as Lumen calls it: the twin of {@link Model} for models that
 * compute in double precision. It sees exactly the doubles its caller passed (every value Lumen
 * builds for it, a baseline or a point on a path, is one of those doubles or a point computed in
 * double), and its explanations keep every bit of its outputs ({@link Explanation#attributionsDouble()}).
 * Register it with {@link ModelHandle#ofDouble(DoubleModel, ModelSpec)} and explain it with the
 * {@code double[]} overloads of {@link Engine}; float arrays are refused with an
 * {@link ElementTypeMismatchException}.
 *
 * <p>Implement {@link #predict(double[], int, double[])} (a lambda will do); override the
 * {@link DoubleBuffer} variant to read Lumen's batch memory in place (zero-copy), and the
 * gradient methods for the gradient explanations.
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
 * <p>Buffers handed to the {@code DoubleBuffer} variants are views of Lumen's memory and are
 * valid only during the call: never keep them. Input buffers are read-only.
 */
@FunctionalInterface
public interface DoubleModel {
    /**
     * Writes {@code rows × outputLen} outputs for {@code rows × inputLen} inputs.
     *
     * @param inputs the batch, row-major
     * @param rows rows in the batch
     * @param outputs where to write the outputs, row-major
     * @throws Exception to stop the explanation (it becomes the cause of a ModelException)
     */
    void predict(double[] inputs, int rows, double[] outputs) throws Exception;

    /**
     * Zero-copy variant of {@link #predict(double[], int, double[])} over Lumen's own batch memory
     * (direct, native-order buffers; position 0, limit = the batch). The default copies into
     * arrays and calls the array variant.
     *
     * @param inputs the batch, read-only
     * @param rows rows in the batch
     * @param outputs where to write the outputs (absolute or relative puts)
     * @throws Exception to stop the explanation
     */
    default void predict(DoubleBuffer inputs, int rows, DoubleBuffer outputs) throws Exception {
        double[] in = new double[inputs.remaining()];
        inputs.duplicate().get(in);
        double[] out = new double[outputs.remaining()];
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
    default void gradient(double[] inputs, int rows, int[] targets, double[] gradients, double[] outputs)
            throws Exception {
        throw new UnsupportedOperationException("this model implements no gradient");
    }

    /**
     * Zero-copy variant of {@link #gradient(double[], int, int[], double[], double[])}; the default
     * copies into arrays and calls it.
     *
     * @param inputs the batch, row-major ({@code rows × inputLen} values; read-only)
     * @param rows rows in the batch
     * @param targets the output whose gradient is wanted, one per row
     * @param gradients where to write the gradients ({@code rows × inputLen})
     * @param outputs where to write the outputs ({@code rows × outputLen}), or null when they are not wanted
     * @throws Exception to stop the explanation
     */
    default void gradient(DoubleBuffer inputs, int rows, IntBuffer targets, DoubleBuffer gradients,
            DoubleBuffer outputs) throws Exception {
        double[] in = new double[inputs.remaining()];
        inputs.duplicate().get(in);
        int[] t = new int[targets.remaining()];
        targets.duplicate().get(t);
        double[] g = new double[gradients.remaining()];
        double[] out = outputs == null ? null : new double[outputs.remaining()];
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
    default void layerGradient(double[] inputs, int rows, int[] targets, double[] activations, double[] gradients)
            throws Exception {
        throw new UnsupportedOperationException("this model implements no layer gradient");
    }

    /**
     * Zero-copy variant of {@link #layerGradient(double[], int, int[], double[], double[])}; the
     * default copies into arrays and calls it.
     *
     * @param inputs the batch, row-major ({@code rows × inputLen} values; read-only)
     * @param rows rows in the batch
     * @param targets the output whose gradient is wanted, one per row
     * @param activations where to write the layer's activations ({@code rows × C × h × w})
     * @param gradients where to write the gradients ({@code rows × inputLen})
     * @throws Exception to stop the explanation
     */
    default void layerGradient(DoubleBuffer inputs, int rows, IntBuffer targets, DoubleBuffer activations,
            DoubleBuffer gradients) throws Exception {
        double[] in = new double[inputs.remaining()];
        inputs.duplicate().get(in);
        int[] t = new int[targets.remaining()];
        targets.duplicate().get(t);
        double[] a = new double[activations.remaining()];
        double[] g = new double[gradients.remaining()];
        layerGradient(in, rows, t, a, g);
        activations.duplicate().put(a);
        gradients.duplicate().put(g);
    }
}

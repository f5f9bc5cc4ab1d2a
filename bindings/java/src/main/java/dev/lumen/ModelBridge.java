package dev.lumen;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * What the native library calls on Lumen's worker threads: wraps Lumen's batch memory (direct
 * byte buffers) as float and int views and hands them to the caller's {@link Model}.
 * Exceptions pass through to the native side, which stops the explanation with them.
 */
final class ModelBridge {
    private final Model model;

    ModelBridge(Model model) {
        this.model = model;
    }

    private static FloatBuffer floats(ByteBuffer bytes) {
        return bytes.order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static FloatBuffer readOnlyFloats(ByteBuffer bytes) {
        return floats(bytes).asReadOnlyBuffer();
    }

    private static IntBuffer readOnlyInts(ByteBuffer bytes) {
        return bytes.order(ByteOrder.nativeOrder()).asIntBuffer().asReadOnlyBuffer();
    }

    /** Called by the native library: one predict batch. */
    void predict(ByteBuffer inputs, int rows, ByteBuffer outputs) throws Exception {
        model.predict(readOnlyFloats(inputs), rows, floats(outputs));
    }

    /** Called by the native library: one gradient batch ({@code outputs} may be null). */
    void gradient(ByteBuffer inputs, int rows, ByteBuffer targets, ByteBuffer gradients, ByteBuffer outputs)
            throws Exception {
        model.gradient(readOnlyFloats(inputs), rows, readOnlyInts(targets), floats(gradients),
                outputs == null ? null : floats(outputs));
    }

    /** Called by the native library: one layer-gradient batch (Grad-CAM). */
    void layerGradient(ByteBuffer inputs, int rows, ByteBuffer targets, ByteBuffer activations,
            ByteBuffer gradients) throws Exception {
        model.layerGradient(readOnlyFloats(inputs), rows, readOnlyInts(targets), floats(activations),
                floats(gradients));
    }
}

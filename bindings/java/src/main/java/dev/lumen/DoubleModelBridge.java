package dev.lumen;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;

/**
 * What the native library calls on Lumen's worker threads for a {@link DoubleModel}: wraps
 * Lumen's batch memory (direct byte buffers) as double and int views. The native side calls it
 * exactly as it calls a {@link ModelBridge}, with the same methods.
 * Exceptions pass through to the native side, which stops the explanation with them.
 */
final class DoubleModelBridge {
    private final DoubleModel model;

    DoubleModelBridge(DoubleModel model) {
        this.model = model;
    }

    private static DoubleBuffer doubles(ByteBuffer bytes) {
        return bytes.order(ByteOrder.nativeOrder()).asDoubleBuffer();
    }

    private static DoubleBuffer readOnlyDoubles(ByteBuffer bytes) {
        return doubles(bytes).asReadOnlyBuffer();
    }

    private static IntBuffer readOnlyInts(ByteBuffer bytes) {
        return bytes.order(ByteOrder.nativeOrder()).asIntBuffer().asReadOnlyBuffer();
    }

    /** Called by the native library: one predict batch. */
    void predict(ByteBuffer inputs, int rows, ByteBuffer outputs) throws Exception {
        model.predict(readOnlyDoubles(inputs), rows, doubles(outputs));
    }

    /** Called by the native library: one gradient batch ({@code outputs} may be null). */
    void gradient(ByteBuffer inputs, int rows, ByteBuffer targets, ByteBuffer gradients, ByteBuffer outputs)
            throws Exception {
        model.gradient(readOnlyDoubles(inputs), rows, readOnlyInts(targets), doubles(gradients),
                outputs == null ? null : doubles(outputs));
    }

    /** Called by the native library: one layer-gradient batch (Grad-CAM). */
    void layerGradient(ByteBuffer inputs, int rows, ByteBuffer targets, ByteBuffer activations,
            ByteBuffer gradients) throws Exception {
        model.layerGradient(readOnlyDoubles(inputs), rows, readOnlyInts(targets), doubles(activations),
                doubles(gradients));
    }
}

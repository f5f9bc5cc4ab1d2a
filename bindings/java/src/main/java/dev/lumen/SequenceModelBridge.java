package dev.lumen;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * What the native library calls on Lumen's worker threads for a {@link SequenceModel}: wraps
 * Lumen's memory (direct byte buffers) as float views. Exceptions pass through to the native
 * side, which stops the explanation with them.
 */
final class SequenceModelBridge {
    private final SequenceModel model;

    SequenceModelBridge(SequenceModel model) {
        this.model = model;
    }

    private static FloatBuffer floats(ByteBuffer bytes) {
        return bytes.order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static FloatBuffer readOnlyFloats(ByteBuffer bytes) {
        return floats(bytes).asReadOnlyBuffer();
    }

    /** Called by the native library: one predict batch. */
    void predict(ByteBuffer inputs, int rows, int seqLen, ByteBuffer outputs) throws Exception {
        model.predict(readOnlyFloats(inputs), rows, seqLen, floats(outputs));
    }

    /** Called by the native library: one batch of prefixes ({@code initialStates} may be null). */
    void runPrefix(ByteBuffer initialStates, ByteBuffer inputs, int rows, int seqLen, ByteBuffer states)
            throws Exception {
        model.runPrefix(initialStates == null ? null : readOnlyFloats(initialStates), readOnlyFloats(inputs), rows,
                seqLen, floats(states));
    }

    /** Called by the native library: one batch of tails continuing from states. */
    void predictFromState(ByteBuffer states, ByteBuffer inputs, int rows, int seqLen, ByteBuffer outputs)
            throws Exception {
        model.predictFromState(readOnlyFloats(states), readOnlyFloats(inputs), rows, seqLen, floats(outputs));
    }
}

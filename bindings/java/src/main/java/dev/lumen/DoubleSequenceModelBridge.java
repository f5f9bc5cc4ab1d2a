package dev.lumen;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;

/**
 * What the native library calls on Lumen's worker threads for a {@link DoubleSequenceModel}:
 * wraps Lumen's memory (direct byte buffers) as double views, with the methods of a
 * {@link SequenceModelBridge}. Exceptions pass through to the native
 * side, which stops the explanation with them.
 */
final class DoubleSequenceModelBridge {
    private final DoubleSequenceModel model;

    DoubleSequenceModelBridge(DoubleSequenceModel model) {
        this.model = model;
    }

    private static DoubleBuffer doubles(ByteBuffer bytes) {
        return bytes.order(ByteOrder.nativeOrder()).asDoubleBuffer();
    }

    private static DoubleBuffer readOnlyDoubles(ByteBuffer bytes) {
        return doubles(bytes).asReadOnlyBuffer();
    }

    /** Called by the native library: one predict batch. */
    void predict(ByteBuffer inputs, int rows, int seqLen, ByteBuffer outputs) throws Exception {
        model.predict(readOnlyDoubles(inputs), rows, seqLen, doubles(outputs));
    }

    /** Called by the native library: one batch of prefixes ({@code initialStates} may be null). */
    void runPrefix(ByteBuffer initialStates, ByteBuffer inputs, int rows, int seqLen, ByteBuffer states)
            throws Exception {
        model.runPrefix(initialStates == null ? null : readOnlyDoubles(initialStates), readOnlyDoubles(inputs), rows,
                seqLen, doubles(states));
    }

    /** Called by the native library: one batch of tails continuing from states. */
    void predictFromState(ByteBuffer states, ByteBuffer inputs, int rows, int seqLen, ByteBuffer outputs)
            throws Exception {
        model.predictFromState(readOnlyDoubles(states), readOnlyDoubles(inputs), rows, seqLen, doubles(outputs));
    }
}

package dev.lumen;

import java.nio.FloatBuffer;

/**
 * A model over sequences of events, as TimeSHAP calls it: a batch of {@code rows} sequences of
 * {@code seqLen} events of {@code features} values each (row-major, event-major within a row),
 * where {@code seqLen} may change from call to call. Implement
 * {@link #predict(float[], int, int, float[])} (a lambda will do). A recurrent model may also
 * expose its hidden state ({@link SequenceModelSpec#withState(int)}) by overriding
 * {@link #runPrefix} and {@link #predictFromState}: TimeSHAP then runs shared prefixes once.
 *
 * <p>Threading, errors and buffers follow {@link Model}: calls come from Lumen's worker threads
 * (never overlapping unless the spec says {@code concurrent(true)}); an exception stops the
 * explanation and becomes the cause of a {@link ModelException}; buffers are valid only during
 * the call and input buffers are read-only.
 */
@FunctionalInterface
public interface SequenceModel {
    /**
     * Writes {@code rows × outputLen} outputs for {@code rows × seqLen × features} inputs.
     *
     * @param inputs the batch, sequence by sequence, event-major ({@code rows × seqLen × features} values; read-only)
     * @param rows sequences in the batch
     * @param seqLen events in each sequence
     * @param outputs where to write the outputs ({@code rows × outputLen})
     * @throws Exception to stop the explanation (it becomes the cause of a ModelException)
     */
    void predict(float[] inputs, int rows, int seqLen, float[] outputs) throws Exception;

    /**
     * Zero-copy variant of {@link #predict(float[], int, int, float[])} over Lumen's own memory;
     * the default copies into arrays and calls it.
     *
     * @param inputs the batch, sequence by sequence, event-major ({@code rows × seqLen × features} values; read-only)
     * @param rows sequences in the batch
     * @param seqLen events in each sequence
     * @param outputs where to write the outputs ({@code rows × outputLen})
     * @throws Exception to stop the explanation
     */
    default void predict(FloatBuffer inputs, int rows, int seqLen, FloatBuffer outputs) throws Exception {
        float[] in = new float[inputs.remaining()];
        inputs.duplicate().get(in);
        float[] out = new float[outputs.remaining()];
        predict(in, rows, seqLen, out);
        outputs.duplicate().put(out);
    }

    /**
     * Runs {@code rows} sequences of {@code seqLen} events from {@code initialStates}
     * ({@code rows × stateLen}, or null for the model's own initial state) and writes the hidden
     * states after their last event into {@code states} ({@code rows × stateLen}). Running a
     * sequence in two pieces, the second from the state the first left, must give the state of
     * running it whole.
     *
     * @param initialStates the state each sequence starts from ({@code rows × stateLen}), or null for
     *     the initial state
     * @param inputs the batch, sequence by sequence, event-major ({@code rows × seqLen × features} values; read-only)
     * @param rows sequences in the batch
     * @param seqLen events in each sequence
     * @param states where to write the state after the last event ({@code rows × stateLen})
     * @throws Exception to stop the explanation
     */
    default void runPrefix(float[] initialStates, float[] inputs, int rows, int seqLen, float[] states)
            throws Exception {
        throw new UnsupportedOperationException("this sequence model exposes no state");
    }

    /**
     * Zero-copy variant of {@link #runPrefix(float[], float[], int, int, float[])}; the default
     * copies into arrays and calls it.
     *
     * @param initialStates the state each sequence starts from ({@code rows × stateLen}), or null for
     *     the initial state
     * @param inputs the batch, sequence by sequence, event-major ({@code rows × seqLen × features} values; read-only)
     * @param rows sequences in the batch
     * @param seqLen events in each sequence
     * @param states where to write the state after the last event ({@code rows × stateLen})
     * @throws Exception to stop the explanation
     */
    default void runPrefix(FloatBuffer initialStates, FloatBuffer inputs, int rows, int seqLen, FloatBuffer states)
            throws Exception {
        float[] start = null;
        if (initialStates != null) {
            start = new float[initialStates.remaining()];
            initialStates.duplicate().get(start);
        }
        float[] in = new float[inputs.remaining()];
        inputs.duplicate().get(in);
        float[] out = new float[states.remaining()];
        runPrefix(start, in, rows, seqLen, out);
        states.duplicate().put(out);
    }

    /**
     * Writes {@code rows × outputLen} outputs for {@code rows} tails of {@code seqLen} events, each
     * continuing from its state in {@code states} ({@code rows × stateLen}): the outputs of the
     * whole sequences whose prefixes left those states.
     *
     * @param states the state each tail continues from ({@code rows × stateLen}; read-only)
     * @param inputs the batch, sequence by sequence, event-major ({@code rows × seqLen × features} values; read-only)
     * @param rows sequences in the batch
     * @param seqLen events in each sequence
     * @param outputs where to write the outputs ({@code rows × outputLen})
     * @throws Exception to stop the explanation
     */
    default void predictFromState(float[] states, float[] inputs, int rows, int seqLen, float[] outputs)
            throws Exception {
        throw new UnsupportedOperationException("this sequence model exposes no state");
    }

    /**
     * Zero-copy variant of {@link #predictFromState(float[], float[], int, int, float[])}; the
     * default copies into arrays and calls it.
     *
     * @param states the state each tail continues from ({@code rows × stateLen}; read-only)
     * @param inputs the batch, sequence by sequence, event-major ({@code rows × seqLen × features} values; read-only)
     * @param rows sequences in the batch
     * @param seqLen events in each sequence
     * @param outputs where to write the outputs ({@code rows × outputLen})
     * @throws Exception to stop the explanation
     */
    default void predictFromState(FloatBuffer states, FloatBuffer inputs, int rows, int seqLen,
            FloatBuffer outputs) throws Exception {
        float[] s = new float[states.remaining()];
        states.duplicate().get(s);
        float[] in = new float[inputs.remaining()];
        inputs.duplicate().get(in);
        float[] out = new float[outputs.remaining()];
        predictFromState(s, in, rows, seqLen, out);
        outputs.duplicate().put(out);
    }
}

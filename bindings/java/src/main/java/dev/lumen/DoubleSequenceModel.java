package dev.lumen;

import java.nio.DoubleBuffer;

/**
 * A sequence model over {@code double}s: the twin of {@link SequenceModel} for models that
 * compute in double precision. Register it with
 * {@link SequenceModelHandle#ofDouble(DoubleSequenceModel, SequenceModelSpec)} and explain it
 * with the {@code double[]} overloads of {@link Engine}; float arrays are refused with an
 * {@link ElementTypeMismatchException}.
 *
 * <p>As {@link SequenceModel}: a model over sequences of events, as TimeSHAP calls it: a batch of {@code rows} sequences of
 * {@code seqLen} events of {@code features} values each (row-major, event-major within a row),
 * where {@code seqLen} may change from call to call. Implement
 * {@link #predict(double[], int, int, double[])} (a lambda will do). A recurrent model may also
 * expose its hidden state ({@link SequenceModelSpec#withState(int)}) by overriding
 * {@link #runPrefix} and {@link #predictFromState}: TimeSHAP then runs shared prefixes once.
 *
 * <p>Threading, errors and buffers follow {@link Model}: calls come from Lumen's worker threads
 * (never overlapping unless the spec says {@code concurrent(true)}); an exception stops the
 * explanation and becomes the cause of a {@link ModelException}; buffers are valid only during
 * the call and input buffers are read-only.
 */
@FunctionalInterface
public interface DoubleSequenceModel {
    /**
     * Writes {@code rows × outputLen} outputs for {@code rows × seqLen × features} inputs.
     *
     * @param inputs the batch, sequence by sequence, event-major ({@code rows × seqLen × features} values; read-only)
     * @param rows sequences in the batch
     * @param seqLen events in each sequence
     * @param outputs where to write the outputs ({@code rows × outputLen})
     * @throws Exception to stop the explanation (it becomes the cause of a ModelException)
     */
    void predict(double[] inputs, int rows, int seqLen, double[] outputs) throws Exception;

    /**
     * Zero-copy variant of {@link #predict(double[], int, int, double[])} over Lumen's own memory;
     * the default copies into arrays and calls it.
     *
     * @param inputs the batch, sequence by sequence, event-major ({@code rows × seqLen × features} values; read-only)
     * @param rows sequences in the batch
     * @param seqLen events in each sequence
     * @param outputs where to write the outputs ({@code rows × outputLen})
     * @throws Exception to stop the explanation
     */
    default void predict(DoubleBuffer inputs, int rows, int seqLen, DoubleBuffer outputs) throws Exception {
        double[] in = new double[inputs.remaining()];
        inputs.duplicate().get(in);
        double[] out = new double[outputs.remaining()];
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
    default void runPrefix(double[] initialStates, double[] inputs, int rows, int seqLen, double[] states)
            throws Exception {
        throw new UnsupportedOperationException("this sequence model exposes no state");
    }

    /**
     * Zero-copy variant of {@link #runPrefix(double[], double[], int, int, double[])}; the default
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
    default void runPrefix(DoubleBuffer initialStates, DoubleBuffer inputs, int rows, int seqLen, DoubleBuffer states)
            throws Exception {
        double[] start = null;
        if (initialStates != null) {
            start = new double[initialStates.remaining()];
            initialStates.duplicate().get(start);
        }
        double[] in = new double[inputs.remaining()];
        inputs.duplicate().get(in);
        double[] out = new double[states.remaining()];
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
    default void predictFromState(double[] states, double[] inputs, int rows, int seqLen, double[] outputs)
            throws Exception {
        throw new UnsupportedOperationException("this sequence model exposes no state");
    }

    /**
     * Zero-copy variant of {@link #predictFromState(double[], double[], int, int, double[])}; the
     * default copies into arrays and calls it.
     *
     * @param states the state each tail continues from ({@code rows × stateLen}; read-only)
     * @param inputs the batch, sequence by sequence, event-major ({@code rows × seqLen × features} values; read-only)
     * @param rows sequences in the batch
     * @param seqLen events in each sequence
     * @param outputs where to write the outputs ({@code rows × outputLen})
     * @throws Exception to stop the explanation
     */
    default void predictFromState(DoubleBuffer states, DoubleBuffer inputs, int rows, int seqLen,
            DoubleBuffer outputs) throws Exception {
        double[] s = new double[states.remaining()];
        states.duplicate().get(s);
        double[] in = new double[inputs.remaining()];
        inputs.duplicate().get(in);
        double[] out = new double[outputs.remaining()];
        predictFromState(s, in, rows, seqLen, out);
        outputs.duplicate().put(out);
    }
}

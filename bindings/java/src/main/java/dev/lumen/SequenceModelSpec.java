package dev.lumen;

/**
 * What Lumen needs to know about a {@link SequenceModel}: values per event, outputs, batch
 * limit, concurrency, feature names and the hidden-state length. Setters return {@code this}.
 */
public final class SequenceModelSpec {
    final int features;
    final int outputLen;
    int maxBatchRows;
    boolean concurrent;
    String[] featureNames;
    int stateLen;

    private SequenceModelSpec(int features, int outputLen) {
        this.features = features;
        this.outputLen = outputLen;
    }

    /**
     * Events of {@code features} values and {@code outputLen} outputs per sequence.
     *
     * @param features values per event
     * @param outputLen outputs per sequence
     * @return the spec
     */
    public static SequenceModelSpec of(int features, int outputLen) {
        return new SequenceModelSpec(features, outputLen);
    }

    /**
     * The largest number of sequences one call accepts; 0 (the default) means no limit.
     *
     * @param rows the largest number of sequences one call accepts; 0 (the default) means no limit
     * @return this spec
     */
    public SequenceModelSpec maxBatchRows(int rows) {
        this.maxBatchRows = rows;
        return this;
    }

    /**
     * Whether the model may be called from several threads at once (default false).
     *
     * @param concurrent whether the model may be called from several threads at once (default false)
     * @return this spec
     */
    public SequenceModelSpec concurrent(boolean concurrent) {
        this.concurrent = concurrent;
        return this;
    }

    /**
     * Names of the {@code features} values of an event.
     *
     * @param names names of the {@code features} values of an event
     * @return this spec
     */
    public SequenceModelSpec featureNames(String... names) {
        this.featureNames = names == null ? null : names.clone();
        return this;
    }

    /**
     * Declares that the model implements {@link SequenceModel#runPrefix} and
     * {@link SequenceModel#predictFromState} with hidden states of {@code stateLen} values.
     *
     * @param stateLen values in one hidden state
     * @return this spec
     */
    public SequenceModelSpec withState(int stateLen) {
        this.stateLen = stateLen;
        return this;
    }

    /**
     * Values per event.
     *
     * @return values per event
     */
    public int features() {
        return features;
    }

    /**
     * Outputs per sequence.
     *
     * @return outputs per sequence
     */
    public int outputLen() {
        return outputLen;
    }
}

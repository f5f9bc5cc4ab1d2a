package dev.lumen;

/**
 * What Lumen needs to know about a {@link Model}: its input shape, outputs, batch limit,
 * concurrency, feature names and capabilities. Setters return {@code this}.
 */
public final class ModelSpec {
    int[] inputShape;
    int outputLen;
    int maxBatchRows;
    boolean concurrent;
    String[] featureNames;
    int[] layerShape;
    boolean gradient;

    private ModelSpec(int[] inputShape, int outputLen) {
        this.inputShape = inputShape;
        this.outputLen = outputLen;
    }

    /**
     * Flat rows of {@code inputLen} elements and {@code outputLen} outputs.
     *
     * @param inputLen values per input row
     * @param outputLen outputs per row
     * @return the spec
     */
    public static ModelSpec of(int inputLen, int outputLen) {
        return new ModelSpec(new int[] {inputLen}, outputLen);
    }

    /**
     * Rows shaped {@code inputShape} (e.g. {@code [3, 224, 224]}) and {@code outputLen} outputs.
     *
     * @param inputShape the shape of one input row
     * @param outputLen outputs per row
     * @return the spec
     */
    public static ModelSpec shaped(int[] inputShape, int outputLen) {
        return new ModelSpec(inputShape == null ? null : inputShape.clone(), outputLen);
    }

    /**
     * The largest number of rows one call accepts; 0 (the default) means no limit.
     *
     * @param rows the largest number of rows one call accepts; 0 (the default) means no limit
     * @return this spec
     */
    public ModelSpec maxBatchRows(int rows) {
        this.maxBatchRows = rows;
        return this;
    }

    /**
     * Whether the model may be called from several threads at once. The default, false, is the
     * safe choice for models that are not thread-safe: Lumen never overlaps two calls, even
     * across explanations. Say true for a thread-safe model to let Lumen's workers call it in
     * parallel.
     *
     * @param concurrent whether the model may be called from several threads at once
     * @return this spec
     */
    public ModelSpec concurrent(boolean concurrent) {
        this.concurrent = concurrent;
        return this;
    }

    /**
     * Names of the input elements, one per element of a row.
     *
     * @param names names of the input elements, one per element of a row
     * @return this spec
     */
    public ModelSpec featureNames(String... names) {
        this.featureNames = names == null ? null : names.clone();
        return this;
    }

    /**
     * Declares that the model implements {@link Model#gradient}.
     *
     * @return this spec
     */
    public ModelSpec withGradient() {
        this.gradient = true;
        return this;
    }

    /**
     * Declares the {@code [channels, height, width]} layer that {@link Model#layerGradient} exposes.
     *
     * @param channels the channels C
     * @param height the height h
     * @param width the width w
     * @return this spec
     */
    public ModelSpec layerShape(int channels, int height, int width) {
        this.layerShape = new int[] {channels, height, width};
        return this;
    }

    /**
     * Elements in one input row.
     *
     * @return elements in one input row
     */
    public int inputLen() {
        int n = 1;
        for (int d : inputShape) {
            n *= d;
        }
        return n;
    }

    /**
     * Outputs per row.
     *
     * @return outputs per row
     */
    public int outputLen() {
        return outputLen;
    }
}

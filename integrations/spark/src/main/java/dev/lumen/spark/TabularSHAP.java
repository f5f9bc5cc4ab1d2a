package dev.lumen.spark;

import dev.lumen.Direction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Kernel SHAP as a Spark ML {@link Transformer}, shaped like SynapseML's {@code TabularSHAP} so it
 * drops into a {@code Pipeline}: {@code inputCols}, {@code outputCol}, {@code targetClasses},
 * {@code numSamples} and the background data. As in SynapseML, {@code outputCol} holds one vector
 * per target class whose first element is the base value, followed by one SHAP value per input
 * column (or per group). Lumen adds: standard errors ({@code standardErrorsCol}), reason codes
 * ({@code reasonCodesCol}, {@code numReasonCodes}), groups ({@link #setGroups}), an error column
 * ({@code errorCol}), the seed and deterministic row keys ({@code keyCol}: an id column keyed by
 * {@link RowKeys#ofId(Object)}; else each row's values are hashed), so the values do not depend
 * on partitioning.
 *
 * <p>The model is not a Spark {@code Transformer} (SynapseML's {@code model} param) but a
 * {@link ModelFactory} that builds it once per executor JVM ({@link #setModelFactory}).
 *
 * <p>The transformer is ML-writable: {@link #save}, {@link #load} and {@code Pipeline.save} /
 * {@code PipelineModel.load} keep its params, its model factory and groups (Java-serialized) and
 * the background rows it uses (the first {@code maxBackgroundRows}), so a loaded transformer gives
 * the same bits; the factory's classes must be on the loading JVM's class path.
 */
public final class TabularSHAP extends Transformer implements MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final StringArrayParam inputCols;
    private final Param<String> outputCol;
    private final IntArrayParam targetClasses;
    private final IntParam numSamples;
    private final IntParam maxBackgroundRows;
    private final Param<String> keyCol;
    private final Param<String> errorCol;
    private final Param<String> standardErrorsCol;
    private final Param<String> reasonCodesCol;
    private final IntParam numReasonCodes;
    private final LongParam seed;
    private ModelFactory modelFactory;
    private transient Dataset<Row> backgroundData;
    private LinkedHashMap<String, List<String>> groups;

    /** A transformer with a random uid ({@code TabularSHAP_...}). */
    public TabularSHAP() {
        this(Identifiable$.MODULE$.randomUID("TabularSHAP"));
    }

    /**
     * A transformer with the given uid.
     *
     * @param uid its uid
     */
    public TabularSHAP(String uid) {
        this.uid = uid;
        inputCols = new StringArrayParam(this, "inputCols", "the feature columns, in model-input order");
        outputCol = new Param<>(this, "outputCol",
                "the output column: per target class, a vector [base value, SHAP value per input column]");
        targetClasses = new IntArrayParam(this, "targetClasses", "the model outputs to explain (default [0])");
        numSamples = new IntParam(this, "numSamples",
                "coalitions per row; 0 for Lumen's default 2M + 2048 (exact when it covers every coalition)");
        maxBackgroundRows = new IntParam(this, "maxBackgroundRows", "the most background rows used (default 100)");
        keyCol = new Param<>(this, "keyCol", "an id column that keys each row's random draws; empty: the row's values");
        errorCol = new Param<>(this, "errorCol", "a column for the reason a row failed; empty: a bad row fails the job");
        standardErrorsCol = new Param<>(this, "standardErrorsCol",
                "a column for the standard errors, one vector per target class; empty: none");
        reasonCodesCol = new Param<>(this, "reasonCodesCol",
                "a column for the first target class's top reason codes (features that lowered it); empty: none");
        numReasonCodes = new IntParam(this, "numReasonCodes", "reason codes per row (default 3)");
        seed = new LongParam(this, "seed", "the seed of every random draw (default 0)");
        setDefault(outputCol, uid + "__output");
        setDefault(targetClasses, new int[] {0});
        setDefault(numSamples, 0);
        setDefault(maxBackgroundRows, 100);
        setDefault(keyCol, "");
        setDefault(errorCol, "");
        setDefault(standardErrorsCol, "");
        setDefault(reasonCodesCol, "");
        setDefault(numReasonCodes, 3);
        setDefault(seed, 0L);
    }

    @Override
    public String uid() {
        return uid;
    }

    /**
     * The feature columns param.
     *
     * @return the param
     */
    public StringArrayParam inputCols() {
        return inputCols;
    }

    /**
     * The output column param.
     *
     * @return the param
     */
    public Param<String> outputCol() {
        return outputCol;
    }

    /**
     * The target classes param.
     *
     * @return the param
     */
    public IntArrayParam targetClasses() {
        return targetClasses;
    }

    /**
     * The coalitions-per-row param.
     *
     * @return the param
     */
    public IntParam numSamples() {
        return numSamples;
    }

    /**
     * The background-size param.
     *
     * @return the param
     */
    public IntParam maxBackgroundRows() {
        return maxBackgroundRows;
    }

    /**
     * The key column param.
     *
     * @return the param
     */
    public Param<String> keyCol() {
        return keyCol;
    }

    /**
     * The error column param.
     *
     * @return the param
     */
    public Param<String> errorCol() {
        return errorCol;
    }

    /**
     * The standard errors column param.
     *
     * @return the param
     */
    public Param<String> standardErrorsCol() {
        return standardErrorsCol;
    }

    /**
     * The reason codes column param.
     *
     * @return the param
     */
    public Param<String> reasonCodesCol() {
        return reasonCodesCol;
    }

    /**
     * The reason codes count param.
     *
     * @return the param
     */
    public IntParam numReasonCodes() {
        return numReasonCodes;
    }

    /**
     * The seed param.
     *
     * @return the param
     */
    public LongParam seed() {
        return seed;
    }

    /**
     * Sets the feature columns.
     *
     * @param columns the feature columns, in model-input order
     * @return this transformer
     */
    public TabularSHAP setInputCols(String... columns) {
        set(inputCols, columns);
        return this;
    }

    /**
     * Sets the output column.
     *
     * @param column the column's name
     * @return this transformer
     */
    public TabularSHAP setOutputCol(String column) {
        set(outputCol, column);
        return this;
    }

    /**
     * Sets the explained model outputs.
     *
     * @param classes output indices
     * @return this transformer
     */
    public TabularSHAP setTargetClasses(int... classes) {
        set(targetClasses, classes);
        return this;
    }

    /**
     * Sets the coalitions per row (0: Lumen's default).
     *
     * @param samples coalitions per row
     * @return this transformer
     */
    public TabularSHAP setNumSamples(int samples) {
        set(numSamples, samples);
        return this;
    }

    /**
     * Sets the most background rows used.
     *
     * @param rows the limit
     * @return this transformer
     */
    public TabularSHAP setMaxBackgroundRows(int rows) {
        set(maxBackgroundRows, rows);
        return this;
    }

    /**
     * Sets the id column that keys rows.
     *
     * @param column the id column
     * @return this transformer
     */
    public TabularSHAP setKeyCol(String column) {
        set(keyCol, column);
        return this;
    }

    /**
     * Sets the error column (bad rows are recorded instead of failing the job).
     *
     * @param column the error column
     * @return this transformer
     */
    public TabularSHAP setErrorCol(String column) {
        set(errorCol, column);
        return this;
    }

    /**
     * Sets the standard errors column.
     *
     * @param column the column
     * @return this transformer
     */
    public TabularSHAP setStandardErrorsCol(String column) {
        set(standardErrorsCol, column);
        return this;
    }

    /**
     * Sets the reason codes column.
     *
     * @param column the column
     * @return this transformer
     */
    public TabularSHAP setReasonCodesCol(String column) {
        set(reasonCodesCol, column);
        return this;
    }

    /**
     * Sets the reason codes per row.
     *
     * @param k reason codes per row, at least 1
     * @return this transformer
     */
    public TabularSHAP setNumReasonCodes(int k) {
        set(numReasonCodes, k);
        return this;
    }

    /**
     * Sets the seed.
     *
     * @param value the seed
     * @return this transformer
     */
    public TabularSHAP setSeed(long value) {
        set(seed, value);
        return this;
    }

    /**
     * Sets the factory that builds the model on each executor.
     *
     * @param factory the model factory
     * @return this transformer
     */
    public TabularSHAP setModelFactory(ModelFactory factory) {
        this.modelFactory = factory;
        return this;
    }

    /**
     * Sets the background rows (their {@code inputCols}; the first {@code maxBackgroundRows} in the
     * Dataset's order are used, so give a Dataset whose order is fixed).
     *
     * @param data the background rows
     * @return this transformer
     */
    public TabularSHAP setBackgroundData(Dataset<Row> data) {
        this.backgroundData = data;
        return this;
    }

    /**
     * Attributes to groups of input columns (group name → columns; others alone), or null.
     *
     * @param groups the groups
     * @return this transformer
     */
    public TabularSHAP setGroups(Map<String, List<String>> groups) {
        this.groups = groups == null ? null : new LinkedHashMap<>(groups);
        return this;
    }

    /** The model factory, or null (for {@link TabularSHAPPersistence}). */
    ModelFactory modelFactory() {
        return modelFactory;
    }

    /** The groups, or null (for {@link TabularSHAPPersistence}). */
    LinkedHashMap<String, List<String>> groups() {
        return groups;
    }

    /**
     * The background rows {@link #transform} uses (the first {@code maxBackgroundRows} of the
     * background data's input columns), or null when the background data or the input columns
     * are not set (for {@link TabularSHAPPersistence}).
     */
    float[][] usedBackground() {
        if (backgroundData == null || !isDefined(inputCols)) {
            return null;
        }
        return LumenExplainer.collectRows(backgroundData, (Integer) getOrDefault(maxBackgroundRows),
                getOrDefault(inputCols));
    }

    /**
     * A writer of this transformer's params, model factory, groups and background rows.
     *
     * @return the writer
     */
    @Override
    public MLWriter write() {
        return new TabularSHAPPersistence.Writer(this);
    }

    /**
     * A reader of transformers written by {@link #write()} ({@code PipelineModel.load} finds it).
     *
     * @return the reader
     */
    public static MLReader<TabularSHAP> read() {
        return new TabularSHAPPersistence.Reader();
    }

    /**
     * Loads a transformer saved with {@link #save}.
     *
     * @param path the folder it was saved to
     * @return the transformer
     */
    public static TabularSHAP load(String path) {
        return read().load(path);
    }

    private static String orNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** The explainer for {@code background} rows. */
    private LumenExplainer explainer(float[][] background) {
        if (modelFactory == null) {
            throw new IllegalArgumentException("TabularSHAP: no model factory; call setModelFactory");
        }
        if (!isDefined(inputCols)) {
            throw new IllegalArgumentException("TabularSHAP: inputCols is not set");
        }
        KernelShap method = KernelShap.withBackground(background).targets(getOrDefault(targetClasses))
                .budget((Integer) getOrDefault(numSamples)).groups(groups);
        LumenExplainer ex = LumenExplainer.vectorLayout(modelFactory, method, getOrDefault(inputCols),
                new LumenExplainer.VectorLayout(getOrDefault(outputCol), orNull(getOrDefault(standardErrorsCol)),
                        orNull(getOrDefault(reasonCodesCol))))
                .keyColumn(orNull(getOrDefault(keyCol))).errorColumn(orNull(getOrDefault(errorCol)))
                .seed((Long) getOrDefault(seed));
        return ex.reasonCodes((Integer) getOrDefault(numReasonCodes), Direction.LOWERED);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        if (backgroundData == null) {
            throw new IllegalArgumentException("TabularSHAP: no background data; call setBackgroundData");
        }
        float[][] background = LumenExplainer.collectRows(backgroundData, (Integer) getOrDefault(maxBackgroundRows),
                getOrDefault(inputCols));
        return explainer(background).explain(dataset.toDF());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        float[][] placeholder = {new float[getOrDefault(inputCols).length]};
        return explainer(placeholder).outputSchema(schema);
    }

    @Override
    public TabularSHAP copy(ParamMap extra) {
        TabularSHAP that = new TabularSHAP(uid);
        copyValues(that, extra);
        that.modelFactory = modelFactory;
        that.backgroundData = backgroundData;
        that.groups = groups;
        return that;
    }
}

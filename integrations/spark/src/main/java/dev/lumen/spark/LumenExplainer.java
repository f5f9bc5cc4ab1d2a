package dev.lumen.spark;

import dev.lumen.Direction;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Explains every row of a {@code Dataset<Row>} on the cluster: the feature columns (numeric, read
 * as float32 in the order given) go to the model built by a {@link ModelFactory} on each executor,
 * and each row gains its key, prediction, base value, attributions, standard errors, completeness
 * gap and top reason codes ({@link KernelShap}, {@link FeatureAblation}), or its counterfactuals
 * ({@link PermuteAttack}). The input's columns are kept, in front.
 *
 * <p>Results do not depend on partitioning: a row's random draws come from the seed and the row's
 * key, the key of its {@link #keyColumn(String) id column} or else the hash of its feature values
 * ({@link RowKeys}). Explaining the same rows in 1 or 100 partitions, on one JVM or a cluster, or
 * one row at a time through Lumen's Java API with the same seed and key, gives the same bits.
 *
 * <p>Bad input: a missing or non-numeric feature column fails {@link #explain} at once; a null or
 * non-finite feature value, a null id, or a model that fails on a row fails the job with a message
 * naming the column and the row, unless {@link #errorColumn(String)} is set, in which case that
 * row gets the message in the error column (and nulls in the result columns) and the others are
 * explained. A model factory that throws fails the job with its cause.
 *
 * <p>Setters return {@code this}; the explainer is serializable and is shipped with the job.
 */
public final class LumenExplainer implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The column holding the row key (the 64 bits of Lumen's unsigned key). */
    public static final String KEY = "lumen_key";
    /** The column holding f(x) for the explained output. */
    public static final String PREDICTION = "prediction";
    /** The column holding the base value (background mean or f(baseline)). */
    public static final String BASE_VALUE = "base_value";
    /** The column holding the attributions, one per feature or group. */
    public static final String ATTRIBUTIONS = "attributions";
    /** The column holding the attributions' standard errors (null when not sampled). */
    public static final String STANDARD_ERRORS = "standard_errors";
    /** The column holding Σ attributions − (prediction − base value). */
    public static final String COMPLETENESS_GAP = "completeness_gap";
    /** The column holding the top reason codes, strongest first. */
    public static final String REASON_CODES = "reason_codes";
    /** PermuteAttack: the class predicted for the row. */
    public static final String ORIGINAL_CLASS = "original_class";
    /** PermuteAttack: the class the search aimed for. */
    public static final String TARGET_CLASS = "target_class";
    /** PermuteAttack: the row's probability of the target class. */
    public static final String ORIGINAL_PROBABILITY = "original_probability";
    /** PermuteAttack: the row already reaches the target (nothing searched). */
    public static final String ALREADY_AT_TARGET = "already_at_target";
    /** PermuteAttack: the counterfactuals found, successful and fewest changes first. */
    public static final String COUNTERFACTUALS = "counterfactuals";

    final String[] features;
    final ModelFactory factory;
    final ExplainMethod method;
    final String modelId;
    String keyColumn;
    String errorColumn;
    String attributionPrefix;
    long seed;
    int batchRows = 256;
    int reasonCodes = 3;
    Direction direction = Direction.LOWERED;
    int engineThreads;
    /** SynapseML's layout ({@link TabularSHAP}), or null for Lumen's columns. */
    final VectorLayout vectors;

    private LumenExplainer(ModelFactory factory, ExplainMethod method, String[] features) {
        this(factory, method, features, null);
    }

    private LumenExplainer(ModelFactory factory, ExplainMethod method, String[] features, VectorLayout vectors) {
        if (factory == null) {
            throw new IllegalArgumentException("factory: is null, expected a ModelFactory");
        }
        if (method == null) {
            throw new IllegalArgumentException("method: is null, expected KernelShap, FeatureAblation or PermuteAttack");
        }
        if (features == null || features.length == 0) {
            throw new IllegalArgumentException("features: is empty, expected the feature columns in model-input order");
        }
        Set<String> seen = new HashSet<>();
        for (String f : features) {
            if (f == null || !seen.add(f)) {
                throw new IllegalArgumentException("features: " + Arrays.toString(features)
                        + " has a null or repeated column " + f);
            }
        }
        this.factory = factory;
        this.method = method;
        this.features = features.clone();
        this.modelId = ExecutorResources.identity("tabular", factory, this.features);
        method.check(this.features);
        this.vectors = vectors;
        if (vectors == null && method instanceof AttributionMethod && ((AttributionMethod) method).targets.length != 1) {
            throw new IllegalArgumentException("targets: " + Arrays.toString(((AttributionMethod) method).targets)
                    + " has several outputs; LumenExplainer explains one output per row (TabularSHAP"
                    + " explains several)");
        }
    }

    /**
     * An explainer of {@code features} (model-input order) with the model {@code factory} builds
     * and {@code method}.
     *
     * @param factory builds the model on each executor
     * @param method the method and its options
     * @param features the feature columns, in model-input order
     * @return the explainer
     * @throws IllegalArgumentException when an argument or an option is invalid for the features
     */
    public static LumenExplainer of(ModelFactory factory, ExplainMethod method, String... features) {
        return new LumenExplainer(factory, method, features);
    }

    /**
     * Keys rows by this id column (string or integral): the key is
     * {@link RowKeys#ofId(Object)}. Without it, rows are keyed by the hash of their feature values.
     *
     * @param column the id column, or null for the default
     * @return this explainer
     */
    public LumenExplainer keyColumn(String column) {
        this.keyColumn = column;
        return this;
    }

    /**
     * Writes the reason a row could not be explained in this string column (null for rows that
     * were) and explains the other rows, instead of failing the job (the default, null).
     *
     * @param column the error column's name, or null to fail on the first bad row
     * @return this explainer
     */
    public LumenExplainer errorColumn(String column) {
        this.errorColumn = column;
        return this;
    }

    /**
     * Writes one float column per feature (or group), named {@code prefix + name}, instead of the
     * {@code attributions} array.
     *
     * @param prefix the columns' prefix (e.g. {@code "shap_"}), or null for the array column
     * @return this explainer
     */
    public LumenExplainer attributionColumns(String prefix) {
        this.attributionPrefix = prefix;
        return this;
    }

    /**
     * The seed of every random draw (default 0; 64 bits read as unsigned).
     *
     * @param seed the seed
     * @return this explainer
     */
    public LumenExplainer seed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Rows per engine call (default 256): bounds the memory a task holds; never changes results.
     *
     * @param rows rows per call, at least 1
     * @return this explainer
     */
    public LumenExplainer batchRows(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("batchRows: is " + rows + ", expected at least 1");
        }
        this.batchRows = rows;
        return this;
    }

    /**
     * The top {@code k} reason codes per row, the players that moved the output in
     * {@code direction} most (default 3, {@link Direction#LOWERED}); k = 0 drops the column.
     *
     * @param k reason codes per row, at least 0
     * @param direction lowered or raised
     * @return this explainer
     */
    public LumenExplainer reasonCodes(int k, Direction direction) {
        if (k < 0 || direction == null) {
            throw new IllegalArgumentException("reasonCodes: (" + k + ", " + direction
                    + ") expected k ≥ 0 and a direction");
        }
        this.reasonCodes = k;
        this.direction = direction;
        return this;
    }

    /**
     * Worker threads of each executor's engine (default 0: one per core).
     *
     * @param threads worker threads, or 0
     * @return this explainer
     */
    public LumenExplainer engineThreads(int threads) {
        this.engineThreads = threads;
        return this;
    }

    /**
     * The feature columns.
     *
     * @return a copy of the feature columns
     */
    public String[] features() {
        return features.clone();
    }

    /**
     * The method.
     *
     * @return the method
     */
    public ExplainMethod method() {
        return method;
    }

    /**
     * The seed.
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * The schema {@link #explain} returns for input {@code input}.
     *
     * @param input the input's schema
     * @return the input's columns followed by the result columns
     * @throws IllegalArgumentException when a feature or key column is missing or has the wrong
     *     type, or a result column would replace an input column
     */
    public StructType outputSchema(StructType input) {
        checkColumns(input, features, keyColumn);
        List<StructField> fields = new ArrayList<>(Arrays.asList(input.fields()));
        fields.addAll(resultFields());
        if (errorColumn != null) {
            fields.add(field(errorColumn, DataTypes.StringType));
        }
        Set<String> names = new HashSet<>();
        for (StructField f : fields) {
            if (!names.add(f.name())) {
                throw new IllegalArgumentException("column '" + f.name() + "' is both an input column and a result"
                        + " column; rename or drop the input column first");
            }
        }
        return new StructType(fields.toArray(new StructField[0]));
    }

    /** The result columns, in the order {@link PartitionExplainer} fills them (no error column). */
    List<StructField> resultFields() {
        List<StructField> fields = new ArrayList<>();
        if (vectors != null) {
            fields.add(field(vectors.outputCol, DataTypes.createArrayType(SQLDataTypes.VectorType(), false)));
            if (vectors.standardErrorsCol != null) {
                fields.add(field(vectors.standardErrorsCol, DataTypes.createArrayType(SQLDataTypes.VectorType(), true)));
            }
            if (vectors.reasonCodesCol != null) {
                fields.add(field(vectors.reasonCodesCol, DataTypes.createArrayType(REASON_CODE, false)));
            }
            return fields;
        }
        fields.add(field(KEY, DataTypes.LongType));
        if (method instanceof PermuteAttack) {
            fields.add(field(ORIGINAL_CLASS, DataTypes.IntegerType));
            fields.add(field(TARGET_CLASS, DataTypes.IntegerType));
            fields.add(field(ORIGINAL_PROBABILITY, DataTypes.FloatType));
            fields.add(field(ALREADY_AT_TARGET, DataTypes.BooleanType));
            fields.add(field(COUNTERFACTUALS, DataTypes.createArrayType(COUNTERFACTUAL, false)));
            return fields;
        }
        fields.add(field(PREDICTION, DataTypes.FloatType));
        fields.add(field(BASE_VALUE, DataTypes.FloatType));
        if (attributionPrefix == null) {
            fields.add(field(ATTRIBUTIONS, FLOATS));
        } else {
            for (String name : ((AttributionMethod) method).playerNames(features)) {
                fields.add(field(attributionPrefix + name, DataTypes.FloatType));
            }
        }
        fields.add(field(STANDARD_ERRORS, FLOATS));
        fields.add(field(COMPLETENESS_GAP, DataTypes.DoubleType));
        if (reasonCodes > 0) {
            fields.add(field(REASON_CODES, DataTypes.createArrayType(REASON_CODE, false)));
        }
        return fields;
    }

    /**
     * SynapseML's layout, for {@link TabularSHAP}: per target class, one vector [base value,
     * attributions...] in {@code outputCol}; optionally the standard errors (one vector per class)
     * and the first class's reason codes.
     */
    static final class VectorLayout implements Serializable {
        private static final long serialVersionUID = 1L;
        final String outputCol;
        final String standardErrorsCol;
        final String reasonCodesCol;

        VectorLayout(String outputCol, String standardErrorsCol, String reasonCodesCol) {
            this.outputCol = outputCol;
            this.standardErrorsCol = standardErrorsCol;
            this.reasonCodesCol = reasonCodesCol;
        }
    }

    /** An explainer in SynapseML's layout, for {@link TabularSHAP}; several targets allowed. */
    static LumenExplainer vectorLayout(ModelFactory factory, KernelShap method, String[] features, VectorLayout layout) {
        return new LumenExplainer(factory, method, features, layout);
    }

    /**
     * Explains every row of {@code data}; lazy, like any Spark transformation.
     *
     * @param data the rows, with the feature columns (and the key column, if set)
     * @return the input's columns followed by the result columns (see {@link #outputSchema})
     * @throws IllegalArgumentException when a column is missing or of the wrong type
     */
    public Dataset<Row> explain(Dataset<Row> data) {
        StructType schema = outputSchema(data.schema());
        PartitionExplainer task = new PartitionExplainer(this, data.schema());
        return data.mapPartitions(task, Encoders.row(schema));
    }

    /**
     * Collects up to {@code maxRows} rows of {@code data}'s {@code features} columns as float arrays,
     * for a background set or PermuteAttack's training rows; the rows come in the Dataset's own
     * order, so give a Dataset whose order is fixed (a small table, or one sorted by an id).
     *
     * @param data the rows
     * @param maxRows the most rows to take
     * @param features the feature columns, in model-input order
     * @return one float array per row
     * @throws IllegalArgumentException when a column is missing, not numeric, or holds a null
     */
    public static float[][] collectRows(Dataset<Row> data, int maxRows, String... features) {
        checkColumns(data.schema(), features, null);
        List<Row> rows = data.selectExpr(quoted(features)).limit(maxRows).collectAsList();
        float[][] out = new float[rows.size()][features.length];
        for (int r = 0; r < rows.size(); r++) {
            for (int f = 0; f < features.length; f++) {
                Object v = rows.get(r).get(f);
                if (v == null) {
                    throw new IllegalArgumentException("feature column '" + features[f] + "' is null in row "
                            + rows.get(r) + " of the collected rows");
                }
                out[r][f] = ((Number) v).floatValue();
            }
        }
        return out;
    }

    private static String[] quoted(String[] columns) {
        String[] q = new String[columns.length];
        for (int i = 0; i < columns.length; i++) {
            q[i] = "`" + columns[i].replace("`", "``") + "`";
        }
        return q;
    }

    static final ArrayType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);

    /** A reason code: the feature (or group) and its contribution. */
    static final StructType REASON_CODE = new StructType(new StructField[] {
        DataTypes.createStructField("feature", DataTypes.StringType, false),
        DataTypes.createStructField("contribution", DataTypes.FloatType, false)});

    /** A counterfactual: its values, the columns it changes and the model's view of it. */
    static final StructType COUNTERFACTUAL = new StructType(new StructField[] {
        DataTypes.createStructField("values", FLOATS, false),
        DataTypes.createStructField("changed", DataTypes.createArrayType(DataTypes.StringType, false), false),
        DataTypes.createStructField("target_probability", DataTypes.FloatType, false),
        DataTypes.createStructField("predicted_class", DataTypes.IntegerType, false),
        DataTypes.createStructField("success", DataTypes.BooleanType, false),
        DataTypes.createStructField("distance", DataTypes.FloatType, false)});

    static StructField field(String name, DataType type) {
        return new StructField(name, type, true, Metadata.empty());
    }

    /** Checks that the feature columns exist and are numeric, and that the key column exists. */
    static void checkColumns(StructType schema, String[] features, String keyColumn) {
        List<String> names = Arrays.asList(schema.fieldNames());
        for (String f : features) {
            if (!names.contains(f)) {
                throw new IllegalArgumentException("feature column '" + f + "' is missing; the Dataset has columns "
                        + names);
            }
            DataType type = schema.apply(f).dataType();
            if (!(type instanceof NumericType) && !(type instanceof DecimalType)) {
                throw new IllegalArgumentException("feature column '" + f + "' has type " + type.simpleString()
                        + ", expected a numeric type (byte, short, int, long, float, double or decimal)");
            }
        }
        if (keyColumn != null && !names.contains(keyColumn)) {
            throw new IllegalArgumentException("key column '" + keyColumn + "' is missing; the Dataset has columns "
                    + names);
        }
    }
}

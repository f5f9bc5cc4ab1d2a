package dev.lumen.spark;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.percentile;
import static org.apache.spark.sql.functions.lit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * TimeSHAP over sequences stored one event per row: the events of a sequence share an id column
 * and are ordered by an order column (a timestamp, say); the feature columns are one event's
 * values. {@link #explain} gives one row per sequence with its values per event, feature or cell;
 * {@link #pruningTable} gives TimeSHAP's pruning table by a Spark aggregation.
 *
 * <p>A sequence's random draws come from the seed and the key of its id
 * ({@link RowKeys#ofId(Object)}), so results do not depend on how sequences are partitioned.
 * Rows are moved so that each sequence is in one partition ({@link #partitions(int)} of them,
 * hashed by id) and sorted by the order column there. Bad sequences (a null or non-finite value,
 * a null id or order, two events with the same order value, fewer than two events, a model
 * failure) fail the job with a message naming the sequence, or with
 * {@link #errorColumn(String)} get the message in that column. Setters return {@code this}.
 */
public final class SequenceExplainer implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The column holding the number of events of the sequence. */
    public static final String EVENTS = "events";
    /** The column holding the events kept by pruning (the length without pruning). */
    public static final String PRUNED_LENGTH = "pruned_length";
    /** The column saying whether every coalition was enumerated. */
    public static final String EXACT = "exact";
    /** The column holding the players' names (e.g. {@code Event -1}, the most recent event). */
    public static final String PLAYERS = "players";
    /** The column holding one value per player. */
    public static final String VALUES = "values";

    final SequenceModelFactory factory;
    final TimeShap method;
    final String idColumn;
    final String orderColumn;
    final String[] features;
    final String modelId;
    long seed;
    String errorColumn;
    int partitions;
    int engineThreads;

    private SequenceExplainer(SequenceModelFactory factory, TimeShap method, String idColumn, String orderColumn,
            String[] features) {
        if (factory == null || method == null || idColumn == null || orderColumn == null) {
            throw new IllegalArgumentException("factory, method, idColumn and orderColumn: expected all four, got "
                    + factory + ", " + method + ", " + idColumn + ", " + orderColumn);
        }
        if (features == null || features.length == 0) {
            throw new IllegalArgumentException("features: is empty, expected the feature columns of an event");
        }
        this.factory = factory;
        this.method = method;
        this.idColumn = idColumn;
        this.orderColumn = orderColumn;
        this.features = features.clone();
        method.check(features.length);
        this.modelId = ExecutorResources.identity("sequence", factory, this.features);
    }

    /**
     * An explainer of the sequences in {@code idColumn}, ordered by {@code orderColumn}, whose
     * events are the {@code features} columns.
     *
     * @param factory builds the sequence model on each executor
     * @param method TimeSHAP's options
     * @param idColumn the sequence id column
     * @param orderColumn the column that orders a sequence's events (oldest first)
     * @param features the feature columns of an event, in model-input order
     * @return the explainer
     */
    public static SequenceExplainer of(SequenceModelFactory factory, TimeShap method, String idColumn,
            String orderColumn, String... features) {
        return new SequenceExplainer(factory, method, idColumn, orderColumn, features);
    }

    /**
     * The seed of every random draw (default 0).
     *
     * @param seed the seed
     * @return this explainer
     */
    public SequenceExplainer seed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Records a bad sequence's reason in this column instead of failing the job.
     *
     * @param column the error column, or null to fail (the default)
     * @return this explainer
     */
    public SequenceExplainer errorColumn(String column) {
        this.errorColumn = column;
        return this;
    }

    /**
     * Partitions the sequences are hashed into (default 0: the input's partition count); never
     * changes results.
     *
     * @param partitions at least 1, or 0
     * @return this explainer
     */
    public SequenceExplainer partitions(int partitions) {
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions: is " + partitions + ", expected ≥ 0");
        }
        this.partitions = partitions;
        return this;
    }

    /**
     * Worker threads of each executor's engine (default 0: one per core).
     *
     * @param threads worker threads, or 0
     * @return this explainer
     */
    public SequenceExplainer engineThreads(int threads) {
        this.engineThreads = threads;
        return this;
    }

    /**
     * The schema {@link #explain} returns for events of schema {@code input}.
     *
     * @param input the events' schema
     * @return the id column, then the result columns
     */
    public StructType outputSchema(StructType input) {
        check(input);
        List<StructField> fields = new ArrayList<>();
        fields.add(input.apply(idColumn));
        fields.add(LumenExplainer.field(LumenExplainer.KEY, DataTypes.LongType));
        fields.add(LumenExplainer.field(EVENTS, DataTypes.IntegerType));
        fields.add(LumenExplainer.field(PRUNED_LENGTH, DataTypes.IntegerType));
        fields.add(LumenExplainer.field(EXACT, DataTypes.BooleanType));
        fields.add(LumenExplainer.field(LumenExplainer.PREDICTION, DataTypes.FloatType));
        fields.add(LumenExplainer.field(LumenExplainer.BASE_VALUE, DataTypes.FloatType));
        fields.add(LumenExplainer.field(PLAYERS, DataTypes.createArrayType(DataTypes.StringType, false)));
        fields.add(LumenExplainer.field(VALUES, LumenExplainer.FLOATS));
        fields.add(LumenExplainer.field(LumenExplainer.STANDARD_ERRORS, LumenExplainer.FLOATS));
        if (errorColumn != null) {
            if (errorColumn.equals(idColumn)) {
                throw new IllegalArgumentException("errorColumn: '" + errorColumn + "' is the id column");
            }
            fields.add(LumenExplainer.field(errorColumn, DataTypes.StringType));
        }
        return new StructType(fields.toArray(new StructField[0]));
    }

    private void check(StructType input) {
        LumenExplainer.checkColumns(input, features, idColumn);
        if (!Arrays.asList(input.fieldNames()).contains(orderColumn)) {
            throw new IllegalArgumentException("order column '" + orderColumn + "' is missing; the Dataset has columns "
                    + Arrays.asList(input.fieldNames()));
        }
    }

    /** The events moved so that each sequence is in one partition, sorted by id then order. */
    private Dataset<Row> grouped(Dataset<Row> events) {
        int n = partitions > 0 ? partitions : events.rdd().getNumPartitions();
        return events.repartition(n, col(idColumn)).sortWithinPartitions(col(idColumn), col(orderColumn));
    }

    /**
     * Explains every sequence of {@code events}; lazy, like any Spark transformation.
     *
     * @param events one row per event
     * @return one row per sequence (see {@link #outputSchema})
     */
    public Dataset<Row> explain(Dataset<Row> events) {
        StructType schema = outputSchema(events.schema());
        SequencePartition task = new SequencePartition(this, events.schema(), null);
        return grouped(events).mapPartitions(task, Encoders.row(schema));
    }

    /**
     * TimeSHAP's pruning table over the sequences of {@code events}: for each tolerance η, the
     * number of sequences and the mean, median (exact) and largest pruned length, as a Spark
     * aggregation of each sequence's pruning walk. Sequences that cannot be pruned (see the class
     * comment) fail the job, or are left out with an error column.
     *
     * @param events one row per event
     * @param tolerances the tolerances η (finite, ≥ 0)
     * @return columns {@code tolerance}, {@code sequences}, {@code mean_pruned_length},
     *     {@code median_pruned_length}, {@code max_pruned_length}, one row per η, ascending
     */
    public Dataset<Row> pruningTable(Dataset<Row> events, double... tolerances) {
        check(events.schema());
        if (tolerances == null || tolerances.length == 0) {
            throw new IllegalArgumentException("tolerances: is empty, expected at least one η");
        }
        for (double eta : tolerances) {
            if (!(Double.isFinite(eta) && eta >= 0)) {
                throw new IllegalArgumentException("tolerances: holds " + eta + ", expected finite values ≥ 0");
            }
        }
        StructType schema = new StructType(new StructField[] {
            events.schema().apply(idColumn),
            LumenExplainer.field("tolerance", DataTypes.DoubleType),
            LumenExplainer.field(PRUNED_LENGTH, DataTypes.IntegerType),
            LumenExplainer.field("error", DataTypes.StringType)});
        SequencePartition task = new SequencePartition(this, events.schema(), tolerances.clone());
        return grouped(events).mapPartitions(task, Encoders.row(schema))
                .filter(col("error").isNull())
                .groupBy("tolerance")
                .agg(count(lit(1)).as("sequences"), avg(col(PRUNED_LENGTH)).as("mean_pruned_length"),
                        percentile(col(PRUNED_LENGTH), lit(0.5)).as("median_pruned_length"),
                        max(col(PRUNED_LENGTH)).as("max_pruned_length"))
                .orderBy("tolerance");
    }
}

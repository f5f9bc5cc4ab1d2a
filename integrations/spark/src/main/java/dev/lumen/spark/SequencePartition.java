package dev.lumen.spark;

import dev.lumen.CallOptions;
import dev.lumen.CancelledException;
import dev.lumen.Engine;
import dev.lumen.LumenException;
import dev.lumen.Player;
import dev.lumen.SequenceModelHandle;
import dev.lumen.TimeShapExplanation;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * The executor side of {@link SequenceExplainer}: walks a partition sorted by id and order,
 * gathers each sequence's events and explains it (or, for the pruning table, prunes it at each
 * tolerance) with the JVM's engine and model.
 */
final class SequencePartition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final SequenceExplainer ex;
    private final int[] featureIndex;
    private final int idIndex;
    private final int orderIndex;
    private final double[] tolerances;

    SequencePartition(SequenceExplainer ex, StructType input, double[] tolerances) {
        this.ex = ex;
        this.featureIndex = new int[ex.features.length];
        for (int f = 0; f < featureIndex.length; f++) {
            featureIndex[f] = input.fieldIndex(ex.features[f]);
        }
        this.idIndex = input.fieldIndex(ex.idColumn);
        this.orderIndex = input.fieldIndex(ex.orderColumn);
        this.tolerances = tolerances;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        return new ChunkedRows(new java.util.function.Supplier<Iterator<Row>>() {
            /** The first event of the next sequence, read while finding the end of the last. */
            private Row pending;

            @Override
            public Iterator<Row> get() {
                if (pending == null && !input.hasNext()) {
                    return null;
                }
                List<Row> events = new ArrayList<>();
                Row first = pending != null ? pending : input.next();
                pending = null;
                events.add(first);
                while (input.hasNext()) {
                    Row next = input.next();
                    if (Objects.equals(next.get(idIndex), first.get(idIndex))) {
                        events.add(next);
                    } else {
                        pending = next;
                        break;
                    }
                }
                return sequence(events).iterator();
            }
        });
    }

    /** Why a sequence cannot be explained. */
    private static final class BadSequence extends Exception {
        private static final long serialVersionUID = 1L;

        BadSequence(String message) {
            super(message, null, false, false);
        }
    }

    private float[] read(List<Row> events, String name) throws BadSequence {
        int f = featureIndex.length;
        if (events.get(0).isNullAt(idIndex)) {
            throw new BadSequence("id column '" + ex.idColumn + "' is null in " + events.size() + " events");
        }
        if (events.size() < 2) {
            throw new BadSequence(name + " has 1 event; TimeSHAP needs at least 2");
        }
        float[] x = new float[events.size() * f];
        for (int e = 0; e < events.size(); e++) {
            Row row = events.get(e);
            Object order = row.get(orderIndex);
            if (order == null) {
                throw new BadSequence("order column '" + ex.orderColumn + "' is null in event " + e + " of " + name);
            }
            if (e > 0 && order.equals(events.get(e - 1).get(orderIndex))) {
                throw new BadSequence("events " + (e - 1) + " and " + e + " of " + name + " share the order value "
                        + order + " in column '" + ex.orderColumn + "', so their order is undefined");
            }
            for (int j = 0; j < f; j++) {
                Object v = row.get(featureIndex[j]);
                if (v == null) {
                    throw new BadSequence("feature column '" + ex.features[j] + "' is null in event " + e + " ("
                            + ex.orderColumn + " = " + order + ") of " + name);
                }
                float value = ((Number) v).floatValue();
                if (!Float.isFinite(value)) {
                    throw new BadSequence("feature column '" + ex.features[j] + "' is " + value + " in event " + e
                            + " (" + ex.orderColumn + " = " + order + ") of " + name + ", expected a finite value");
                }
                x[e * f + j] = value;
            }
        }
        return x;
    }

    private List<Row> sequence(List<Row> events) {
        Object id = events.get(0).get(idIndex);
        String name = "sequence with " + ex.idColumn + " = '" + id + "'";
        int n = events.size();
        float[] x;
        long key;
        try {
            x = read(events, name);
            key = RowKeys.ofId(id);
        } catch (BadSequence e) {
            return failed(id, null, n, e.getMessage(), null);
        }
        Engine engine = ExecutorResources.engine(ex.engineThreads);
        SequenceModelHandle model = ExecutorResources.sequenceModel(ex.modelId, ex.factory, ex.features);
        CallOptions call = new CallOptions().seed(ex.seed).rowKeys(key);
        try {
            if (tolerances != null) {
                List<Row> out = new ArrayList<>();
                for (double eta : tolerances) {
                    int pruned = engine.timeshapPrune(model, x, n, ex.method.options(eta), false, call).prunedLength();
                    out.add(RowFactory.create(id, eta, pruned, null));
                }
                return out;
            }
            try (TimeShapExplanation e = engine.explainTimeShap(model, x, n, ex.method.level(), ex.method.options(),
                    call)) {
                List<Player> players = e.players();
                String[] names = new String[players.size()];
                for (int i = 0; i < names.length; i++) {
                    names[i] = players.get(i).name();
                }
                float[] values = e.values();
                float[] errors = e.standardErrors();
                Object[] row = {id, key, n, e.prunedLength(), e.exact(), e.prediction(), e.baseValue(), names,
                    PartitionExplainer.boxed(values, 0, values.length),
                    errors == null ? null : PartitionExplainer.boxed(errors, 0, errors.length)};
                return List.of(RowFactory.create(ex.errorColumn == null ? row : append(row, null)));
            }
        } catch (CancelledException stopped) {
            throw stopped; // Spark is killing the task (interrupt): not a bad sequence.
        } catch (LumenException e) {
            String message = "explaining " + name + " (key " + RowKeys.hex(key) + ") with TimeSHAP failed: "
                    + e.getMessage();
            return failed(id, key, n, message, e);
        }
    }

    private List<Row> failed(Object id, Long key, int events, String message, Throwable cause) {
        if (ex.errorColumn == null) {
            throw new LumenSparkException(message + " (set errorColumn to record bad sequences and explain the others)",
                    cause);
        }
        if (tolerances != null) {
            return List.of(RowFactory.create(id, null, null, message));
        }
        return List.of(RowFactory.create(id, key, events, null, null, null, null, null, null, null, message));
    }

    private static Object[] append(Object[] row, Object value) {
        Object[] out = java.util.Arrays.copyOf(row, row.length + 1);
        out[row.length] = value;
        return out;
    }
}

package dev.lumen.spark;

import dev.lumen.CallOptions;
import dev.lumen.CancelledException;
import dev.lumen.Counterfactual;
import dev.lumen.Counterfactuals;
import dev.lumen.Engine;
import dev.lumen.Explanation;
import dev.lumen.InstanceCounterfactuals;
import dev.lumen.LumenException;
import dev.lumen.ModelHandle;
import dev.lumen.ReasonCode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * The executor side of {@link LumenExplainer}: reads a partition in batches of
 * {@code batchRows} rows, keys and explains each batch with the JVM's engine and model, and
 * appends the result columns. A batch that fails is explained again row by row (a row's values do
 * not depend on its batch), so a failure names its row and, with an error column, only that row
 * is lost.
 */
final class PartitionExplainer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final LumenExplainer ex;
    private final int[] featureIndex;
    private final int keyIndex;
    private final int width;

    PartitionExplainer(LumenExplainer ex, StructType input) {
        this.ex = ex;
        this.featureIndex = new int[ex.features.length];
        for (int f = 0; f < featureIndex.length; f++) {
            featureIndex[f] = input.fieldIndex(ex.features[f]);
        }
        this.keyIndex = ex.keyColumn == null ? -1 : input.fieldIndex(ex.keyColumn);
        this.width = ex.resultFields().size();
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        return new ChunkedRows(() -> {
            if (!input.hasNext()) {
                return null;
            }
            List<Row> batch = new ArrayList<>(ex.batchRows);
            while (batch.size() < ex.batchRows && input.hasNext()) {
                batch.add(input.next());
            }
            return explainBatch(batch).iterator();
        });
    }

    /** A row that cannot be explained, with the reason. */
    private static final class BadRow extends Exception {
        private static final long serialVersionUID = 1L;

        BadRow(String message) {
            super(message, null, false, false);
        }
    }

    /** How messages name a row: by its id, else by its feature values. */
    private String describe(Row row) {
        if (keyIndex >= 0) {
            return "row with " + ex.keyColumn + " = '" + row.get(keyIndex) + "'";
        }
        StringBuilder b = new StringBuilder("row with features {");
        for (int f = 0; f < featureIndex.length; f++) {
            b.append(f == 0 ? "" : ", ").append(ex.features[f]).append('=').append(row.get(featureIndex[f]));
            if (b.length() > 300) {
                b.append(", ...");
                break;
            }
        }
        return b.append('}').toString();
    }

    /** Reads the features of {@code row} into {@code x[at..]} and returns its key. */
    private long read(Row row, float[] x, int at) throws BadRow {
        for (int f = 0; f < featureIndex.length; f++) {
            Object v = row.get(featureIndex[f]);
            if (v == null) {
                throw new BadRow("feature column '" + ex.features[f] + "' is null in " + describe(row));
            }
            float value = ((Number) v).floatValue();
            if (!Float.isFinite(value)) {
                throw new BadRow("feature column '" + ex.features[f] + "' is " + value + " (as float32) in "
                        + describe(row) + ", expected a finite value");
            }
            x[at + f] = value;
        }
        if (keyIndex >= 0) {
            Object id = row.get(keyIndex);
            if (id == null) {
                throw new BadRow("key column '" + ex.keyColumn + "' is null in " + describe(row));
            }
            return RowKeys.ofId(id);
        }
        return RowKeys.ofValues(x, at, featureIndex.length);
    }

    /** The results of one row: its values after the input's, or its error. */
    private static final class Outcome {
        long key;
        boolean keyKnown;
        Object[] values;
        String error;
    }

    private List<Row> explainBatch(List<Row> batch) {
        int n = batch.size();
        int f = featureIndex.length;
        Outcome[] outcomes = new Outcome[n];
        float[] x = new float[n * f];
        long[] keys = new long[n];
        int[] good = new int[n];
        int goods = 0;
        for (int i = 0; i < n; i++) {
            outcomes[i] = new Outcome();
            try {
                long key = read(batch.get(i), x, goods * f);
                outcomes[i].key = key;
                outcomes[i].keyKnown = true;
                keys[goods] = key;
                good[goods++] = i;
            } catch (BadRow e) {
                fail(e.getMessage(), null);
                outcomes[i].error = e.getMessage();
            }
        }
        if (goods > 0) {
            Engine engine = ExecutorResources.engine(ex.engineThreads);
            ModelHandle model = ExecutorResources.model(ex.modelId, ex.factory, ex.features);
            float[] xs = java.util.Arrays.copyOf(x, goods * f);
            long[] ks = java.util.Arrays.copyOf(keys, goods);
            try {
                Object[][] values = run(engine, model, xs, goods, ks);
                for (int g = 0; g < goods; g++) {
                    outcomes[good[g]].values = values[g];
                }
            } catch (CancelledException stopped) {
                throw stopped; // Spark is killing the task (interrupt): no row-by-row retry.
            } catch (LumenException batchFailure) {
                // A row's values do not depend on its batch: explain the rows one by one, so the
                // failure names its row and, with an error column, only that row is lost.
                for (int g = 0; g < goods; g++) {
                    float[] one = java.util.Arrays.copyOfRange(xs, g * f, (g + 1) * f);
                    try {
                        outcomes[good[g]].values = run(engine, model, one, 1, new long[] {ks[g]})[0];
                    } catch (CancelledException stopped) {
                        throw stopped;
                    } catch (LumenException e) {
                        String message = "explaining " + describe(batch.get(good[g])) + " (key "
                                + RowKeys.hex(ks[g]) + ") with " + ex.method.name() + " failed: " + e.getMessage()
                                + (e.getCause() == null || String.valueOf(e.getMessage()).contains(e.getCause().toString())
                                        ? "" : " (cause: " + e.getCause() + ")");
                        fail(message, e);
                        outcomes[good[g]].error = message;
                    }
                }
            }
        }
        List<Row> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(row(batch.get(i), outcomes[i]));
        }
        return out;
    }

    /** Without an error column, stops the task with {@code message}. */
    private void fail(String message, Throwable cause) {
        if (ex.errorColumn == null) {
            throw new LumenSparkException(message + " (set errorColumn to record bad rows and explain the others)",
                    cause);
        }
    }

    private Row row(Row input, Outcome o) {
        int inputs = input.length();
        Object[] all = new Object[inputs + width + (ex.errorColumn == null ? 0 : 1)];
        for (int i = 0; i < inputs; i++) {
            all[i] = input.get(i);
        }
        if (o.values != null) {
            System.arraycopy(o.values, 0, all, inputs, width);
        } else if (ex.vectors == null && o.error != null && o.keyKnown) {
            all[inputs] = o.key;
        }
        if (ex.errorColumn != null) {
            all[all.length - 1] = o.error;
        }
        return RowFactory.create(all);
    }

    /** The result columns of {@code rows} rows, explained in one engine call. */
    private Object[][] run(Engine engine, ModelHandle model, float[] x, int rows, long[] keys) {
        CallOptions call = new CallOptions().seed(ex.seed).rowKeys(keys);
        Object[][] out = new Object[rows][];
        if (ex.method instanceof PermuteAttack) {
            Counterfactuals c = ((PermuteAttack) ex.method).run(engine, model, x, rows, call, ex.features);
            for (int r = 0; r < rows; r++) {
                out[r] = withKey(keys[r], counterfactualColumns(c.instances().get(r), c.featureNames()));
            }
            return out;
        }
        AttributionMethod method = (AttributionMethod) ex.method;
        try (Explanation e = method.run(engine, model, x, rows, call, ex.features)) {
            int p = e.features();
            float[] attributions = e.attributions();
            float[] predictions = e.predictions();
            float[] bases = e.baseValues();
            float[] errors = e.standardErrors();
            double[] gaps = e.completenessGaps();
            List<String> names = e.featureNames();
            if (ex.vectors != null) {
                return vectorColumns(e, rows);
            }
            for (int r = 0; r < rows; r++) {
                List<Object> cols = new ArrayList<>();
                cols.add(keys[r]);
                cols.add(predictions[r]);
                cols.add(bases[r]);
                Float[] a = boxed(attributions, r * p, p);
                if (ex.attributionPrefix == null) {
                    cols.add(a);
                } else {
                    cols.addAll(java.util.Arrays.asList(a));
                }
                cols.add(errors == null ? null : boxed(errors, r * p, p));
                cols.add(gaps == null ? null : gaps[r]);
                if (ex.reasonCodes > 0) {
                    cols.add(reasonCodes(e, r, names));
                }
                out[r] = cols.toArray();
            }
        }
        return out;
    }

    private static Object[] withKey(long key, Object[] values) {
        Object[] out = new Object[values.length + 1];
        out[0] = key;
        System.arraycopy(values, 0, out, 1, values.length);
        return out;
    }

    /** SynapseML's layout: per explained output, a vector [base value, attributions...]. */
    private Object[][] vectorColumns(Explanation e, int rows) {
        int p = e.features();
        int outputs = e.outputs();
        float[] attributions = e.attributions();
        float[] bases = e.baseValues();
        float[] errors = e.standardErrors();
        List<String> names = e.featureNames();
        Object[][] out = new Object[rows][];
        for (int r = 0; r < rows; r++) {
            List<Object> cols = new ArrayList<>();
            Vector[] shap = new Vector[outputs];
            Vector[] se = new Vector[outputs];
            for (int o = 0; o < outputs; o++) {
                double[] v = new double[p + 1];
                v[0] = bases[r * outputs + o];
                double[] s = new double[p];
                for (int j = 0; j < p; j++) {
                    v[j + 1] = attributions[(r * outputs + o) * p + j];
                    s[j] = errors == null ? 0 : errors[(r * outputs + o) * p + j];
                }
                shap[o] = Vectors.dense(v);
                se[o] = errors == null ? null : Vectors.dense(s);
            }
            cols.add(shap);
            if (ex.vectors.standardErrorsCol != null) {
                cols.add(errors == null ? null : se);
            }
            if (ex.vectors.reasonCodesCol != null) {
                cols.add(reasonCodes(e, r, names));
            }
            out[r] = cols.toArray();
        }
        return out;
    }

    private Row[] reasonCodes(Explanation e, int r, List<String> names) {
        List<ReasonCode> codes = e.reasonCodes(r, 0, ex.reasonCodes, ex.direction);
        Row[] rc = new Row[codes.size()];
        for (int i = 0; i < rc.length; i++) {
            rc[i] = RowFactory.create(names.get(codes.get(i).feature()), codes.get(i).contribution());
        }
        return rc;
    }

    private static Object[] counterfactualColumns(InstanceCounterfactuals c, List<String> names) {
        Row[] found = new Row[c.counterfactuals().size()];
        for (int i = 0; i < found.length; i++) {
            Counterfactual cf = c.counterfactuals().get(i);
            String[] changed = new String[cf.changed().length];
            for (int j = 0; j < changed.length; j++) {
                changed[j] = names.get(cf.changed()[j]);
            }
            found[i] = RowFactory.create(boxed(cf.row(), 0, cf.row().length), changed, cf.targetProbability(),
                    cf.predictedClass(), cf.success(), cf.distance());
        }
        return new Object[] {c.originalClass(), c.targetClass(), c.originalProbability(), c.alreadyAtTarget(), found};
    }

    static Float[] boxed(float[] values, int from, int length) {
        Float[] out = new Float[length];
        for (int i = 0; i < length; i++) {
            out[i] = values[from + i];
        }
        return out;
    }
}

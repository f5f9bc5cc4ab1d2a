package dev.lumen.spark.checks;

import dev.lumen.CallOptions;
import dev.lumen.Direction;
import dev.lumen.Engine;
import dev.lumen.EngineOptions;
import dev.lumen.Estimator;
import dev.lumen.Explanation;
import dev.lumen.KernelShapOptions;
import dev.lumen.ModelHandle;
import dev.lumen.ModelSpec;
import dev.lumen.spark.FeatureAblation;
import dev.lumen.spark.GlobalSummary;
import dev.lumen.spark.KernelShap;
import dev.lumen.spark.LumenExplainer;
import dev.lumen.spark.ModelFactory;
import dev.lumen.spark.PermuteAttack;
import dev.lumen.spark.RowKeys;
import dev.lumen.spark.SequenceExplainer;
import dev.lumen.spark.TabularSHAP;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import dev.lumen.spark.TimeShap;
import dev.lumen.spark.demo.Transactions;
import dev.lumen.SequenceModelHandle;
import dev.lumen.SequenceModelSpec;
import dev.lumen.TimeShapExplanation;
import dev.lumen.TimeShapLevel;
import dev.lumen.spark.demo.CreditModel;
import dev.lumen.spark.demo.GermanCredit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The Spark integration's checks, run by {@code run-tests.sh} through {@code spark-submit} on
 * local[2] and on a standalone cluster. Arguments: a label ({@code local}, {@code cluster}), the
 * path of {@code german.data} and a folder for the digests of the results (one text line of bits
 * per row), which the script compares between masters. Prints one line per check and
 * {@code N passed, N failed}; exits 1 when a check failed.
 */
public final class SparkChecks {
    private static int passed;
    private static int failed;

    private SparkChecks() {}

    /**
     * Runs the checks.
     *
     * @param args label, german.data, digest folder
     * @throws Exception when the setup fails
     */
    public static void main(String[] args) throws Exception {
        String label = args[0];
        Path out = Path.of(args[2]);
        Files.createDirectories(out);
        float[][] data = GermanCredit.load(Path.of(args[1]));
        CreditModel model = CreditModel.fit(data);
        SparkSession spark = SparkSession.builder().appName("lumen-spark-checks-" + label).getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        String[] f = GermanCredit.FEATURES;
        Dataset<Row> rows = GermanCredit.portfolio(spark, data, 40, 7, 2).cache();
        float[][] background = Arrays.copyOfRange(features(data), 0, 12);
        long seed = 20261204L;

        KernelShap shap = KernelShap.withBackground(background).budget(300).target(1);
        LumenExplainer keyed = LumenExplainer.of(model, shap, f).keyColumn("application_id").seed(seed).batchRows(16);
        List<Row> batch = sorted(keyed.explain(rows));
        String kernelDigest = digest(batch, 21);
        samePartitions("kernel_shap keyed by application_id", keyed, rows, kernelDigest, 21);
        Files.writeString(out.resolve(label + "-kernel_shap.txt"), kernelDigest);
        if (label.equals("local")) {
            writeForPython(out, model, batch, f);
        }

        LinkedHashMap<String, List<String>> groups = new LinkedHashMap<>();
        groups.put("loan", List.of("duration_months", "credit_amount", "installment_rate", "purpose"));
        groups.put("person", List.of("age", "personal_status", "job", "people_liable", "foreign_worker"));
        LumenExplainer grouped = LumenExplainer.of(model, KernelShap.withBackground(background).budget(200).target(1)
                .groups(groups), f).seed(seed);
        List<Row> groupedRows = sorted(grouped.explain(rows));
        String groupedDigest = digest(groupedRows, 21);
        samePartitions("kernel_shap with groups, keyed by feature values", grouped, rows, groupedDigest, 21);
        Files.writeString(out.resolve(label + "-kernel_shap_groups.txt"), groupedDigest);
        check("groups give one attribution per player (13)",
                groupedRows.get(0).<Float>getList(groupedRows.get(0).fieldIndex(LumenExplainer.ATTRIBUTIONS)).size() == 13,
                "");

        float[] medians = new float[f.length];
        for (int j = 0; j < f.length; j++) {
            float[] column = new float[data.length];
            for (int i = 0; i < data.length; i++) {
                column[i] = data[i][j];
            }
            Arrays.sort(column);
            medians[j] = column[column.length / 2];
        }
        LumenExplainer ablation = LumenExplainer.of(model, FeatureAblation.create().baseline(medians).target(1), f)
                .keyColumn("application_id").attributionColumns("fa_");
        String ablationDigest = digest(sorted(ablation.explain(rows)), 21);
        List<Row> ablationSummary = GlobalSummary.meanAbsolute(ablation.explain(rows), ablation).collectAsList();
        check("global summary over one column per feature: 20 features, " + rows.count() + " rows each",
                ablationSummary.size() == 20 && ablationSummary.get(0).getLong(3) == rows.count(),
                ablationSummary.toString());
        samePartitions("feature_ablation, one column per feature", ablation, rows, ablationDigest, 21);
        Files.writeString(out.resolve(label + "-feature_ablation.txt"), ablationDigest);

        PermuteAttack attack = PermuteAttack.withTraining(Arrays.copyOfRange(features(data), 0, 200))
                .search(12, 4, 15, 2).counterfactuals(2).immutable("age", "foreign_worker");
        LumenExplainer counterfactuals = LumenExplainer.of(model, attack, f).keyColumn("application_id").seed(seed);
        Dataset<Row> few = rows.filter(functions.col("application_id").lt("A-0000010")).cache();
        List<Row> cfRows = sorted(counterfactuals.explain(few));
        String cfDigest = digest(cfRows, 21);
        samePartitions("permute_attack counterfactuals", counterfactuals, few, cfDigest, 21);
        Files.writeString(out.resolve(label + "-permute_attack.txt"), cfDigest);
        boolean ageKept = true;
        for (Row r : cfRows) {
            for (Row c : r.<Row>getList(r.fieldIndex(LumenExplainer.COUNTERFACTUALS))) {
                ageKept &= !c.<String>getList(1).contains("age");
            }
        }
        check("permute_attack never changes an immutable column", ageKept, "");

        tabularShap(spark, model, data, rows, batch, out, label, seed);
        timeShap(spark, out, label, seed);
        plainApi(model, background, batch, seed);
        defaultKeys(model, background, groupedRows, rows, seed);
        reExplainOne(keyed, rows, batch);
        badInput(spark, model, background, rows, batch, seed);

        List<Row> summary = GlobalSummary.meanAbsolute(keyed.explain(rows), keyed).collectAsList();
        check("global summary: one row per feature, by mean |attribution| descending", summary.size() == 20
                && summary.get(0).getDouble(1) >= summary.get(19).getDouble(1), summary.toString());
        double manual = 0;
        int at = batch.get(0).fieldIndex(LumenExplainer.ATTRIBUTIONS);
        int column = Arrays.asList(f).indexOf(summary.get(0).getString(0));
        for (Row r : batch) {
            manual += Math.abs(r.<Float>getList(at).get(column));
        }
        check("global summary equals the mean |attribution| computed on the driver",
                Math.abs(manual / batch.size() - summary.get(0).getDouble(1)) < 1e-9,
                manual / batch.size() + " vs " + summary.get(0).getDouble(1));

        spark.stop();
        System.out.println(label + ": " + passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    /**
     * What the PySpark check needs to explain the same rows with the same model and compare bits:
     * the model's coefficients (as IEEE-754 bits), the rows, and their KernelSHAP values.
     */
    static void writeForPython(Path out, CreditModel model, List<Row> batch, String[] f) throws Exception {
        StringBuilder c = new StringBuilder();
        for (double v : model.coefficients()) {
            c.append(Long.toHexString(Double.doubleToRawLongBits(v))).append('\n');
        }
        Files.writeString(out.resolve("credit-model.txt"), c.toString());
        StringBuilder rows = new StringBuilder("application_id," + String.join(",", f) + "\n");
        StringBuilder values = new StringBuilder();
        for (Row r : batch) {
            rows.append(r.getString(0));
            for (String name : f) {
                rows.append(',').append(r.getDouble(r.fieldIndex(name)));
            }
            rows.append('\n');
            values.append(r.getString(0)).append(' ').append(RowKeys.hex(r.getLong(r.fieldIndex(LumenExplainer.KEY))))
                    .append(' ').append(bits(r.get(r.fieldIndex(LumenExplainer.PREDICTION))))
                    .append(' ').append(bits(r.get(r.fieldIndex(LumenExplainer.BASE_VALUE))))
                    .append(' ').append(bits(r.get(r.fieldIndex(LumenExplainer.ATTRIBUTIONS))))
                    .append(' ').append(bits(r.get(r.fieldIndex(LumenExplainer.STANDARD_ERRORS)))).append('\n');
        }
        Files.writeString(out.resolve("portfolio.csv"), rows.toString());
        Files.writeString(out.resolve("java-kernel-shap.txt"), values.toString());
    }

    /** The events as CSV (id, order, features), for the PySpark checks to explain the same sequences. */
    static void writeEvents(Dataset<Row> events, String[] f, Path file) throws Exception {
        StringBuilder csv = new StringBuilder("customer_id,seq_no," + String.join(",", f) + "\n");
        for (Row r : events.collectAsList()) {
            csv.append(r.getString(0)).append(',').append(r.getInt(1));
            for (int j = 0; j < f.length; j++) {
                csv.append(',').append(r.getDouble(2 + j));
            }
            csv.append('\n');
        }
        Files.writeString(file, csv.toString());
    }

    static float[][] features(float[][] data) {
        float[][] out = new float[data.length][];
        for (int i = 0; i < data.length; i++) {
            out[i] = Arrays.copyOf(data[i], 20);
        }
        return out;
    }

    static void check(String name, boolean ok, String detail) {
        if (ok) {
            passed++;
            System.out.println("PASS " + name);
        } else {
            failed++;
            System.out.println("FAIL " + name + (detail.isEmpty() ? "" : ": " + detail));
        }
    }

    static List<Row> sorted(Dataset<Row> d) {
        List<Row> rows = new ArrayList<>(d.collectAsList());
        rows.sort((a, b) -> a.getString(0).compareTo(b.getString(0)));
        return rows;
    }

    /** The rows' result columns (from {@code from}) as bits: exact, one line per row. */
    static String digest(List<Row> rows, int from) {
        StringBuilder b = new StringBuilder();
        for (Row r : rows) {
            b.append(bits(r.get(0)));
            for (int i = from; i < r.length(); i++) {
                b.append(' ').append(bits(r.get(i)));
            }
            b.append('\n');
        }
        return b.toString();
    }

    static String bits(Object v) {
        if (v instanceof Float) {
            return Integer.toHexString(Float.floatToRawIntBits((Float) v));
        }
        if (v instanceof Double) {
            return Long.toHexString(Double.doubleToRawLongBits((Double) v));
        }
        if (v instanceof Long) {
            return RowKeys.hex((Long) v);
        }
        if (v instanceof scala.collection.Seq) {
            StringBuilder b = new StringBuilder("[");
            scala.collection.Iterator<?> it = ((scala.collection.Seq<?>) v).iterator();
            while (it.hasNext()) {
                b.append(bits(it.next())).append(it.hasNext() ? "," : "");
            }
            return b.append(']').toString();
        }
        if (v instanceof Row) {
            Row r = (Row) v;
            StringBuilder b = new StringBuilder("{");
            for (int i = 0; i < r.length(); i++) {
                b.append(i == 0 ? "" : ",").append(bits(r.get(i)));
            }
            return b.append('}').toString();
        }
        return String.valueOf(v);
    }

    static void samePartitions(String name, LumenExplainer ex, Dataset<Row> rows, String expected, int from) {
        for (int p : new int[] {1, 3, 7}) {
            Dataset<Row> split = p == 1 ? rows.coalesce(1) : rows.repartition(p);
            String got = digest(sorted(ex.explain(split)), from);
            check(name + ": " + p + " partition(s) give the same bits", got.equals(expected),
                    firstDifference(expected, got));
        }
    }

    static String firstDifference(String a, String b) {
        String[] x = a.split("\n");
        String[] y = b.split("\n");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (!x[i].equals(y[i])) {
                return "line " + i + ": " + x[i] + " vs " + y[i];
            }
        }
        return x.length + " vs " + y.length + " lines";
    }

    static float[] row(Row r, String[] f) {
        float[] x = new float[f.length];
        for (int j = 0; j < f.length; j++) {
            x[j] = ((Number) r.get(r.fieldIndex(f[j]))).floatValue();
        }
        return x;
    }

    /** The SynapseML-shaped Transformer in a Pipeline: LumenExplainer's bits in SynapseML's layout. */
    static void tabularShap(SparkSession spark, CreditModel model, float[][] data, Dataset<Row> rows, List<Row> batch,
            Path out, String label, long seed) throws Exception {
        String[] f = GermanCredit.FEATURES;
        List<Row> bgRows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Object[] v = new Object[20];
            for (int j = 0; j < 20; j++) {
                v[j] = (double) data[i][j];
            }
            bgRows.add(org.apache.spark.sql.RowFactory.create(v));
        }
        org.apache.spark.sql.types.StructType bgSchema = new org.apache.spark.sql.types.StructType();
        for (String c : f) {
            bgSchema = bgSchema.add(c, "double");
        }
        Dataset<Row> background = spark.createDataFrame(bgRows, bgSchema);
        String expected = null;
        for (int p : new int[] {1, 3, 7}) {
            TabularSHAP shap = new TabularSHAP().setInputCols(f).setOutputCol("shap").setTargetClasses(0, 1)
                    .setNumSamples(300).setBackgroundData(background).setModelFactory(model)
                    .setKeyCol("application_id").setSeed(seed).setStandardErrorsCol("shap_se")
                    .setReasonCodesCol("reasons");
            Dataset<Row> split = p == 1 ? rows.coalesce(1) : rows.repartition(p);
            List<Row> got = sorted(new Pipeline().setStages(new PipelineStage[] {shap}).fit(split).transform(split));
            String b = vectorDigest(got, "shap");
            if (expected == null) {
                expected = b;
                Files.writeString(out.resolve(label + "-tabular_shap.txt"), expected);
                boolean same = got.size() == batch.size();
                for (int i = 0; same && i < got.size(); i++) {
                    List<Vector> vectors = got.get(i).getList(got.get(i).fieldIndex("shap"));
                    Vector v = vectors.get(1);
                    Row lumen = batch.get(i);
                    List<Float> a = lumen.getList(lumen.fieldIndex(LumenExplainer.ATTRIBUTIONS));
                    same &= vectors.size() == 2 && v.size() == 21
                            && v.apply(0) == lumen.getFloat(lumen.fieldIndex(LumenExplainer.BASE_VALUE));
                    for (int j = 0; j < 20; j++) {
                        same &= v.apply(j + 1) == a.get(j);
                    }
                    same &= got.get(i).getList(got.get(i).fieldIndex("shap_se")).size() == 2
                            && !got.get(i).getList(got.get(i).fieldIndex("reasons")).isEmpty();
                }
                check("TabularSHAP in a Pipeline: per class a vector [base, 20 SHAP values]; class 1 equals"
                        + " LumenExplainer's bits", same, "");
            } else {
                check("TabularSHAP: " + p + " partitions give the same bits", b.equals(expected),
                        firstDifference(expected, b));
            }
        }
        tabularShapPersistence(rows, background, model, seed, expected);
    }

    /** TabularSHAP saved and loaded, alone and in a PipelineModel: the same bits without the originals. */
    static void tabularShapPersistence(Dataset<Row> rows, Dataset<Row> background, CreditModel model, long seed,
            String expected) throws Exception {
        String[] f = GermanCredit.FEATURES;
        Path folder = Files.createTempDirectory("lumen-tabular-shap");
        try {
            TabularSHAP shap = new TabularSHAP().setInputCols(f).setOutputCol("shap").setTargetClasses(0, 1)
                    .setNumSamples(300).setBackgroundData(background).setModelFactory(model)
                    .setKeyCol("application_id").setSeed(seed).setStandardErrorsCol("shap_se")
                    .setReasonCodesCol("reasons");
            String pipeline = folder.resolve("pipeline").toString();
            new Pipeline().setStages(new PipelineStage[] {shap}).fit(rows).write().overwrite().save(pipeline);
            String loaded = vectorDigest(sorted(PipelineModel.load(pipeline).transform(rows.repartition(3))), "shap");
            check("TabularSHAP: a PipelineModel saved and loaded gives the same bits", loaded.equals(expected),
                    firstDifference(expected, loaded));

            LinkedHashMap<String, List<String>> groups = new LinkedHashMap<>();
            groups.put("loan", List.of("duration_months", "credit_amount", "installment_rate", "purpose"));
            TabularSHAP grouped = new TabularSHAP().setInputCols(f).setOutputCol("shap").setNumSamples(200)
                    .setBackgroundData(background).setMaxBackgroundRows(5).setModelFactory(model).setSeed(seed + 1)
                    .setGroups(groups);
            String before = vectorDigest(sorted(grouped.transform(rows)), "shap");
            grouped.save(folder.resolve("grouped").toString());
            TabularSHAP back = TabularSHAP.load(folder.resolve("grouped").toString());
            List<Row> after = sorted(back.transform(rows));
            check("TabularSHAP.save/load keeps the params, groups and background rows (17 players, 5 rows): same bits",
                    vectorDigest(after, "shap").equals(before) && back.uid().equals(grouped.uid())
                            && after.get(0).<Vector>getList(after.get(0).fieldIndex("shap")).get(0).size() == 18,
                    firstDifference(before, vectorDigest(after, "shap")));
            String missing = failure(() -> TabularSHAP.load(folder.resolve("absent").toString()));
            check("TabularSHAP.load of a folder without a saved transformer fails with a message",
                    missing != null && missing.contains("absent"), String.valueOf(missing));
        } finally {
            try (var paths = Files.walk(folder)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Each row's id and the bits of every vector in {@code column}, one line per row. */
    static String vectorDigest(List<Row> rows, String column) {
        StringBuilder b = new StringBuilder();
        for (Row r : rows) {
            b.append(r.getString(0));
            for (Vector v : r.<Vector>getList(r.fieldIndex(column))) {
                for (double d : v.toArray()) {
                    b.append(' ').append(Long.toHexString(Double.doubleToRawLongBits(d)));
                }
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** TimeSHAP over sequences: partition-independent, equal to the plain API, pruning table, bad sequences. */
    static void timeShap(SparkSession spark, Path out, String label, long seed) throws Exception {
        String[] f = Transactions.FEATURES;
        Dataset<Row> events = Transactions.events(spark, 24, 11).cache();
        writeEvents(events, f, out.resolve("transactions.csv"));
        float[] background = {40f, 14f, 0.2f, 10f};
        TimeShap method = TimeShap.withBackgroundEvent(background).budget(40).tolerance(0.01);
        List<Row> reference = null;
        String expected = null;
        for (int p : new int[] {1, 3, 7}) {
            SequenceExplainer ex = SequenceExplainer.of(new Transactions.FraudScorer(), method, "customer_id", "seq_no", f)
                    .seed(seed).partitions(p);
            List<Row> got = sorted(ex.explain(events.repartition(p == 1 ? 2 : p)));
            String digest = digest(got, 1);
            if (expected == null) {
                expected = digest;
                reference = got;
                Files.writeString(out.resolve(label + "-timeshap.txt"), digest);
                check("timeshap: one row per sequence (24)", got.size() == 24, got.size() + " rows");
            } else {
                check("timeshap: sequences in " + p + " partitions give the same bits", digest.equals(expected),
                        firstDifference(expected, digest));
            }
        }
        Row sampled = null;
        for (Row r : reference) {
            if (!r.getBoolean(r.fieldIndex(SequenceExplainer.EXACT))) {
                sampled = r;
                break;
            }
        }
        check("timeshap: some sequence is sampled (not exact), so its bits depend on the random draws", sampled != null,
                "");
        if (sampled != null) {
            String id = sampled.getString(0);
            List<Row> seq = new ArrayList<>(events.filter(functions.col("customer_id").equalTo(id)).collectAsList());
            seq.sort((a, b) -> Integer.compare(a.getInt(1), b.getInt(1)));
            float[] x = new float[seq.size() * f.length];
            for (int e = 0; e < seq.size(); e++) {
                for (int j = 0; j < f.length; j++) {
                    x[e * f.length + j] = (float) seq.get(e).getDouble(2 + j);
                }
            }
            try (Engine engine = new Engine();
                    SequenceModelHandle model = new SequenceModelHandle(new Transactions.FraudScorer().create(),
                            SequenceModelSpec.of(f.length, 1).featureNames(f));
                    TimeShapExplanation e = engine.explainTimeShap(model, x, seq.size(), TimeShapLevel.EVENT,
                            new dev.lumen.TimeShapOptions(background).budget(40).tolerance(0.01),
                            new CallOptions().seed(seed).rowIds(id))) {
                check("timeshap: Lumen's Java API on " + id + " alone (seed + rowIds) gives the Spark bits",
                        Arrays.equals(e.values(), toArray(sampled.getList(sampled.fieldIndex(SequenceExplainer.VALUES))))
                                && Float.floatToRawIntBits(e.prediction()) == Float.floatToRawIntBits(
                                        sampled.getFloat(sampled.fieldIndex(LumenExplainer.PREDICTION))), id);
            }
            // The estimator of the sampled levels reaches the executors.
            TimeShap linear = TimeShap.withBackgroundEvent(background).budget(40).tolerance(0.01)
                    .estimator(Estimator.LEVERAGE_STRATIFIED);
            Row linearRow = null;
            for (Row r : SequenceExplainer.of(new Transactions.FraudScorer(), linear, "customer_id", "seq_no", f)
                    .seed(seed).partitions(3).explain(events.repartition(3)).collectAsList()) {
                linearRow = r.getString(0).equals(id) ? r : linearRow;
            }
            try (Engine engine = new Engine();
                    SequenceModelHandle model = new SequenceModelHandle(new Transactions.FraudScorer().create(),
                            SequenceModelSpec.of(f.length, 1).featureNames(f));
                    TimeShapExplanation e = engine.explainTimeShap(model, x, seq.size(), TimeShapLevel.EVENT,
                            new dev.lumen.TimeShapOptions(background).budget(40).tolerance(0.01)
                                    .estimator(Estimator.LEVERAGE_STRATIFIED),
                            new CallOptions().seed(seed).rowIds(id))) {
                float[] distributed = linearRow == null ? null
                        : toArray(linearRow.getList(linearRow.fieldIndex(SequenceExplainer.VALUES)));
                check("timeshap estimator: LEVERAGE_STRATIFIED gives the Java API's bits on " + id
                        + " and other values than the default's",
                        distributed != null && Arrays.equals(e.values(), distributed) && !Arrays.equals(distributed,
                                toArray(sampled.getList(sampled.fieldIndex(SequenceExplainer.VALUES)))), id);
            }
        }

        SequenceExplainer ex = SequenceExplainer.of(new Transactions.FraudScorer(), method, "customer_id", "seq_no", f)
                .seed(seed);
        String table1 = digest(ex.partitions(1).pruningTable(events, 0.0, 0.01, 0.1).collectAsList(), 0);
        String table7 = digest(ex.partitions(7).pruningTable(events, 0.0, 0.01, 0.1).collectAsList(), 0);
        List<Row> table = ex.pruningTable(events, 0.0, 0.01, 0.1).collectAsList();
        boolean shape = table.size() == 3;
        for (Row r : table) {
            shape &= r.getLong(1) == 24 && r.getInt(4) <= 9 && r.getDouble(2) <= r.getInt(4);
        }
        check("timeshap pruning table: one row per η over 24 sequences, the same in 1 and 7 partitions",
                shape && table1.equals(table7), table.toString());
        Files.writeString(out.resolve(label + "-timeshap_pruning.txt"), table1);

        Dataset<Row> duplicate = events.withColumn("seq_no", functions.when(functions.col("customer_id")
                .equalTo("C-000003").and(functions.col("seq_no").equalTo(1)), functions.lit(0))
                .otherwise(functions.col("seq_no")));
        String dup = failure(() -> ex.explain(duplicate).collectAsList());
        check("timeshap: two events with one order value fail the job naming the sequence", dup != null
                && dup.contains("of sequence with customer_id = 'C-000003' share the order value 0"), String.valueOf(dup));
        List<Row> lenient = sorted(SequenceExplainer.of(new Transactions.FraudScorer(), method, "customer_id", "seq_no", f)
                .seed(seed).errorColumn("lumen_error").explain(duplicate));
        int errors = 0;
        boolean others = true;
        for (int i = 0; i < lenient.size(); i++) {
            Row r = lenient.get(i);
            if (r.isNullAt(r.fieldIndex("lumen_error"))) {
                others &= digest(List.of(r), 1).replace(" null\n", "\n").equals(digest(List.of(reference.get(i)), 1));
            } else {
                errors++;
                others &= r.getString(0).equals("C-000003");
            }
        }
        check("timeshap errorColumn: only the bad sequence is lost, the others keep their bits", errors == 1 && others,
                errors + " errors");
    }

    /** Lumen's Java API, one row at a time, with the seed and the row's key: the same bits. */
    static void plainApi(CreditModel factory, float[][] background, List<Row> batch, long seed) throws Exception {
        String[] f = GermanCredit.FEATURES;
        float[] bg = new float[background.length * f.length];
        for (int i = 0; i < background.length; i++) {
            System.arraycopy(background[i], 0, bg, i * f.length, f.length);
        }
        int mismatches = 0;
        try (Engine engine = new Engine(new EngineOptions().threads(1));
                ModelHandle model = new ModelHandle(factory.create(), ModelSpec.of(f.length, 2).featureNames(f))) {
            for (Row r : batch) {
                CallOptions call = new CallOptions().seed(seed).rowIds(r.getString(0));
                try (Explanation e = engine.kernelShap(model, row(r, f), 1,
                        new KernelShapOptions(bg).budget(300).targets(1), call)) {
                    float[] a = e.attributions();
                    List<Float> spark = r.getList(r.fieldIndex(LumenExplainer.ATTRIBUTIONS));
                    boolean same = r.getLong(r.fieldIndex(LumenExplainer.KEY)) == CallOptions.rowKey(r.getString(0))
                            && Float.floatToRawIntBits(e.predictions()[0])
                                    == Float.floatToRawIntBits(r.getFloat(r.fieldIndex(LumenExplainer.PREDICTION)))
                            && Arrays.equals(e.standardErrors(),
                                    toArray(r.getList(r.fieldIndex(LumenExplainer.STANDARD_ERRORS))));
                    for (int j = 0; j < a.length; j++) {
                        same &= Float.floatToRawIntBits(a[j]) == Float.floatToRawIntBits(spark.get(j));
                    }
                    mismatches += same ? 0 : 1;
                }
            }
        }
        check("Lumen's Java API one row at a time (seed + CallOptions.rowIds) gives the Spark bits for "
                + batch.size() + " rows", mismatches == 0, mismatches + " rows differ");
    }

    static float[] toArray(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    /** Without a key column, the key is Lumen's own hash of the values: the engine, unkeyed, agrees. */
    static void defaultKeys(CreditModel factory, float[][] background, List<Row> groupedRows, Dataset<Row> rows,
            long seed) throws Exception {
        String[] f = GermanCredit.FEATURES;
        check("RowKeys.ofValues matches Lumen's test vector f397baaf437f05d5",
                RowKeys.hex(RowKeys.ofValues(new float[] {0.25f, -1.5f})).equals("f397baaf437f05d5"), "");
        check("RowKeys.ofId equals CallOptions.rowKey (test vector 0f55bc8b4b53e024)",
                RowKeys.hex(RowKeys.ofId("A-1042")).equals("0f55bc8b4b53e024")
                        && RowKeys.ofId(1042) == RowKeys.ofId("1042"), "");
        float[] bg = new float[background.length * f.length];
        for (int i = 0; i < background.length; i++) {
            System.arraycopy(background[i], 0, bg, i * f.length, f.length);
        }
        Row first = groupedRows.get(0);
        float[] x = row(first, f);
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(factory.create(), ModelSpec.of(f.length, 2).featureNames(f));
                Explanation e = engine.kernelShap(model, x, 1, new KernelShapOptions(bg).budget(300).targets(1),
                        new CallOptions().seed(seed))) {
            String json = e.toJson();
            String key = RowKeys.hex(RowKeys.ofValues(x));
            check("the engine's own default key (audit JSON) is RowKeys.ofValues of the row", json.contains(key)
                    && json.contains("input_hash"), key);
        }
    }

    /** One row explained alone, found by its key, reproduces its values in the batch. */
    static void reExplainOne(LumenExplainer keyed, Dataset<Row> rows, List<Row> batch) {
        Row target = batch.get(batch.size() / 2);
        String id = target.getString(0);
        Dataset<Row> alone = rows.filter(functions.col("application_id").equalTo(id));
        String got = digest(alone.collectAsList().isEmpty() ? List.of() : keyed.explain(alone).collectAsList(), 21);
        check("re-explaining " + id + " alone reproduces its batch bits", got.equals(digest(List.of(target), 21)), got);
    }

    /** A factory whose create() throws. */
    static final class BrokenFactory implements ModelFactory {
        private static final long serialVersionUID = 1L;

        @Override
        public dev.lumen.Model create() {
            throw new IllegalStateException("model file credit-v7.bin is corrupt");
        }

        @Override
        public int outputLen() {
            return 2;
        }
    }

    /** A factory holding a field Java serialization cannot write. */
    static final class UnshippableFactory implements ModelFactory {
        private static final long serialVersionUID = 1L;
        private final Object lock = new Object();

        @Override
        public dev.lumen.Model create() {
            synchronized (lock) {
                return (inputs, n, outputs) -> java.util.Arrays.fill(outputs, 0.5f);
            }
        }

        @Override
        public int outputLen() {
            return 2;
        }
    }

    /** The credit model, except that it throws for an applicant whose duration is 999 months. */
    static final class PickyFactory implements ModelFactory {
        private static final long serialVersionUID = 1L;
        private final CreditModel model;

        PickyFactory(CreditModel model) {
            this.model = model;
        }

        @Override
        public dev.lumen.Model create() {
            dev.lumen.Model inner = model.create();
            return (inputs, n, outputs) -> {
                for (int r = 0; r < n; r++) {
                    if (inputs[r * 20 + 1] == 999f) {
                        throw new IllegalArgumentException("duration 999 is out of the model's range");
                    }
                }
                inner.predict(inputs, n, outputs);
            };
        }

        @Override
        public int outputLen() {
            return 2;
        }
    }

    static String failure(Runnable job) {
        try {
            job.run();
            return null;
        } catch (Exception e) {
            StringBuilder b = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                b.append(t.getMessage()).append(" | ");
            }
            return b.toString();
        }
    }

    static void badInput(SparkSession spark, CreditModel model, float[][] background, Dataset<Row> rows,
            List<Row> batch, long seed) {
        String[] f = GermanCredit.FEATURES;
        KernelShap shap = KernelShap.withBackground(background).budget(300).target(1);
        LumenExplainer keyed = LumenExplainer.of(model, shap, f).keyColumn("application_id").seed(seed).batchRows(16);

        String missing = failure(() -> keyed.explain(rows.drop("age")));
        check("a missing feature column is named", missing != null && missing.contains("feature column 'age' is missing"),
                String.valueOf(missing));
        String text = failure(() -> keyed.explain(rows.withColumn("age", functions.col("age").cast("string"))));
        check("a non-numeric feature column is named with its type", text != null
                && text.contains("feature column 'age' has type string"), String.valueOf(text));

        String bad = batch.get(5).getString(0);
        Dataset<Row> withNull = rows.withColumn("age", functions.when(functions.col("application_id").equalTo(bad),
                functions.lit(null)).otherwise(functions.col("age")));
        String nulls = failure(() -> keyed.explain(withNull.repartition(3)).collectAsList());
        check("a null feature fails the job naming the column and the row", nulls != null
                && nulls.contains("feature column 'age' is null in row with application_id = '" + bad + "'"),
                String.valueOf(nulls));

        LumenExplainer lenient = LumenExplainer.of(model, shap, f).keyColumn("application_id").seed(seed)
                .batchRows(16).errorColumn("lumen_error");
        List<Row> recorded = sorted(lenient.explain(withNull.repartition(3)));
        int errorAt = recorded.get(0).fieldIndex("lumen_error");
        boolean rest = true;
        int errors = 0;
        for (int i = 0; i < recorded.size(); i++) {
            Row r = recorded.get(i);
            if (r.isNullAt(errorAt)) {
                rest &= digest(List.of(r), 21).replace(" null\n", "\n").equals(digest(List.of(batch.get(i)), 21));
            } else {
                errors++;
                rest &= r.getString(0).equals(bad) && r.getString(errorAt).contains("feature column 'age' is null")
                        && r.isNullAt(r.fieldIndex(LumenExplainer.ATTRIBUTIONS));
            }
        }
        check("errorColumn: the null row gets its reason, the other rows their usual bits", rest && errors == 1,
                errors + " error rows");

        String unshippable = failure(() -> LumenExplainer.of(new UnshippableFactory(), shap, f));
        check("a model factory that is not serializable is refused on the driver", unshippable != null
                && unshippable.contains("UnshippableFactory is not serializable"), String.valueOf(unshippable));

        String broken = failure(() -> LumenExplainer.of(new BrokenFactory(), shap, f).explain(rows).collectAsList());
        check("a model factory that throws on an executor fails the job with its cause", broken != null
                && broken.contains("the model factory") && broken.contains("credit-v7.bin is corrupt"),
                String.valueOf(broken));

        String odd = batch.get(7).getString(0);
        Dataset<Row> withOdd = rows.withColumn("duration_months", functions.when(
                functions.col("application_id").equalTo(odd), functions.lit(999.0))
                .otherwise(functions.col("duration_months")));
        String modelFailure = failure(() -> LumenExplainer.of(new PickyFactory(model), shap, f)
                .keyColumn("application_id").seed(seed).explain(withOdd).collectAsList());
        check("a model failing on one row fails the job naming the row and the cause", modelFailure != null
                && modelFailure.contains("application_id = '" + odd + "'")
                && modelFailure.contains("duration 999 is out of the model's range"), String.valueOf(modelFailure));
        List<Row> picky = sorted(LumenExplainer.of(new PickyFactory(model), shap, f).keyColumn("application_id")
                .seed(seed).batchRows(16).errorColumn("lumen_error").explain(withOdd));
        int pickyErrors = 0;
        boolean others = true;
        for (int i = 0; i < picky.size(); i++) {
            Row r = picky.get(i);
            if (!r.isNullAt(r.fieldIndex("lumen_error"))) {
                pickyErrors++;
                others &= r.getString(0).equals(odd);
            } else {
                others &= digest(List.of(r), 21).replace(" null\n", "\n").equals(digest(List.of(batch.get(i)), 21));
            }
        }
        check("errorColumn: a model failure loses only its row; the batch's other rows keep their bits",
                pickyErrors == 1 && others, pickyErrors + " error rows");
    }
}

package dev.lumen.spark.demo;

import dev.lumen.CallOptions;
import dev.lumen.Engine;
import dev.lumen.EngineOptions;
import dev.lumen.Explanation;
import dev.lumen.KernelShapOptions;
import dev.lumen.Model;
import dev.lumen.ModelHandle;
import dev.lumen.ModelSpec;
import dev.lumen.spark.RowKeys;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The benchmark's single-JVM baseline without Spark: the portfolio {@link PortfolioDemo} explains
 * (same rows, model, background, budget, seed and keys), collected to the driver and explained
 * through Lumen's plain Java API in batches of 256 rows on one engine. It also times the model's
 * own calls, so the run splits into model time and the rest (Lumen's engine and the JNI copies).
 *
 * <p>Arguments: {@code <german.data> [rows (20000)] [coalitions (512)] [background rows (25)]
 * [engine threads (0: one per core)]}.
 */
public final class PlainBaseline {
    private PlainBaseline() {}

    /**
     * Runs the baseline.
     *
     * @param args see the class comment
     * @throws Exception when the data cannot be read
     */
    public static void main(String[] args) throws Exception {
        long n = args.length > 1 ? Long.parseLong(args[1]) : 20_000;
        int budget = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int backgroundRows = args.length > 3 ? Integer.parseInt(args[3]) : 25;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        float[][] data = GermanCredit.load(Path.of(args[0]));
        CreditModel factory = CreditModel.fit(data);
        SparkSession spark = SparkSession.builder().appName("lumen-plain-baseline").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        List<Row> rows = GermanCredit.portfolio(spark, data, n, 42, 8).collectAsList();
        spark.stop();
        int f = GermanCredit.FEATURES.length;
        float[] background = new float[backgroundRows * f];
        for (int i = 0; i < backgroundRows; i++) {
            System.arraycopy(data[i * data.length / backgroundRows], 0, background, i * f, f);
        }
        AtomicLong modelNanos = new AtomicLong();
        Model scorecard = factory.create();
        Model timed = (inputs, count, outputs) -> {
            long begin = System.nanoTime();
            scorecard.predict(inputs, count, outputs);
            modelNanos.addAndGet(System.nanoTime() - begin);
        };
        long start = System.nanoTime();
        try (Engine engine = new Engine(new EngineOptions().threads(threads));
                ModelHandle model = new ModelHandle(timed, ModelSpec.of(f, 2)
                        .featureNames(GermanCredit.FEATURES).concurrent(true))) {
            for (int from = 0; from < rows.size(); from += 256) {
                int count = Math.min(256, rows.size() - from);
                float[] x = new float[count * f];
                long[] keys = new long[count];
                for (int r = 0; r < count; r++) {
                    Row row = rows.get(from + r);
                    for (int j = 0; j < f; j++) {
                        x[r * f + j] = (float) row.getDouble(j + 1);
                    }
                    keys[r] = RowKeys.ofId(row.getString(0));
                }
                try (Explanation e = engine.kernelShap(model, x, count,
                        new KernelShapOptions(background).budget(budget).targets(1),
                        new CallOptions().seed(2026).rowKeys(keys))) {
                    e.attributions();
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("explained %d applicants through Lumen's Java API in one JVM without Spark (engine threads:"
                + " %s) in %.1f s: %.0f rows/s%n", rows.size(), threads == 0 ? "one per core" : threads, seconds,
                rows.size() / seconds);
        double inModel = modelNanos.get() / 1e9;
        System.out.printf("  model calls: %.1f s summed over engine threads (%.0f %% of the wall time on one"
                + " thread); the rest is Lumen's engine and the JNI copies%n", inModel, 100 * inModel / seconds);
        System.out.println("first row's key: " + RowKeys.hex(RowKeys.ofId(rows.get(0).getString(0)))
                + ", values: " + Arrays.toString(Arrays.copyOf(x0(rows.get(0), f), 3)) + "...");
    }

    private static float[] x0(Row row, int f) {
        float[] x = new float[f];
        for (int j = 0; j < f; j++) {
            x[j] = (float) row.getDouble(j + 1);
        }
        return x;
    }
}

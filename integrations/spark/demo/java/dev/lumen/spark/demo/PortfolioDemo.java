package dev.lumen.spark.demo;

import dev.lumen.spark.GlobalSummary;
import dev.lumen.spark.KernelShap;
import dev.lumen.spark.LumenExplainer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Explains a synthetic German-Credit-like loan portfolio with KernelSHAP on whatever master
 * {@code spark-submit} gives, writes the explanations as Parquet and prints rows per second.
 *
 * <p>Arguments: {@code <german.data> <output folder> [rows (20000)] [partitions (8)] [coalitions
 * per row (512)] [background rows (25)] [engine threads per executor (0: one per core)]}. The portfolio is generated on the cluster
 * ({@link GermanCredit#portfolio}) and cached before the clock starts, so the figure is the
 * explanation's throughput (including the Parquet write).
 */
public final class PortfolioDemo {
    private PortfolioDemo() {}

    /**
     * Runs the demo.
     *
     * @param args see the class comment
     * @throws Exception when the data cannot be read
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: PortfolioDemo <german.data> <output folder> [rows] [partitions] [coalitions]"
                    + " [background rows] [engine threads]");
            System.exit(2);
        }
        long rows = args.length > 2 ? Long.parseLong(args[2]) : 20_000;
        int partitions = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        int budget = args.length > 4 ? Integer.parseInt(args[4]) : 512;
        int backgroundRows = args.length > 5 ? Integer.parseInt(args[5]) : 25;
        int threads = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        float[][] data = GermanCredit.load(Path.of(args[0]));
        CreditModel model = CreditModel.fit(data);
        SparkSession spark = SparkSession.builder().appName("lumen-portfolio-demo").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");

        Dataset<Row> portfolio = GermanCredit.portfolio(spark, data, rows, 42, partitions).cache();
        long count = portfolio.count();
        float[][] background = new float[backgroundRows][];
        for (int i = 0; i < backgroundRows; i++) {
            background[i] = Arrays.copyOf(data[i * data.length / backgroundRows], 20);
        }
        LumenExplainer explainer = LumenExplainer.of(model,
                KernelShap.withBackground(background).budget(budget).target(1), GermanCredit.FEATURES)
                .keyColumn("application_id").seed(2026).errorColumn("lumen_error").engineThreads(threads);

        long start = System.nanoTime();
        explainer.explain(portfolio).write().mode(SaveMode.Overwrite).parquet(args[1]);
        double seconds = (System.nanoTime() - start) / 1e9;

        Dataset<Row> written = spark.read().parquet(args[1]);
        long errors = written.filter("lumen_error IS NOT NULL").count();
        System.out.printf("explained %d applicants (%d failed) with KernelSHAP (%d coalitions, %d background rows)"
                + " on %s (engine threads per executor: %s) in %.1f s: %.0f rows/s; Parquet in %s%n", count, errors,
                budget, backgroundRows, spark.sparkContext().master(), threads == 0 ? "one per core" : threads, seconds,
                count / seconds, args[1]);
        System.out.println("mean |attribution| of P(bad), top 8 features:");
        List<Row> top = GlobalSummary.meanAbsolute(written, explainer).limit(8).collectAsList();
        for (Row r : top) {
            System.out.printf("  %-24s %.5f%n", r.getString(0), r.getDouble(1));
        }
        spark.stop();
    }
}

package dev.lumen.spark.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The German Credit data shipped in {@code data/german_credit/german.data} (UCI Statlog, CC BY
 * 4.0), as numbers: numerical attributes as they are, categorical codes {@code A<attribute><k>}
 * as {@code k}; and a synthetic portfolio sampled from it.
 */
public final class GermanCredit {
    /** The 20 attributes, in the file's order, as column names. */
    public static final String[] FEATURES = {"checking_account", "duration_months", "credit_history", "purpose",
        "credit_amount", "savings", "employment_since", "installment_rate", "personal_status", "other_debtors",
        "residence_since", "property", "age", "other_installment_plans", "housing", "existing_credits", "job",
        "people_liable", "telephone", "foreign_worker"};

    /** Whether each attribute is categorical (in the order of {@link #FEATURES}). */
    static final boolean[] CATEGORICAL = {true, false, true, true, false, true, true, false, true, true, false, true,
        false, true, true, false, true, false, true, true};

    private GermanCredit() {}

    /**
     * The 1000 applicants and their labels: each row is the 20 attributes then the label
     * (1 = bad risk, 0 = good).
     *
     * @param file {@code german.data}
     * @return 1000 rows of 21 values
     * @throws IOException when the file cannot be read
     */
    public static float[][] load(Path file) throws IOException {
        List<float[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.trim().split(" ");
            if (parts.length != 21) {
                throw new IOException(file + ": a line has " + parts.length + " fields, expected 21: " + line);
            }
            float[] row = new float[21];
            for (int a = 0; a < 20; a++) {
                String v = parts[a];
                if (CATEGORICAL[a]) {
                    String prefix = "A" + (a + 1);
                    if (!v.startsWith(prefix)) {
                        throw new IOException(file + ": attribute " + (a + 1) + " is " + v + ", expected " + prefix + "k");
                    }
                    row[a] = Float.parseFloat(v.substring(prefix.length()));
                } else {
                    row[a] = Float.parseFloat(v);
                }
            }
            row[20] = "2".equals(parts[20]) ? 1f : 0f;
            rows.add(row);
        }
        return rows.toArray(new float[0][]);
    }

    /**
     * A synthetic portfolio of {@code n} applicants sampled from the data's distribution, generated
     * on the cluster: applicant {@code i} (id {@code A-<i>}) copies a real applicant chosen by a
     * random stream of (seed, i), re-draws each categorical attribute from its column's empirical
     * distribution with probability 0.1, and scales each numerical one by a factor in [0.9, 1.1]
     * (whole numbers, rounded). The result depends only on (data, n, seed), not on partitioning.
     *
     * @param spark the session
     * @param data the rows {@link #load} returned
     * @param n applicants
     * @param seed the generator's seed
     * @param partitions partitions of the result
     * @return columns {@code application_id} and the 20 features (doubles)
     */
    public static Dataset<Row> portfolio(SparkSession spark, float[][] data, long n, long seed, int partitions) {
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("application_id", DataTypes.StringType, false));
        for (String f : FEATURES) {
            fields.add(DataTypes.createStructField(f, DataTypes.DoubleType, false));
        }
        StructType schema = DataTypes.createStructType(fields);
        float[][] source = data;
        return spark.range(0, n, 1, partitions).map((org.apache.spark.api.java.function.MapFunction<Long, Row>) id -> {
            SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (id + 1)));
            float[] base = source[random.nextInt(source.length)];
            Object[] values = new Object[21];
            values[0] = String.format("A-%07d", id);
            for (int a = 0; a < 20; a++) {
                double v = base[a];
                if (CATEGORICAL[a]) {
                    if (random.nextDouble() < 0.1) {
                        v = source[random.nextInt(source.length)][a];
                    }
                } else {
                    v = Math.max(1, Math.round(v * (0.9 + 0.2 * random.nextDouble())));
                }
                values[a + 1] = v;
            }
            return RowFactory.create(values);
        }, org.apache.spark.sql.Encoders.row(schema));
    }
}

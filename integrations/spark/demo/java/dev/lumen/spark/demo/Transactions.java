package dev.lumen.spark.demo;

import dev.lumen.SequenceModel;
import dev.lumen.spark.SequenceModelFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Synthetic card transactions (no fraud sequence data ships in any package) and a small
 * recurrent fraud scorer over them, for the TimeSHAP examples and checks.
 */
public final class Transactions {
    /** An event's features. */
    public static final String[] FEATURES = {"amount", "hour", "merchant_risk", "distance_km"};

    private Transactions() {}

    /**
     * {@code customers} sequences of 2 to 9 events each, one row per event: {@code customer_id}
     * ({@code C-<i>}), {@code seq_no} (0 = oldest) and the four features, drawn from a random
     * stream of (seed, i); the last events of a sequence are riskier for about one customer in
     * five.
     *
     * @param spark the session
     * @param customers sequences
     * @param seed the generator's seed
     * @return the events
     */
    public static Dataset<Row> events(SparkSession spark, long customers, long seed) {
        StructType schema = DataTypes.createStructType(new StructField[] {
            DataTypes.createStructField("customer_id", DataTypes.StringType, false),
            DataTypes.createStructField("seq_no", DataTypes.IntegerType, false),
            DataTypes.createStructField("amount", DataTypes.DoubleType, false),
            DataTypes.createStructField("hour", DataTypes.DoubleType, false),
            DataTypes.createStructField("merchant_risk", DataTypes.DoubleType, false),
            DataTypes.createStructField("distance_km", DataTypes.DoubleType, false)});
        return spark.range(customers).flatMap((FlatMapFunction<Long, Row>) i -> {
            SplittableRandom random = new SplittableRandom(seed ^ (0xBF58476D1CE4E5B9L * (i + 1)));
            int n = 2 + random.nextInt(8);
            boolean fraud = random.nextInt(5) == 0;
            List<Row> rows = new ArrayList<>();
            for (int e = 0; e < n; e++) {
                boolean risky = fraud && e >= n - 2;
                double amount = Math.round(Math.exp(3 + random.nextGaussian() + (risky ? 2 : 0)));
                double hour = risky ? random.nextInt(5) : 8 + random.nextInt(14);
                double risk = Math.round((risky ? 0.5 + 0.5 * random.nextDouble() : 0.3 * random.nextDouble()) * 100) / 100.0;
                double distance = Math.round(risky ? 200 + 800 * random.nextDouble() : 20 * random.nextDouble());
                rows.add(RowFactory.create(String.format("C-%06d", i), e, amount, hour, risk, distance));
            }
            return rows.iterator();
        }, Encoders.row(schema));
    }

    /** The recurrent scorer: {@code h ← tanh(0.6 h + w·z(x))} per event, P(fraud) = σ(2h − 1). */
    public static final class FraudScorer implements SequenceModelFactory {
        private static final long serialVersionUID = 1L;
        private static final double[] MEAN = {40, 14, 0.2, 30};
        private static final double[] SCALE = {60, 6, 0.25, 150};
        private static final double[] WEIGHT = {0.5, -0.4, 0.8, 0.7};

        @Override
        public SequenceModel create() {
            return (inputs, rows, seqLen, outputs) -> {
                for (int r = 0; r < rows; r++) {
                    double h = 0;
                    for (int e = 0; e < seqLen; e++) {
                        double z = 0;
                        for (int j = 0; j < 4; j++) {
                            z += WEIGHT[j] * (inputs[(r * seqLen + e) * 4 + j] - MEAN[j]) / SCALE[j];
                        }
                        h = StrictMath.tanh(0.6 * h + z);
                    }
                    outputs[r] = (float) (1 / (1 + StrictMath.exp(-(2 * h - 1))));
                }
            };
        }

        @Override
        public int outputLen() {
            return 1;
        }

        @Override
        public boolean concurrent() {
            return true;
        }
    }
}

package dev.lumen.spark;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Global views of a portfolio's explanations, computed by Spark aggregations (so they scale with
 * the cluster and do not depend on partitioning beyond floating-point summation order, which
 * Spark fixes per plan).
 */
public final class GlobalSummary {
    private GlobalSummary() {}

    /**
     * Mean |attribution| per feature (or group) over the explained rows of {@code explained} (the
     * output of {@code explainer.explain}; rows with an error are skipped): columns
     * {@code feature}, {@code mean_abs_attribution}, {@code mean_attribution}, {@code rows},
     * sorted by {@code mean_abs_attribution} descending.
     *
     * @param explained the explained rows
     * @param explainer the explainer that produced them (for the feature names and layout)
     * @return one row per feature or group
     * @throws IllegalArgumentException when the explainer computes counterfactuals
     */
    public static Dataset<Row> meanAbsolute(Dataset<Row> explained, LumenExplainer explainer) {
        if (!(explainer.method() instanceof AttributionMethod)) {
            throw new IllegalArgumentException("meanAbsolute: the explainer's method " + explainer.method().name()
                    + " gives no attributions");
        }
        String[] names = ((AttributionMethod) explainer.method()).playerNames(explainer.features());
        Dataset<Row> ok = explained.filter(col(LumenExplainer.KEY).isNotNull()
                .and(col(LumenExplainer.PREDICTION).isNotNull()));
        Dataset<Row> long_;
        if (explainer.attributionPrefix == null) {
            Column[] name = new Column[names.length];
            for (int i = 0; i < names.length; i++) {
                name[i] = lit(names[i]);
            }
            long_ = ok.select(posexplode(col(LumenExplainer.ATTRIBUTIONS)).as(new String[] {"position", "value"}))
                    .select(element_at(org.apache.spark.sql.functions.array(name), col("position").plus(1))
                            .as("feature"), col("value"));
        } else {
            List<String> stack = new ArrayList<>();
            for (String n : names) {
                stack.add("'" + n.replace("'", "\\'") + "', `" + (explainer.attributionPrefix + n).replace("`", "``")
                        + "`");
            }
            long_ = ok.selectExpr("stack(" + names.length + ", " + String.join(", ", stack) + ") as (feature, value)");
        }
        return long_.groupBy("feature").agg(avg(abs(col("value"))).as("mean_abs_attribution"),
                avg(col("value")).as("mean_attribution"), count(lit(1)).as("rows"))
                .orderBy(col("mean_abs_attribution").desc(), col("feature"));
    }
}

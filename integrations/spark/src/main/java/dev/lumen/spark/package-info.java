/**
 * Lumen on Apache Spark: explain a whole {@code Dataset<Row>} (a loan portfolio, say) with
 * KernelSHAP, Feature Ablation or PermuteAttack, with results that do not depend on
 * how the rows are split into partitions.
 *
 * <p>Entry points: {@link dev.lumen.spark.LumenExplainer} (tabular rows) and
 * {@link dev.lumen.spark.GlobalSummary} (mean |attribution| per feature).
 *
 * <p>Each executor JVM builds one model (from a serializable {@link dev.lumen.spark.ModelFactory})
 * and one Lumen {@link dev.lumen.Engine}, reuses them for every partition it processes and closes
 * them when the JVM shuts down. The native library comes from the Lumen JAR on every executor.
 *
 * <p>Row keys: a row's random draws depend only on the seed and its key. With a key column, the
 * key is {@link dev.lumen.CallOptions#rowKey(String)} of the column's value as a string (integers
 * in decimal); without one, it is the hash of the row's feature values that Lumen itself uses by
 * default ({@link dev.lumen.spark.RowKeys#ofValues(float[])}).
 */
package dev.lumen.spark;

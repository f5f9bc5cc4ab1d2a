/**
 * Lumen on Apache Spark: explain a whole {@code Dataset<Row>} (a loan portfolio, say) with
 * KernelSHAP, Feature Ablation, PermuteAttack or TimeSHAP, with results that do not depend on
 * how the rows are split into partitions.
 *
 * <p>Entry points: {@link dev.lumen.spark.LumenExplainer} (tabular rows),
 * {@link dev.lumen.spark.SequenceExplainer} (TimeSHAP over sequences grouped by an id column, and
 * its pruning table), {@link dev.lumen.spark.GlobalSummary} (mean |attribution| per feature) and
 * {@link dev.lumen.spark.TabularSHAP} (a Spark ML {@code Transformer} shaped like SynapseML's).
 *
 * <p>Each executor JVM builds one model (from a serializable {@link dev.lumen.spark.ModelFactory})
 * and one Lumen {@link dev.lumen.Engine}, reuses them for every partition it processes and closes
 * them when the JVM shuts down. The native library comes from the Lumen JAR on every executor.
 *
 * <p>Row keys: a row's random draws depend only on the seed and its key. With a key column, the
 * key is {@link dev.lumen.CallOptions#rowKey(String)} of the column's value as a string (integers
 * in decimal); without one, it is the hash of the row's feature values that Lumen itself uses by
 * default ({@link dev.lumen.spark.RowKeys#ofValues(float[])}); a TimeSHAP sequence is keyed by its id.
 */
package dev.lumen.spark;

import dev.lumen.Engine;
import dev.lumen.EngineOptions;
import dev.lumen.Explanation;
import dev.lumen.FeatureAblationOptions;
import dev.lumen.Model;
import dev.lumen.ModelHandle;
import dev.lumen.ModelSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Java binding's overhead: the same Feature Ablation with a model of the same cost through
 * the C ABI (c_overhead: a C model) and through JNI (a Java model, in its float[] and zero-copy
 * FloatBuffer variants), interleaved repetition by repetition in one run so that all three
 * paths see the same machine load.
 *
 * <p>Each model records the time spent inside itself (entry to exit); the rest of the wall time
 * is spent outside the model: Lumen's own work, plus on the JNI path the binding (JNI
 * transitions, thread attachment checks, buffer views, the float[] copies). The binding's
 * overhead is the median over repetitions of the paired difference of that outside time (JNI −
 * C of the same repetition), reported per explanation, per model batch, and as a share of the C
 * path's wall time. Time a busy machine steals inside the model does not count, so the figure
 * holds on a loaded machine too; the median wall times are printed beside it. At 0 µs/row the
 * difference also holds the Java model's own arithmetic (JIT-compiled Java against gcc -O2 C),
 * which the busy-wait absorbs at a few µs per row and more.
 *
 * <p>A loaded machine still lengthens the outside time of long runs (a preempted thread waits
 * for a core outside the model too), so the last lines also derive the share of a 20 µs/row
 * model (BENCH_TARGET_US) from the per-batch overhead measured at the cheapest model cost,
 * whose short runs the machine's load disturbs least, and the table gives each path's fastest
 * repetition ("best"), which a preemption by another process cannot lengthen.
 *
 * <p>usage: java -Dlumen.library.path=DIR -cp CLASSES:. OverheadBench C_PROGRAM [COST_US...]
 * (environment: BENCH_FEATURES 32, BENCH_ROWS 8, BENCH_PER_EVAL 16, BENCH_THREADS 1,
 * BENCH_REPS 101, BENCH_WARMUP 200, BENCH_TARGET_US 20).
 */
public final class OverheadBench {
    private static int setting(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : Integer.parseInt(value);
    }

    private static final int FEATURES = setting("BENCH_FEATURES", 32);
    private static final int ROWS = setting("BENCH_ROWS", 8);
    private static final int PER_EVAL = setting("BENCH_PER_EVAL", 16);
    private static final int THREADS = setting("BENCH_THREADS", 1);
    private static final int REPS = setting("BENCH_REPS", 101);
    private static final int WARMUP = setting("BENCH_WARMUP", 200);
    private static final int TARGET_US = setting("BENCH_TARGET_US", 20);

    /** The Java twin of c_overhead's model: a dot product with w_i = 1/(i+1), then a busy-wait. */
    private static class SpinModel implements Model {
        final long costNs;
        final AtomicLong batches = new AtomicLong();
        final AtomicLong rows = new AtomicLong();
        final AtomicLong insideNs = new AtomicLong();

        SpinModel(long costNs) {
            this.costNs = costNs;
        }

        final void spinFrom(long start, int count) {
            long end = start + count * costNs;
            long exit;
            while ((exit = System.nanoTime()) < end) {
                // busy-wait: the model's cost
            }
            insideNs.addAndGet(exit - start);
            batches.incrementAndGet();
            rows.addAndGet(count);
        }

        @Override
        public void predict(float[] inputs, int count, float[] outputs) {
            long start = System.nanoTime();
            for (int r = 0; r < count; r++) {
                float sum = 0;
                for (int i = 0; i < FEATURES; i++) {
                    sum += inputs[r * FEATURES + i] / (float) (i + 1);
                }
                outputs[r] = sum;
            }
            spinFrom(start, count);
        }
    }

    /** The zero-copy variant: reads Lumen's batch memory through the FloatBuffer views. */
    private static final class BufferSpinModel extends SpinModel {
        BufferSpinModel(long costNs) {
            super(costNs);
        }

        @Override
        public void predict(FloatBuffer inputs, int count, FloatBuffer outputs) {
            long start = System.nanoTime();
            for (int r = 0; r < count; r++) {
                float sum = 0;
                for (int i = 0; i < FEATURES; i++) {
                    sum += inputs.get(r * FEATURES + i) / (float) (i + 1);
                }
                outputs.put(r, sum);
            }
            spinFrom(start, count);
        }
    }

    /** One way of running the explanation: wall time (ns) of one run, and what its model saw. */
    private interface Path extends AutoCloseable {
        long run() throws Exception;

        long insideNs();

        long batches();

        long rows();

        @Override
        void close() throws java.io.IOException;
    }

    private static float[] inputs() {
        float[] x = new float[ROWS * FEATURES];
        for (int i = 0; i < x.length; i++) {
            x[i] = ((i * 7) % 13) / 13.0f;
        }
        return x;
    }

    /** Through JNI, with the Java model {@code model}. */
    private static final class JniPath implements Path {
        final SpinModel model;
        final Engine engine = new Engine(new EngineOptions().threads(THREADS));
        final ModelHandle handle;
        final FeatureAblationOptions options = new FeatureAblationOptions().perturbationsPerEval(PER_EVAL);
        final float[] x = inputs();

        JniPath(SpinModel model) {
            this.model = model;
            this.handle = new ModelHandle(model, ModelSpec.of(FEATURES, 1).concurrent(true));
        }

        @Override
        public long run() {
            model.batches.set(0);
            model.rows.set(0);
            model.insideNs.set(0);
            long start = System.nanoTime();
            Explanation e = engine.featureAblation(handle, x, ROWS, options);
            long elapsed = System.nanoTime() - start;
            e.close();
            return elapsed;
        }

        @Override
        public long insideNs() {
            return model.insideNs.get();
        }

        @Override
        public long batches() {
            return model.batches.get();
        }

        @Override
        public long rows() {
            return model.rows.get();
        }

        @Override
        public void close() {
            handle.close();
            engine.close();
        }
    }

    /** Through the C ABI, in the c_overhead process. */
    private static final class CPath implements Path {
        final Process process;
        final Writer commands;
        final BufferedReader replies;
        long insideNs;
        long batches;
        long rows;

        CPath(String program, long costNs) throws Exception {
            process = new ProcessBuilder(program, "" + FEATURES, "" + ROWS, "" + PER_EVAL, "" + costNs, "" + THREADS)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        @Override
        public long run() throws Exception {
            commands.write("run\n");
            commands.flush();
            String line = replies.readLine();
            if (line == null) {
                throw new IllegalStateException("c_overhead stopped");
            }
            String[] parts = line.split(" ");
            insideNs = Long.parseLong(parts[3]);
            batches = Long.parseLong(parts[5]);
            rows = Long.parseLong(parts[7]);
            return Long.parseLong(parts[1]);
        }

        @Override
        public long insideNs() {
            return insideNs;
        }

        @Override
        public long batches() {
            return batches;
        }

        @Override
        public long rows() {
            return rows;
        }

        @Override
        public void close() throws java.io.IOException {
            commands.close();
            try {
                if (process.waitFor() != 0) {
                    throw new IllegalStateException("c_overhead failed");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.IOException(e);
            }
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    /**
     * Runs the benchmark: {@code args[0]} is the c_overhead program, the other arguments the model
     * costs in µs per row (default 0 and 20).
     */
    public static void main(String[] args) throws Exception {
        String program = args[0];
        double[] costsUs = args.length > 1
                ? Arrays.stream(args).skip(1).mapToDouble(Double::parseDouble).toArray()
                : new double[] {0, 20};
        System.out.printf("Feature Ablation: %d rows x %d features, at most %d perturbed rows per model call,"
                + " %d engine thread(s); %d interleaved repetitions per path after %d warm-up runs%n", ROWS, FEATURES,
                PER_EVAL, THREADS, REPS, WARMUP);
        System.out.printf("%-12s %-16s %9s %8s %8s %11s %13s %13s %8s %8s %9s%n", "model", "path", "wall ms",
                "batches", "rows", "outside µs", "over µs/expl", "over µs/batch", "over %", "best ms", "best over");
        String[] names = {"C ABI", "JNI float[]", "JNI FloatBuffer"};
        double[] cheapestPerBatchUs = null;
        double cheapestRowsPerBatch = 0;
        double cheapestCost = Double.MAX_VALUE;
        for (double costUs : costsUs) {
            long costNs = Math.round(costUs * 1000);
            try (Path c = new CPath(program, costNs);
                    Path arrays = new JniPath(new SpinModel(costNs));
                    Path buffers = new JniPath(new BufferSpinModel(costNs))) {
                Path[] paths = {c, arrays, buffers};
                for (int i = 0; i < WARMUP; i++) {
                    for (Path path : paths) {
                        path.run();
                    }
                }
                long[][] wall = new long[paths.length][REPS];
                long[][] outside = new long[paths.length][REPS];
                for (int rep = 0; rep < REPS; rep++) {
                    for (int i = 0; i < paths.length; i++) {
                        int p = (i + rep) % paths.length;
                        wall[p][rep] = paths[p].run();
                        outside[p][rep] = wall[p][rep] - paths[p].insideNs();
                    }
                }
                String label = String.format("%.1f µs/row", costUs);
                double base = median(wall[0]);
                long fastest = Arrays.stream(wall[0]).min().getAsLong();
                System.out.printf("%-12s %-16s %9.3f %8d %8d %11.1f %13s %13s %8s %8.3f %9s%n", label, names[0],
                        base / 1e6, c.batches(), c.rows(), median(outside[0]) / 1e3, "-", "-", "-", fastest / 1e6, "-");
                for (int p = 1; p < paths.length; p++) {
                    long[] paired = new long[REPS];
                    for (int rep = 0; rep < REPS; rep++) {
                        paired[rep] = outside[p][rep] - outside[0][rep];
                    }
                    double over = median(paired);
                    if (costUs < cheapestCost || (costUs == cheapestCost && p > 1)) {
                        if (costUs < cheapestCost) {
                            cheapestPerBatchUs = new double[paths.length];
                        }
                        cheapestCost = costUs;
                        cheapestPerBatchUs[p] = over / 1e3 / paths[p].batches();
                        cheapestRowsPerBatch = (double) paths[p].rows() / paths[p].batches();
                    }
                    long best = Arrays.stream(wall[p]).min().getAsLong();
                    System.out.printf("%-12s %-16s %9.3f %8d %8d %11.1f %13.1f %13.2f %7.2f%% %8.3f %8.2f%%%n", label,
                            names[p], median(wall[p]) / 1e6, paths[p].batches(), paths[p].rows(),
                            median(outside[p]) / 1e3, over / 1e3, over / 1e3 / paths[p].batches(), 100 * over / base,
                            best / 1e6, 100.0 * (best - fastest) / fastest);
                }
            }
        }
        double batchUs = cheapestRowsPerBatch * TARGET_US;
        for (int p = 1; p < names.length; p++) {
            System.out.printf("%s: %.2f µs per model batch (measured at %.1f µs/row) = %.2f%% of a batch of %.1f rows"
                    + " at %d µs/row%n", names[p], cheapestPerBatchUs[p], cheapestCost,
                    100 * cheapestPerBatchUs[p] / batchUs, cheapestRowsPerBatch, TARGET_US);
        }
    }
}

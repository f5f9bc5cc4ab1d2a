package dev.lumen;

import static dev.lumen.Fixtures.BASELINE;
import static dev.lumen.Fixtures.BIAS;
import static dev.lumen.Fixtures.TOLERANCE;
import static dev.lumen.Fixtures.WEIGHTS;
import static dev.lumen.Fixtures.X;
import static dev.lumen.Fixtures.assertClose;
import static dev.lumen.Fixtures.linearAttributions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Several Java threads share one engine and one model. */
class ConcurrencyTest {
    private static final int THREADS = 8;
    private static final int ROUNDS = 25;
    private final LinearModel linear = LinearModel.of(BIAS, WEIGHTS);

    @Test
    void manyJavaThreadsShareOneEngineAndModel() throws Exception {
        Set<String> callbackThreads = ConcurrentHashMap.newKeySet();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Model recording = (inputs, rows, outputs) -> {
            callbackThreads.add(Thread.currentThread().getName());
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            Thread.sleep(1);
            linear.predict(inputs, rows, outputs);
            inside.decrementAndGet();
        };
        float[] expected = linearAttributions(BASELINE);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (Engine engine = new Engine(new EngineOptions().threads(4));
                ModelHandle model = new ModelHandle(recording, ModelSpec.of(4, 1).maxBatchRows(2).concurrent(true))) {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int which = t;
                results.add(pool.submit(() -> {
                    float[] last = null;
                    for (int i = 0; i < ROUNDS; i++) {
                        try (Explanation e = which % 2 == 0
                                ? engine.featureAblation(model, X, 2, new FeatureAblationOptions().baseline(BASELINE))
                                : engine.kernelShap(model, X, 2, new KernelShapOptions(BASELINE))) {
                            last = e.attributions();
                        }
                    }
                    return last;
                }));
            }
            for (Future<float[]> result : results) {
                assertClose(expected, result.get(), TOLERANCE);
            }
        } finally {
            pool.shutdown();
        }
        assertTrue(callbackThreads.size() > 1, "the model runs on Lumen's worker threads: " + callbackThreads);
        assertTrue(most.get() > 1, "a concurrent model is called in parallel");
    }

    @Test
    void byDefaultAModelIsNeverEnteredTwiceEvenAcrossExplanations() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Model serial = (inputs, rows, outputs) -> {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            Thread.sleep(0, 200_000);
            linear.predict(inputs, rows, outputs);
            inside.decrementAndGet();
        };
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Engine engine = new Engine(new EngineOptions().threads(4));
                ModelHandle model = new ModelHandle(serial, ModelSpec.of(4, 1).maxBatchRows(1))) {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    try (Explanation e = engine.occlusion(model, X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
                        return e.attributions();
                    }
                }));
            }
            for (Future<float[]> result : results) {
                assertClose(linearAttributions(BASELINE), result.get(), TOLERANCE);
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(1, most.get(), "calls to a non-concurrent model never overlap");
    }

    @Test
    void concurrentFailuresKeepTheirOwnCauses() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Engine engine = new Engine(new EngineOptions().threads(4))) {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                RuntimeException own = new RuntimeException("failure of caller " + t);
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        try (ModelHandle model = new ModelHandle((in, rows, out) -> {
                            throw own;
                        }, ModelSpec.of(4, 1))) {
                            ModelException e = org.junit.jupiter.api.Assertions.assertThrows(ModelException.class,
                                    () -> engine.occlusion(model, X, 2, new OcclusionOptions(1)));
                            assertSame(own, e.getCause());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void resultsDoNotDependOnTheEnginesThreadCount() {
        float[][] results = new float[3][];
        int[] threads = {1, 3, 8};
        for (int i = 0; i < 3; i++) {
            try (Engine engine = new Engine(new EngineOptions().threads(threads[i]).seed(99));
                    ModelHandle model = new ModelHandle(ShapleyTest.NONLINEAR, ModelSpec.of(6, 1));
                    Explanation e = engine.shapleySampling(model, new float[] {1, 2, 3, 4, 5, 6}, 1,
                            new ShapleySamplingOptions(new float[6]).permutationPairs(5))) {
                results[i] = e.attributions();
            }
        }
        assertArrayEquals(results[0], results[1]);
        assertArrayEquals(results[0], results[2]);
    }
}

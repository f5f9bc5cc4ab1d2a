package dev.lumen;

import static dev.lumen.Fixtures.BASELINE;
import static dev.lumen.Fixtures.BIAS;
import static dev.lumen.Fixtures.TOLERANCE;
import static dev.lumen.Fixtures.WEIGHTS;
import static dev.lumen.Fixtures.X;
import static dev.lumen.Fixtures.assertClose;
import static dev.lumen.Fixtures.linearAttributions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stopping explain calls the ways Java users expect: {@link Thread#interrupt()},
 * {@link Future#cancel(boolean)}, a timeout, a progress callback, a {@link CancelToken}. Every
 * test then reuses the engine and the model. Bounds are generous (no timing is asserted beyond
 * "far sooner than the call would have taken"); the measured latency is printed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CancellationTest {
    /** Sleep per model batch: a whole slow call takes minutes, a stopped one milliseconds. */
    private static final long BATCH_MILLIS = 20;
    /** Rows per model batch. */
    private static final int BATCH_ROWS = 16;

    private final LinearModel linear = LinearModel.of(BIAS, WEIGHTS);
    private final AtomicInteger batches = new AtomicInteger();
    private final CountDownLatch started = new CountDownLatch(3);
    private Engine engine;
    private ModelHandle slow;
    private ModelHandle fast;

    @BeforeEach
    void open() {
        engine = new Engine(new EngineOptions().threads(2));
        Model sleeping = (inputs, rows, outputs) -> {
            batches.incrementAndGet();
            started.countDown();
            Thread.sleep(BATCH_MILLIS);
            linear.predict(inputs, rows, outputs);
        };
        slow = new ModelHandle(sleeping, linear.spec().maxBatchRows(BATCH_ROWS));
        fast = new ModelHandle(linear, linear.spec());
    }

    @AfterEach
    void close() {
        slow.close();
        fast.close();
        engine.close();
    }

    /** KernelSHAP of two rows over a 64-row background at budget 4096: thousands of slow batches. */
    private Explanation slowCall(CallOptions call) {
        float[] background = new float[64 * 4];
        for (int i = 0; i < background.length; i++) {
            background[i] = (i % 7) * 0.1f;
        }
        return engine.kernelShap(slow, X, 2, new KernelShapOptions(background).budget(4096), call);
    }

    /** The engine and a model still explain correctly. */
    private void assertReusable() {
        try (Explanation e = engine.occlusion(fast, X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
        }
        try (Explanation e = engine.occlusion(slow, X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
        }
    }

    /** What a call on another thread ended with, and its interrupt status then. */
    private static final class Outcome {
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        volatile boolean interruptedAfter;
        volatile long endNanos;
        final CountDownLatch done = new CountDownLatch(1);

        void run(Runnable call) {
            try {
                call.run();
            } catch (Throwable t) {
                thrown.set(t);
            } finally {
                endNanos = System.nanoTime();
                interruptedAfter = Thread.currentThread().isInterrupted();
                done.countDown();
            }
        }
    }

    @Test
    void interruptingTheCallingThreadStopsTheCall() throws Exception {
        Outcome outcome = new Outcome();
        Thread caller = new Thread(() -> outcome.run(() -> slowCall(new CallOptions()).close()), "lumen-caller");
        caller.start();
        assertTrue(started.await(60, TimeUnit.SECONDS), "the model was never called");
        int before = batches.get();
        long interruptNanos = System.nanoTime();
        caller.interrupt();
        assertTrue(outcome.done.await(60, TimeUnit.SECONDS), "the interrupted call did not return");
        caller.join();
        long latencyMicros = (outcome.endNanos - interruptNanos) / 1000;
        System.out.println("interrupt -> CancelledException: " + latencyMicros + " us, model batches after: "
                + (batches.get() - before) + " (batch " + BATCH_MILLIS + " ms)");
        CancelledException e = assertInstanceOf(CancelledException.class, outcome.thrown.get());
        assertEquals(Status.CANCELLED, e.status());
        assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        assertTrue(outcome.interruptedAfter, "the interrupt status must stay set");
        // A serial model: at most the batch in flight and one more start after the interrupt.
        assertTrue(batches.get() - before <= 2, "batches after the interrupt: " + (batches.get() - before));
        assertReusable();
    }

    @Test
    void aThreadInterruptedBeforeTheCallStopsAtOnce() throws Exception {
        Outcome outcome = new Outcome();
        Thread caller = new Thread(() -> outcome.run(() -> {
            Thread.currentThread().interrupt();
            slowCall(new CallOptions()).close();
        }));
        caller.start();
        assertTrue(outcome.done.await(60, TimeUnit.SECONDS));
        assertInstanceOf(CancelledException.class, outcome.thrown.get());
        assertTrue(outcome.interruptedAfter);
        assertTrue(batches.get() <= 1, "model batches: " + batches.get());
        assertReusable();
    }

    @Test
    void futureCancelStopsTheCall() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Outcome outcome = new Outcome();
            Future<?> task = pool.submit(() -> outcome.run(() -> slowCall(new CallOptions()).close()));
            assertTrue(started.await(60, TimeUnit.SECONDS), "the model was never called");
            assertTrue(task.cancel(true));
            assertTrue(outcome.done.await(60, TimeUnit.SECONDS), "the cancelled task did not return");
            assertInstanceOf(CancelledException.class, outcome.thrown.get());
            assertTrue(outcome.interruptedAfter, "the interrupt status must stay set");
            assertTrue(task.isCancelled());
            // The pool's thread is usable for the next task (its interrupt status was cleared by the pool).
            assertEquals(Boolean.TRUE, pool.submit(() -> {
                assertReusable();
                return true;
            }).get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTimeoutThrowsDeadlineExceeded() {
        long start = System.nanoTime();
        DeadlineExceededException e = assertThrows(DeadlineExceededException.class,
                () -> slowCall(new CallOptions().timeout(Duration.ofMillis(200))).close());
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("timeout 200 ms -> DeadlineExceededException after " + millis + " ms");
        assertEquals(Status.DEADLINE_EXCEEDED, e.status());
        assertInstanceOf(CancelledException.class, e);
        assertTrue(e.getMessage().contains("timeout of 200 ms"), e.getMessage());
        assertTrue(millis >= 200, "stopped before its deadline: " + millis + " ms");
        assertFalse(Thread.currentThread().isInterrupted());
        assertReusable();
    }

    @Test
    void invalidCallOptionsAreRefused() {
        assertThrows(InvalidArgumentException.class, () -> new CallOptions().timeout(Duration.ZERO));
        assertThrows(InvalidArgumentException.class, () -> new CallOptions().timeout(Duration.ofMillis(-1)));
        assertThrows(InvalidArgumentException.class, () -> new CallOptions().maxModelThreads(-1));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> engine.occlusion(fast, X, 2, new OcclusionOptions(1), null));
        assertEquals(Status.NULL_POINTER, e.status());
    }

    @Test
    void progressIsNonDecreasingAndEndsAtOne() {
        List<Double> seen = new ArrayList<>();
        CallOptions call = new CallOptions().progress(fraction -> {
            synchronized (seen) {
                seen.add(fraction);
            }
        });
        float[] background = new float[8 * 4];
        try (ModelHandle batched = new ModelHandle(linear, linear.spec().maxBatchRows(8));
                Explanation e = engine.kernelShap(batched, X, 2, new KernelShapOptions(background), call)) {
            assertEquals(2 * 4, e.attributions().length);
        }
        synchronized (seen) {
            assertTrue(seen.size() >= 2, "reports: " + seen);
            for (int i = 0; i < seen.size(); i++) {
                assertTrue(seen.get(i) >= 0 && seen.get(i) <= 1, "report " + i + ": " + seen.get(i));
                if (i > 0) {
                    assertTrue(seen.get(i) >= seen.get(i - 1), "decreasing at " + i + ": " + seen);
                }
            }
            assertEquals(1.0, seen.get(seen.size() - 1));
            assertEquals(1, seen.stream().filter(f -> f == 1.0).count(), "1 is reported once: " + seen);
        }
    }

    @Test
    void aProgressCallbackMayStopTheCall() {
        AtomicInteger reports = new AtomicInteger();
        CancelledException e = assertThrows(CancelledException.class,
                () -> slowCall(new CallOptions().progressWhile(fraction -> reports.incrementAndGet() < 3)).close());
        assertEquals(Status.CANCELLED, e.status());
        assertTrue(e.getMessage().contains("progress callback asked to stop"), e.getMessage());
        assertEquals(3, reports.get());
        assertReusable();
    }

    @Test
    void aProgressCallbackThatThrowsStopsTheCallAndItsExceptionIsRethrown() {
        IllegalStateException boom = new IllegalStateException("progress failed");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> slowCall(new CallOptions()
                .progress(fraction -> {
                    throw boom;
                })).close());
        assertSame(boom, e);
        assertInstanceOf(CancelledException.class, e.getSuppressed()[0]);
        // A checked exception (thrown sneakily) arrives as the cause of a CancelledException.
        IOException io = new IOException("disk full");
        CancelledException wrapped = assertThrows(CancelledException.class, () -> slowCall(new CallOptions()
                .progress(fraction -> CancellationTest.<RuntimeException>sneaky(io))).close());
        assertSame(io, wrapped.getCause());
        assertReusable();
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable t) throws T {
        throw (T) t;
    }

    @Test
    void aTokenCancelledFromInsideTheModelStopsTheCall() {
        CancelToken token = new CancelToken();
        AtomicInteger calls = new AtomicInteger();
        Model cancelling = (inputs, rows, outputs) -> {
            if (calls.incrementAndGet() == 3) {
                token.cancel();
            }
            linear.predict(inputs, rows, outputs);
        };
        try (ModelHandle model = new ModelHandle(cancelling, linear.spec().maxBatchRows(BATCH_ROWS))) {
            float[] background = new float[64 * 4];
            CallOptions call = new CallOptions().cancelToken(token);
            CancelledException e = assertThrows(CancelledException.class,
                    () -> engine.kernelShap(model, X, 2, new KernelShapOptions(background).budget(4096), call));
            assertTrue(e.getMessage().contains("cancel token"), e.getMessage());
            assertTrue(token.isCancelled());
            assertTrue(calls.get() <= 4, "model calls: " + calls.get());
            // Still cancelled: the next call that watches it stops before calling the model.
            int before = calls.get();
            assertThrows(CancelledException.class,
                    () -> engine.occlusion(model, X, 2, new OcclusionOptions(1), call));
            assertEquals(before, calls.get());
            token.reset();
            assertFalse(token.isCancelled());
            try (Explanation ok = engine.occlusion(model, X, 2, new OcclusionOptions(1).baseline(BASELINE), call)) {
                assertClose(linearAttributions(BASELINE), ok.attributions(), TOLERANCE);
            }
        }
        assertReusable();
    }

    @Test
    void aTokenCancelledFromAnotherThreadStopsEveryCallWatchingIt() throws Exception {
        CancelToken token = new CancelToken();
        Outcome first = new Outcome();
        Outcome second = new Outcome();
        CallOptions call = new CallOptions().cancelToken(token);
        Thread a = new Thread(() -> first.run(() -> slowCall(call).close()));
        Thread b = new Thread(() -> second.run(() -> slowCall(call).close()));
        a.start();
        b.start();
        assertTrue(started.await(60, TimeUnit.SECONDS));
        token.cancel();
        assertTrue(first.done.await(60, TimeUnit.SECONDS) && second.done.await(60, TimeUnit.SECONDS));
        a.join();
        b.join();
        assertInstanceOf(CancelledException.class, first.thrown.get());
        assertInstanceOf(CancelledException.class, second.thrown.get());
        assertFalse(first.interruptedAfter || second.interruptedAfter);
        assertReusable();
    }

    @Test
    void maxModelThreadsBoundsTheOverlapOfAConcurrentModel() {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Model concurrent = (inputs, rows, outputs) -> {
            int now = inside.incrementAndGet();
            most.accumulateAndGet(now, Math::max);
            Thread.sleep(2);
            linear.predict(inputs, rows, outputs);
            inside.decrementAndGet();
        };
        try (Engine wide = new Engine(new EngineOptions().threads(4));
                ModelHandle model = new ModelHandle(concurrent, linear.spec().maxBatchRows(4).concurrent(true));
                Explanation e = wide.kernelShap(model, X, 2, new KernelShapOptions(new float[4 * 4]).budget(256),
                        new CallOptions().maxModelThreads(1))) {
            assertEquals(8, e.attributions().length);
        }
        assertEquals(1, most.get());
    }
}

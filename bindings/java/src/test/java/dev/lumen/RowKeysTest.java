package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Row keys and the per-call seed: a row's values depend on the seed and its key only. */
class RowKeysTest {
    private static final int N = 5;
    private static final float[] ROWS = {
        0.3f, -1.2f, 0.8f, 2.0f, -0.5f,
        1.1f, 0.4f, -0.7f, -1.5f, 0.9f,
        -0.2f, 1.6f, 0.1f, 0.6f, -1.1f,
    };
    private static final float[] BACKGROUND = {0.1f, 0.2f, -0.3f, 0.0f, 0.5f, -0.4f, 0.3f, 0.2f, -0.1f, 0.0f};

    /** f(x) = Σ w_i x_i + x0 x1 x2 + 0.3 Σ x_i²: interactions, so sampled values depend on the draws. */
    private static final Model INTERACTING = (inputs, rows, outputs) -> {
        for (int r = 0; r < rows; r++) {
            double sum = inputs[r * N] * inputs[r * N + 1] * inputs[r * N + 2];
            for (int i = 0; i < N; i++) {
                double x = inputs[r * N + i];
                sum += (i - 2.5) * x + 0.3 * x * x;
            }
            outputs[r] = (float) sum;
        }
    };

    private static float[] row(int r) {
        return Arrays.copyOfRange(ROWS, r * N, (r + 1) * N);
    }

    private static KernelShapOptions options() {
        return new KernelShapOptions(BACKGROUND).budget(12);
    }

    @Test
    void aRowAloneReproducesItsBatchValues() {
        try (Engine engine = new Engine(new EngineOptions().seed(5).threads(2));
                ModelHandle model = new ModelHandle(INTERACTING, ModelSpec.of(N, 1));
                Explanation batch = engine.kernelShap(model, ROWS, 3, options())) {
            for (int r = 0; r < 3; r++) {
                try (Explanation alone = engine.kernelShap(model, row(r), 1, options())) {
                    assertArrayEquals(batch.attributions(r, 0), alone.attributions(0, 0), "row " + r);
                }
            }
        }
    }

    @Test
    void idsKeyRowsAsEveryBindingDoes() {
        assertEquals(0x0f55bc8b4b53e024L, CallOptions.rowKey("A-1042"), "pinned: the same in C, C++, Python, CLI");
        try (Engine engine = new Engine(new EngineOptions().seed(5));
                ModelHandle model = new ModelHandle(INTERACTING, ModelSpec.of(N, 1));
                Explanation batch = engine.kernelShap(model, ROWS, 3, options(),
                        new CallOptions().rowIds("A-1", "A-2", "A-3"));
                Explanation again = engine.kernelShap(model, row(1), 1, options(), new CallOptions().rowIds("A-2"));
                Explanation hashed = engine.kernelShap(model, row(1), 1, options())) {
            assertArrayEquals(batch.attributions(1, 0), again.attributions(0, 0));
            assertFalse(Arrays.equals(hashed.attributions(0, 0), again.attributions(0, 0)), "the key drives the draws");
            assertTrue(batch.toJson().contains("\"source\":\"caller\""), batch.toJson());
            assertTrue(hashed.toJson().contains("\"source\":\"input_hash\""));
        }
    }

    @Test
    void theCallSeedReplacesTheEngineSeed() {
        try (Engine seven = new Engine(new EngineOptions().seed(7));
                Engine five = new Engine(new EngineOptions().seed(5));
                ModelHandle model = new ModelHandle(INTERACTING, ModelSpec.of(N, 1));
                Explanation byEngine = seven.kernelShap(model, ROWS, 3, options());
                Explanation byCall = five.kernelShap(model, ROWS, 3, options(), new CallOptions().seed(7));
                Explanation byDefault = five.kernelShap(model, ROWS, 3, options())) {
            assertArrayEquals(byEngine.attributions(), byCall.attributions());
            assertFalse(Arrays.equals(byDefault.attributions(), byCall.attributions()));
            assertTrue(byCall.toJson().contains("\"seed\":7"), byCall.toJson());
        }
    }

    @Test
    void badKeysAreRefused() {
        assertThrows(InvalidArgumentException.class, () -> new CallOptions().rowIds("A-1", null));
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(INTERACTING, ModelSpec.of(N, 1))) {
            LumenException e = assertThrows(LumenException.class,
                    () -> engine.kernelShap(model, ROWS, 3, options(), new CallOptions().rowKeys(1, 2)));
            assertTrue(e.getMessage().contains("control.row_keys"), e.getMessage());
        }
    }
}

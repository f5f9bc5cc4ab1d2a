package dev.lumen;

import static dev.lumen.Fixtures.BASELINE;
import static dev.lumen.Fixtures.BIAS;
import static dev.lumen.Fixtures.WEIGHTS;
import static dev.lumen.Fixtures.X;
import static dev.lumen.Fixtures.assertClose;
import static dev.lumen.Fixtures.linearAttributions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** KernelSHAP's estimator, accuracy-driven budget and budget cap, from Java. */
class KernelShapOptionsTest {
    /** Players of the interaction model (too many for an exact enumeration at its budgets). */
    private static final int M = 12;

    private final LinearModel linear = LinearModel.of(BIAS, WEIGHTS);
    private Engine engine;
    private ModelHandle model;

    @BeforeEach
    void open() {
        engine = new Engine(new EngineOptions().threads(2).seed(7));
        model = new ModelHandle(linear, linear.spec());
    }

    @AfterEach
    void close() {
        model.close();
        engine.close();
    }

    /**
     * f(x) = Σ x_i · x_(i+1) · x_(i+2) + sqrt(Σ x_i²): interactions beyond pairs (which paired
     * sampling captures exactly), so sampled values have errors.
     */
    private static void interactions(float[] inputs, int rows, float[] outputs) {
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            double squares = 0;
            for (int i = 0; i < M; i++) {
                float x = inputs[r * M + i];
                sum += x * inputs[r * M + (i + 1) % M] * inputs[r * M + (i + 2) % M];
                squares += x * x;
            }
            outputs[r] = (float) (sum + Math.sqrt(squares));
        }
    }

    private static float[] row() {
        float[] x = new float[M];
        for (int i = 0; i < M; i++) {
            x[i] = 1 + (i % 3);
        }
        return x;
    }

    @Test
    void everyEstimatorIsExactOnALinearModelAndRecorded() {
        for (Estimator estimator : Estimator.values()) {
            KernelShapOptions o = new KernelShapOptions(BASELINE).estimator(estimator).budget(10);
            try (Explanation e = engine.kernelShap(model, X, 2, o)) {
                assertClose(linearAttributions(BASELINE), e.attributions(), 1e-3);
                String name = estimator.name().toLowerCase(java.util.Locale.ROOT);
                assertTrue(e.toJson().contains("\"" + name + "\""), estimator + ": " + e.toJson());
            }
        }
    }

    @Test
    void aTargetStandardErrorIsReachedInRounds() {
        double target = 0.02;
        try (ModelHandle nonlinear = new ModelHandle(KernelShapOptionsTest::interactions, ModelSpec.of(M, 1));
                Explanation fixed = engine.kernelShap(nonlinear, row(), 1,
                        new KernelShapOptions(new float[M]).budget(48));
                Explanation driven = engine.kernelShap(nonlinear, row(), 1,
                        new KernelShapOptions(new float[M]).budget(48).targetStandardError(target))) {
            float fixedLargest = largest(fixed.standardErrors());
            assertTrue(fixedLargest > target, "the fixed budget already meets the target: " + fixedLargest);
            float drivenLargest = largest(driven.standardErrors());
            assertTrue(drivenLargest <= target * (1 + 1e-6), "largest standard error " + drivenLargest);
            String json = driven.toJson();
            assertTrue(json.contains("\"target_met\":true"), json);
            assertTrue(driven.modelRowsEvaluated()[0] > fixed.modelRowsEvaluated()[0], "the target needed more evaluations");
        }
    }

    @Test
    void aBudgetCapStopsTheRounds() {
        try (ModelHandle nonlinear = new ModelHandle(KernelShapOptionsTest::interactions, ModelSpec.of(M, 1));
                Explanation capped = engine.kernelShap(nonlinear, row(), 1, new KernelShapOptions(new float[M])
                        .budget(48).targetStandardError(1e-6).maxBudget(96))) {
            String json = capped.toJson();
            assertTrue(json.contains("\"target_met\":false"), json);
            assertTrue(largest(capped.standardErrors()) > 1e-6);
        }
    }

    private static float largest(float[] values) {
        float most = 0;
        for (float v : values) {
            most = Math.max(most, v);
        }
        return most;
    }

    @Test
    void badValuesAreRefused() {
        KernelShapOptions o = new KernelShapOptions(BASELINE);
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> o.targetStandardError(bad));
            assertEquals(Status.INVALID_ARGUMENT, e.status());
            assertTrue(e.getMessage().startsWith("targetStandardError: is "), e.getMessage());
        }
        assertThrows(InvalidArgumentException.class, () -> o.maxBudget(1));
        assertEquals(Status.NULL_POINTER,
                assertThrows(InvalidArgumentException.class, () -> o.estimator(null)).status());
        // Combinations are the engine's to check.
        InvalidArgumentException alone = assertThrows(InvalidArgumentException.class,
                () -> engine.kernelShap(model, X, 2, new KernelShapOptions(BASELINE).maxBudget(100)));
        assertTrue(alone.getMessage().startsWith("max_budget: "), alone.getMessage());
        InvalidArgumentException small = assertThrows(InvalidArgumentException.class, () -> engine.kernelShap(model,
                X, 2, new KernelShapOptions(BASELINE).budget(64).targetStandardError(0.1).maxBudget(32)));
        assertTrue(small.getMessage().startsWith("max_budget: "), small.getMessage());
        InvalidArgumentException batches = assertThrows(InvalidArgumentException.class,
                () -> engine.kernelShap(model, X, 2, new KernelShapOptions(BASELINE).errorBatches(1)));
        assertTrue(batches.getMessage().startsWith("error_batches: "), batches.getMessage());
    }
}

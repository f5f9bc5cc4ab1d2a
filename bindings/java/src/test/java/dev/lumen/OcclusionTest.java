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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OcclusionTest {
    @Test
    void windowOfOneGivesWeightTimesDifferenceFromBaseline() {
        LinearModel linear = LinearModel.of(BIAS, WEIGHTS);
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.occlusion(model, X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
            assertEquals("occlusion", e.method());
            assertEquals(2, e.rows());
            assertEquals(1, e.outputs());
            assertEquals(4, e.features());
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
            float[] fx = new float[2];
            linear.predict(X, 2, fx);
            assertClose(fx, e.predictions(), TOLERANCE);
            float[] fb = new float[1];
            linear.predict(BASELINE, 1, fb);
            assertClose(new float[] {fb[0], fb[0]}, e.baseValues(), TOLERANCE);
            assertNull(e.completenessGaps(), "occlusion defines no completeness gap");
            assertNull(e.standardErrors());
            assertArrayEquals(new int[] {0}, e.explainedOutputs());
        }
    }

    @Test
    void attributionsFillTheModelsInputShape() {
        // f(x) = Σ (i + 1) x_i over a 2 × 3 input: 1 × 1 windows give (i + 1) x_i, row-major.
        Model weighted = (inputs, rows, outputs) -> {
            for (int r = 0; r < rows; r++) {
                float sum = 0;
                for (int i = 0; i < 6; i++) {
                    sum += (i + 1) * inputs[6 * r + i];
                }
                outputs[r] = sum;
            }
        };
        float[] x = {1, -1, 2, 0.5f, 3, -2};
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(weighted, ModelSpec.shaped(new int[] {2, 3}, 1));
                Explanation e = engine.occlusion(model, x, 1, new OcclusionOptions(1, 1))) {
            assertArrayEquals(new int[] {2, 3}, e.featureShape());
            assertClose(new float[] {1, -2, 6, 2, 15, -12}, e.attributions(), TOLERANCE);
        }
    }

    @Test
    void windowsOfTwoAverageTheWindowsCoveringEachElement() {
        LinearModel linear = LinearModel.of(BIAS, WEIGHTS);
        float[] row = {1, 2, 3, 4};
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.occlusion(model, row, 1, new OcclusionOptions(2).strides(1))) {
            // Windows {0,1}, {1,2}, {2,3}; each deletes Σ w_j x_j over its elements (baseline 0).
            float[] d = new float[3];
            for (int s = 0; s < 3; s++) {
                d[s] = WEIGHTS[s] * row[s] + WEIGHTS[s + 1] * row[s + 1];
            }
            float[] expected = {d[0], (d[0] + d[1]) / 2, (d[1] + d[2]) / 2, d[2]};
            assertClose(expected, e.attributions(), TOLERANCE);
            assertTrue(e.totalModelRowsEvaluated() >= 4, "three windows plus f(x)");
        }
    }

    @Test
    void zeroCopyBufferModelSeesReadOnlyDirectBuffersAndAgrees() {
        LinearModel linear = LinearModel.of(BIAS, WEIGHTS);
        Model buffers = new Model() {
            @Override
            public void predict(float[] inputs, int rows, float[] outputs) {
                throw new AssertionError("the buffer variant must be called");
            }

            @Override
            public void predict(java.nio.FloatBuffer inputs, int rows, java.nio.FloatBuffer outputs) {
                if (!inputs.isDirect() || !inputs.isReadOnly() || !outputs.isDirect() || outputs.isReadOnly()) {
                    throw new IllegalStateException("expected direct buffers, read-only inputs");
                }
                int n = WEIGHTS.length;
                for (int r = 0; r < rows; r++) {
                    double sum = BIAS;
                    for (int i = 0; i < n; i++) {
                        sum += WEIGHTS[i] * inputs.get(r * n + i);
                    }
                    outputs.put(r, (float) sum);
                }
            }
        };
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(buffers, ModelSpec.of(4, 1));
                Explanation e = engine.occlusion(model, X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
        }
    }

    @Test
    void batchesNeverExceedTheModelsLimit() {
        LinearModel linear = LinearModel.of(BIAS, WEIGHTS);
        java.util.concurrent.atomic.AtomicInteger largest = new java.util.concurrent.atomic.AtomicInteger();
        Model limited = (inputs, rows, outputs) -> {
            largest.accumulateAndGet(rows, Math::max);
            linear.predict(inputs, rows, outputs);
        };
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(limited, ModelSpec.of(4, 1).maxBatchRows(3));
                Explanation e = engine.occlusion(model, X, 2, new OcclusionOptions(1))) {
            assertClose(linearAttributions(new float[4]), e.attributions(), TOLERANCE);
            assertTrue(largest.get() <= 3 && largest.get() > 0, "largest batch " + largest.get());
        }
    }
}

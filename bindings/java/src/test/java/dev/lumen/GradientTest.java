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
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GradientTest {
    private final LinearModel linear = LinearModel.of(BIAS, WEIGHTS);

    private static float[] absWeightsTwice() {
        float[] expected = new float[8];
        for (int i = 0; i < 8; i++) {
            expected[i] = Math.abs(WEIGHTS[i % 4]);
        }
        return expected;
    }

    @Test
    void integratedGradientsOfALinearModelForEveryRule() {
        try (Engine engine = new Engine(); ModelHandle model = new ModelHandle(linear, linear.spec())) {
            for (Quadrature rule : Quadrature.values()) {
                try (Explanation e = engine.integratedGradients(model, X, 2, new IntegratedGradientsOptions()
                        .baseline(BASELINE).method(rule).steps(8).internalBatchSize(3))) {
                    assertEquals("integrated_gradients", e.method());
                    // Captum's trapezoid weights sum to (n − 1)/n = 7/8: a linear model's
                    // attributions scale by it and the delta is −1/8 of their exact sum.
                    float scale = rule == Quadrature.RIEMANN_TRAPEZOID_CAPTUM ? 7f / 8f : 1f;
                    float[] exact = linearAttributions(BASELINE);
                    float[] expected = new float[exact.length];
                    for (int i = 0; i < exact.length; i++) {
                        expected[i] = scale * exact[i];
                    }
                    assertClose(expected, e.attributions(), TOLERANCE);
                    double[] deltas = e.completenessGaps();
                    for (int r = 0; r < deltas.length; r++) {
                        double exactSum = 0;
                        for (int i = 0; i < 4; i++) {
                            exactSum += exact[r * 4 + i];
                        }
                        assertEquals((scale - 1) * exactSum, deltas[r], TOLERANCE, rule + ": convergence delta");
                    }
                }
            }
        }
    }

    @Test
    void saliencyIsTheGradientOrItsAbsoluteValue() {
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation abs = engine.saliency(model, X, 2, new SaliencyOptions());
                Explanation signed = engine.saliency(model, X, 2, new SaliencyOptions().abs(false))) {
            assertClose(absWeightsTwice(), abs.attributions(), TOLERANCE);
            float[] expected = new float[8];
            for (int i = 0; i < 8; i++) {
                expected[i] = WEIGHTS[i % 4];
            }
            assertClose(expected, signed.attributions(), TOLERANCE);
        }
    }

    @Test
    void gradientShapWithOneBaselineAndNoNoiseIsWeightTimesDifference() {
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.gradientShap(model, X, 2, new GradientShapOptions(BASELINE).samples(7))) {
            assertEquals("gradient_shap", e.method());
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
        }
    }

    @Test
    void noiseTunnelOverSaliencyOfALinearModel() {
        try (Engine engine = new Engine(new EngineOptions().seed(3));
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation smooth = engine.noiseTunnel(model, X, 2,
                        new NoiseTunnelOptions(new SaliencyOptions()).samples(4).stdevs(0.5f));
                Explanation vargrad = engine.noiseTunnel(model, X, 2,
                        new NoiseTunnelOptions(new SaliencyOptions()).type(NoiseType.VARGRAD).samples(4))) {
            assertEquals("noise_tunnel", smooth.method());
            assertClose(absWeightsTwice(), smooth.attributions(), TOLERANCE);
            assertClose(new float[8], vargrad.attributions(), TOLERANCE);
        }
    }

    private static float[] noisyIntegratedGradients(long seed) {
        LinearModel linear = LinearModel.of(BIAS, WEIGHTS);
        try (Engine engine = new Engine(new EngineOptions().seed(seed));
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.noiseTunnel(model, X, 2,
                        new NoiseTunnelOptions(new IntegratedGradientsOptions().baseline(BASELINE)).samples(3))) {
            return e.attributions();
        }
    }

    @Test
    void noiseTunnelOverIntegratedGradientsMatchesItsMeanAndIsSeeded() {
        float[] first = noisyIntegratedGradients(11);
        assertArrayEquals(first, noisyIntegratedGradients(11));
        assertFalse(Arrays.equals(first, noisyIntegratedGradients(12)));
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.noiseTunnel(model, X, 2,
                        new NoiseTunnelOptions(new GradientShapOptions(BASELINE)).stdevs(0f))) {
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
        }
    }

    /** Input [1, 2, 2]; layer [2, 2, 2] with A_c = (c + 1)·x and fixed gradients (channel means 0.5, 0.25). */
    static final class CamModel implements Model {
        static final float[][] GRADIENTS = {{1.0f, 0.0f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f, 0.25f}};

        @Override
        public void predict(float[] inputs, int rows, float[] outputs) {
            for (int r = 0; r < rows; r++) {
                float sum = 0;
                for (int p = 0; p < 4; p++) {
                    sum += inputs[4 * r + p];
                }
                outputs[r] = sum;
            }
        }

        @Override
        public void layerGradient(float[] inputs, int rows, int[] targets, float[] activations, float[] gradients) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < 2; c++) {
                    for (int p = 0; p < 4; p++) {
                        activations[8 * r + 4 * c + p] = (c + 1) * inputs[4 * r + p];
                        gradients[8 * r + 4 * c + p] = GRADIENTS[c][p];
                    }
                }
            }
        }
    }

    @Test
    void gradCamWeighsChannelsByTheirMeanGradient() {
        float[] x = {1, -2, 3, 0.5f, 2, 2, -1, 0};
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(new CamModel(),
                        ModelSpec.shaped(new int[] {1, 2, 2}, 1).layerShape(2, 2, 2));
                Explanation plain = engine.gradCam(model, x, 2, new GradCamOptions().upsample(false));
                Explanation relu = engine.gradCam(model, x, 2, new GradCamOptions().reluAttributions(true))) {
            assertEquals("grad_cam", plain.method());
            // Σ_c mean(G_c)·A_c = 0.5·x + 0.25·2x = x.
            assertClose(x, plain.attributions(), TOLERANCE);
            float[] positive = x.clone();
            for (int i = 0; i < positive.length; i++) {
                positive[i] = Math.max(0, positive[i]);
            }
            assertClose(positive, relu.attributions(), TOLERANCE);
            assertClose(new float[] {2.5f, 3f}, plain.predictions(), TOLERANCE);
        }
    }
}

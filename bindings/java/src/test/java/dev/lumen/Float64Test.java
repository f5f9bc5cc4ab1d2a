package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Double-precision models ({@link DoubleModel}, {@link DoubleSequenceModel}): they see the
 * caller's doubles bit for bit, every method agrees with the same model in float to the float
 * floor, KernelSHAP's exact mode matches brute-force Shapley values to 1e-12, and data of the
 * wrong element type is refused, never converted.
 */
class Float64Test {
    /** Relative agreement of a double and a float explanation: a few float ulps. */
    private static final double FLOAT_FLOOR = 1e-5;

    /** f(x) = w·x + c·x0·x1 + b over 4 inputs, with its gradient. */
    private static final double[] W = {0.75, -1.25, 0.5, 2.0};
    private static final double C = 0.5;
    private static final double BIAS = 0.25;

    private static double f(double x0, double x1, double x2, double x3) {
        return W[0] * x0 + W[1] * x1 + W[2] * x2 + W[3] * x3 + C * x0 * x1 + BIAS;
    }

    /** The model in double precision (two outputs: f and −f). */
    static final class Smooth implements DoubleModel {
        @Override
        public void predict(double[] in, int rows, double[] out) {
            for (int r = 0; r < rows; r++) {
                double v = f(in[4 * r], in[4 * r + 1], in[4 * r + 2], in[4 * r + 3]);
                out[2 * r] = v;
                out[2 * r + 1] = -v;
            }
        }

        @Override
        public void gradient(double[] in, int rows, int[] targets, double[] gradients, double[] outputs) {
            for (int r = 0; r < rows; r++) {
                double sign = targets[r] == 0 ? 1 : -1;
                gradients[4 * r] = sign * (W[0] + C * in[4 * r + 1]);
                gradients[4 * r + 1] = sign * (W[1] + C * in[4 * r]);
                gradients[4 * r + 2] = sign * W[2];
                gradients[4 * r + 3] = sign * W[3];
            }
            if (outputs != null) {
                predict(in, rows, outputs);
            }
        }
    }

    /** The same model in float precision. */
    static final class SmoothFloat implements Model {
        @Override
        public void predict(float[] in, int rows, float[] out) {
            for (int r = 0; r < rows; r++) {
                double v = f(in[4 * r], in[4 * r + 1], in[4 * r + 2], in[4 * r + 3]);
                out[2 * r] = (float) v;
                out[2 * r + 1] = (float) -v;
            }
        }

        @Override
        public void gradient(float[] in, int rows, int[] targets, float[] gradients, float[] outputs) {
            for (int r = 0; r < rows; r++) {
                double sign = targets[r] == 0 ? 1 : -1;
                gradients[4 * r] = (float) (sign * (W[0] + C * in[4 * r + 1]));
                gradients[4 * r + 1] = (float) (sign * (W[1] + C * in[4 * r]));
                gradients[4 * r + 2] = (float) (sign * W[2]);
                gradients[4 * r + 3] = (float) (sign * W[3]);
            }
            if (outputs != null) {
                predict(in, rows, outputs);
            }
        }
    }

    /** Two rows, exactly representable in float (so both models see the same numbers). */
    private static final float[] XF = {1.5f, -0.5f, 2.0f, 0.25f, -1.0f, 0.75f, 0.5f, -2.0f};
    private static final float[] BACKGROUND_F = {0, 0, 0, 0, 0.5f, 1.0f, -0.5f, 0.25f, 1.0f, -1.0f, 0.0f, 0.5f};

    private static double[] widen(float[] values) {
        double[] wide = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return wide;
    }

    private static final double[] XD = widen(XF);
    private static final double[] BACKGROUND_D = widen(BACKGROUND_F);

    private static ModelSpec spec() {
        return ModelSpec.of(4, 2).withGradient();
    }

    private static void assertFloatFloor(float[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tolerance = FLOAT_FLOOR * Math.max(1.0, Math.abs(expected[i]));
            assertEquals(expected[i], actual[i], tolerance, what + ": value " + i);
        }
    }

    /** Runs one method on the float model and on the double model and compares them. */
    private static void agree(String what, Explain<float[]> onFloat, Explain<double[]> onDouble) throws Exception {
        try (Engine engine = new Engine(new EngineOptions().seed(11));
                ModelHandle single = new ModelHandle(new SmoothFloat(), spec());
                ModelHandle dual = ModelHandle.ofDouble(new Smooth(), spec());
                Explanation f = onFloat.run(engine, single, XF);
                Explanation d = onDouble.run(engine, dual, XD)) {
            assertEquals(ElementType.F32, f.elementType(), what);
            assertEquals(ElementType.F64, d.elementType(), what);
            assertEquals(f.method(), d.method(), what);
            assertFloatFloor(f.attributions(), d.attributionsDouble(), what + " attributions");
            assertFloatFloor(f.predictions(), d.predictionsDouble(), what + " predictions");
            assertFloatFloor(f.baseValues(), d.baseValuesDouble(), what + " base values");
            float[] errors = f.standardErrors();
            if (errors == null) {
                assertNull(d.standardErrorsDouble(), what);
            } else {
                assertEquals(errors.length, d.standardErrorsDouble().length, what);
            }
        }
    }

    @FunctionalInterface
    private interface Explain<A> {
        Explanation run(Engine engine, ModelHandle model, A inputs) throws Exception;
    }

    @Test
    void aDoubleModelSeesTheCallersDoublesBitForBit() {
        double x0 = 123456789.01;
        double b1 = 0.1;
        List<double[]> seen = Collections.synchronizedList(new ArrayList<>());
        DoubleModel sum = new DoubleModel() {
            @Override
            public void predict(double[] in, int rows, double[] out) {
                throw new AssertionError("the DoubleBuffer variant is overridden");
            }

            @Override
            public void predict(DoubleBuffer in, int rows, DoubleBuffer out) {
                assertTrue(in.isReadOnly() && in.isDirect(), "a read-only view of Lumen's own memory");
                for (int r = 0; r < rows; r++) {
                    double a = in.get(2 * r);
                    double b = in.get(2 * r + 1);
                    seen.add(new double[] {a, b});
                    out.put(r, a + b);
                }
            }
        };
        double[] x = {x0, 0.3};
        try (Engine engine = new Engine();
                ModelHandle model = ModelHandle.ofDouble(sum, ModelSpec.of(2, 1));
                Explanation e = engine.occlusion(model, x, 1, new OcclusionOptions(1).baseline(new double[] {0.0, b1}))) {
            assertEquals(ElementType.F64, model.elementType());
            assertTrue(seen.stream().anyMatch(row -> row[0] == x0 && row[1] == 0.3), "the row itself, unrounded");
            assertTrue(seen.stream().anyMatch(row -> row[0] == x0 && row[1] == b1), "the baseline, unrounded");
            for (double[] row : seen) {
                assertTrue(row[0] == x0 || row[0] == 0.0, "only the caller's doubles: " + row[0]);
            }
            assertEquals(x0 + 0.3, e.predictionsDouble()[0], 0.0);
            assertEquals((x0 + 0.3) - (0.0 + 0.3), e.attributionsDouble()[0], 0.0);
            assertEquals((x0 + 0.3) - (x0 + b1), e.attributionsDouble()[1], 0.0);
            assertNotEquals((double) (float) x0, e.attributionsDouble()[0], "no float on the way");
            assertEquals((float) e.attributionsDouble()[0], e.attributions()[0], 0.0f, "the float view rounds");
            ReasonCode strongest = e.reasonCodes(0, 0, 1, Direction.RAISED).get(0);
            assertEquals(0, strongest.feature());
            assertEquals(e.attributionsDouble()[0], strongest.contributionDouble(), 0.0, "the reason's double");
            assertEquals(e.attributions()[0], strongest.contribution(), 0.0f, "the reason's float rounds");
            assertNotEquals((double) strongest.contribution(), strongest.contributionDouble());
            assertTrue(e.toJson().contains("\"f64\""), e.toJson());
        }
    }

    @Test
    void perturbationMethodsAgreeWithTheFloatModel() throws Exception {
        agree("occlusion", (e, m, x) -> e.occlusion(m, x, 2, new OcclusionOptions(2).strides(1).baseline(0.5f)),
                (e, m, x) -> e.occlusion(m, x, 2, new OcclusionOptions(2).strides(1).baseline(0.5)));
        agree("occlusion baseline rows",
                (e, m, x) -> e.occlusion(m, x, 2, new OcclusionOptions(1).baseline(new float[] {1, 2, 3, 4})),
                (e, m, x) -> e.occlusion(m, x, 2, new OcclusionOptions(1).baseline(new double[] {1, 2, 3, 4})));
        agree("feature ablation",
                (e, m, x) -> e.featureAblation(m, x, 2, new FeatureAblationOptions().featureMask(0, 0, 1, 2)
                        .baseline(0.25f)),
                (e, m, x) -> e.featureAblation(m, x, 2, new FeatureAblationOptions().featureMask(0, 0, 1, 2)
                        .baseline(0.25)));
    }

    @Test
    void shapleyMethodsAgreeWithTheFloatModel() throws Exception {
        agree("kernel shap", (e, m, x) -> e.kernelShap(m, x, 2, new KernelShapOptions(BACKGROUND_F)),
                (e, m, x) -> e.kernelShap(m, x, 2, new KernelShapOptions(BACKGROUND_D)));
        agree("kernel shap sampled",
                (e, m, x) -> e.kernelShap(m, x, 2, new KernelShapOptions(BACKGROUND_F).playerGroups(
                        new int[] {0}, new int[] {1}, new int[] {2, 3}).budget(4).targets(1)),
                (e, m, x) -> e.kernelShap(m, x, 2, new KernelShapOptions(BACKGROUND_D).playerGroups(
                        new int[] {0}, new int[] {1}, new int[] {2, 3}).budget(4).targets(1)));
        agree("shapley sampling",
                (e, m, x) -> e.shapleySampling(m, x, 2, new ShapleySamplingOptions(BACKGROUND_F).permutationPairs(4)),
                (e, m, x) -> e.shapleySampling(m, x, 2, new ShapleySamplingOptions(BACKGROUND_D).permutationPairs(4)));
    }

    @Test
    void gradientMethodsAgreeWithTheFloatModel() throws Exception {
        for (Quadrature rule : Quadrature.values()) {
            agree("integrated gradients " + rule,
                    (e, m, x) -> e.integratedGradients(m, x, 2, new IntegratedGradientsOptions().method(rule)
                            .steps(16).baseline(new float[] {0.5f, 0, -1, 0.25f})),
                    (e, m, x) -> e.integratedGradients(m, x, 2, new IntegratedGradientsOptions().method(rule)
                            .steps(16).baseline(new double[] {0.5, 0, -1, 0.25})));
        }
        agree("integrated gradients scalar baseline",
                (e, m, x) -> e.integratedGradients(m, x, 2, new IntegratedGradientsOptions().baseline(0.5f)),
                (e, m, x) -> e.integratedGradients(m, x, 2, new IntegratedGradientsOptions().baseline(0.5)));
        agree("saliency", (e, m, x) -> e.saliency(m, x, 2, new SaliencyOptions().abs(false)),
                (e, m, x) -> e.saliency(m, x, 2, new SaliencyOptions().abs(false)));
        agree("gradient shap", (e, m, x) -> e.gradientShap(m, x, 2, new GradientShapOptions(BACKGROUND_F)),
                (e, m, x) -> e.gradientShap(m, x, 2, new GradientShapOptions(BACKGROUND_D)));
        agree("noise tunnel over saliency",
                (e, m, x) -> e.noiseTunnel(m, x, 2, new NoiseTunnelOptions(new SaliencyOptions()).stdevs(0.5f)),
                (e, m, x) -> e.noiseTunnel(m, x, 2, new NoiseTunnelOptions(new SaliencyOptions()).stdevs(0.5)));
        agree("noise tunnel over integrated gradients",
                (e, m, x) -> e.noiseTunnel(m, x, 2, new NoiseTunnelOptions(new IntegratedGradientsOptions().steps(8))
                        .type(NoiseType.VARGRAD).samples(3).stdevs(0.25f)),
                (e, m, x) -> e.noiseTunnel(m, x, 2, new NoiseTunnelOptions(new IntegratedGradientsOptions().steps(8))
                        .type(NoiseType.VARGRAD).samples(3).stdevs(0.25)));
    }

    /** {@link GradientTest.CamModel} in double precision. */
    static final class DoubleCam implements DoubleModel {
        @Override
        public void predict(double[] inputs, int rows, double[] outputs) {
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int p = 0; p < 4; p++) {
                    sum += inputs[4 * r + p];
                }
                outputs[r] = sum;
            }
        }

        @Override
        public void layerGradient(double[] inputs, int rows, int[] targets, double[] activations,
                double[] gradients) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < 2; c++) {
                    for (int p = 0; p < 4; p++) {
                        activations[8 * r + 4 * c + p] = (c + 1) * inputs[4 * r + p];
                        gradients[8 * r + 4 * c + p] = GradientTest.CamModel.GRADIENTS[c][p];
                    }
                }
            }
        }
    }

    @Test
    void gradCamAgreesWithTheFloatModel() {
        float[] x = {1, -2, 3, 0.5f, 2, 2, -1, 0};
        ModelSpec spec = ModelSpec.shaped(new int[] {1, 2, 2}, 1).layerShape(2, 2, 2);
        try (Engine engine = new Engine();
                ModelHandle single = new ModelHandle(new GradientTest.CamModel(), spec);
                ModelHandle dual = ModelHandle.ofDouble(new DoubleCam(), spec);
                Explanation f = engine.gradCam(single, x, 2, new GradCamOptions());
                Explanation d = engine.gradCam(dual, widen(x), 2, new GradCamOptions())) {
            assertFloatFloor(f.attributions(), d.attributionsDouble(), "grad-cam");
            assertEquals(ElementType.F64, d.elementType());
        }
    }

    @Test
    void kernelShapExactModeEqualsBruteForceShapleyValues() {
        double[] x = {0.1234567890123, -1.987654321, 3.14159265358979, 2.718281828459045};
        double[] background = {0.3, 0.7, -0.2, 1.1, -0.6, 0.05, 0.45, -0.35};
        double[] weights = {0.25, 0.75};
        try (Engine engine = new Engine();
                ModelHandle model = ModelHandle.ofDouble(new Smooth(), spec());
                Explanation e = engine.kernelShap(model, x, 1,
                        new KernelShapOptions(background).backgroundWeights(weights).targets(0))) {
            double[] phi = bruteForceShapley(x, background, weights);
            double[] got = e.attributionsDouble();
            assertEquals(4, got.length);
            for (int i = 0; i < 4; i++) {
                assertEquals(phi[i], got[i], 1e-12, "player " + i);
            }
            double base = 0;
            for (int b = 0; b < 2; b++) {
                base += weights[b] * value(x, background, b, 0);
            }
            assertEquals(base, e.baseValuesDouble()[0], 1e-12);
            assertEquals(f(x[0], x[1], x[2], x[3]), e.predictionsDouble()[0], 0.0);
        }
    }

    /** v(S) for one background row: f of x on the players in {@code mask}, the background row elsewhere. */
    private static double value(double[] x, double[] background, int b, int mask) {
        double[] z = new double[4];
        for (int i = 0; i < 4; i++) {
            z[i] = (mask & (1 << i)) != 0 ? x[i] : background[4 * b + i];
        }
        return f(z[0], z[1], z[2], z[3]);
    }

    /** φ_i = Σ_S |S|!(M−|S|−1)!/M! (v(S ∪ i) − v(S)), v the weighted background mean. */
    private static double[] bruteForceShapley(double[] x, double[] background, double[] weights) {
        int m = 4;
        double[] v = new double[1 << m];
        for (int mask = 0; mask < v.length; mask++) {
            for (int b = 0; b < weights.length; b++) {
                v[mask] += weights[b] * value(x, background, b, mask);
            }
        }
        double[] phi = new double[m];
        for (int i = 0; i < m; i++) {
            for (int mask = 0; mask < v.length; mask++) {
                if ((mask & (1 << i)) != 0) {
                    continue;
                }
                int s = Integer.bitCount(mask);
                double weight = factorial(s) * factorial(m - s - 1) / factorial(m);
                phi[i] += weight * (v[mask | (1 << i)] - v[mask]);
            }
        }
        return phi;
    }

    private static double factorial(int n) {
        double f = 1;
        for (int k = 2; k <= n; k++) {
            f *= k;
        }
        return f;
    }

    /** {@link CounterfactualTest#CREDIT} in double precision. */
    static final DoubleModel CREDIT = (inputs, rows, outputs) -> {
        for (int r = 0; r < rows; r++) {
            double z = 8 * (inputs[3 * r] - 0.5) + 0.1 * inputs[3 * r + 1];
            double p = 1 / (1 + Math.exp(-z));
            outputs[2 * r] = 1 - p;
            outputs[2 * r + 1] = p;
        }
    };

    @Test
    void counterfactualsOfADoubleModelAreDoubleRowsFromTheTrainingData() {
        double income = 0.9000000000000123;
        double[] training = {0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0.2, 1, 0, income, 0, 1};
        double[] applicant = {0, 0, 1};
        List<TabularFeature> features = List.of(TabularFeature.numeric("income", 0),
                TabularFeature.categorical("housing", 1, 2));
        try (Engine engine = new Engine(new EngineOptions().seed(5));
                ModelHandle model = ModelHandle.ofDouble(CREDIT, ModelSpec.of(3, 2))) {
            Counterfactuals found = engine.counterfactuals(model, applicant, 1,
                    new PermuteAttackOptions(training).features(features).range(0, 0.0, 1.0).generations(20).runs(3)
                            .columnSampling());
            Counterfactual best = found.instances().get(0).counterfactuals().get(0);
            assertTrue(best.success());
            assertArrayEquals(new int[] {0}, best.changed());
            double drawn = best.rowDouble()[0];
            assertTrue(drawn == 1.0 || drawn == income, "a training value, unrounded: " + drawn);
            assertEquals((float) drawn, best.row()[0], 0.0f);
            double z = 8 * (drawn - 0.5);
            assertEquals(1 / (1 + Math.exp(-z)), best.targetProbabilityDouble(), 0.0);
            assertEquals((float) best.targetProbabilityDouble(), best.targetProbability(), 0.0f);
        }
    }

    private static final int F = 2;

    /** f(seq) = Σ_t 0.7^(L−1−t) (0.8 x_{t,0} − 0.5 x_{t,1}), in double. */
    private static final DoubleSequenceModel DECAYING = (in, rows, seqLen, out) -> {
        for (int r = 0; r < rows; r++) {
            double h = 0;
            for (int t = 0; t < seqLen; t++) {
                int at = (r * seqLen + t) * F;
                h = 0.7 * h + 0.8 * in[at] - 0.5 * in[at + 1];
            }
            out[r] = h;
        }
    };

    /** The same, in float. */
    private static final SequenceModel DECAYING_FLOAT = (in, rows, seqLen, out) -> {
        double[] wide = widen(in);
        double[] result = new double[rows];
        DECAYING.predict(wide, rows, seqLen, result);
        for (int r = 0; r < rows; r++) {
            out[r] = (float) result[r];
        }
    };

    @Test
    void timeShapAgreesWithTheFloatModel() throws Exception {
        float[] xf = {1, 0.5f, -1, 2, 0.25f, 0.75f, 2, -1.5f, 0.5f, 0.5f};
        double[] xd = widen(xf);
        float[] bf = {0.1f, 0.2f};
        double[] bd = widen(bf);
        int len = 5;
        try (Engine engine = new Engine(new EngineOptions().seed(3));
                SequenceModelHandle single = new SequenceModelHandle(DECAYING_FLOAT, SequenceModelSpec.of(F, 1));
                SequenceModelHandle dual = SequenceModelHandle.ofDouble(DECAYING, SequenceModelSpec.of(F, 1))) {
            assertEquals(ElementType.F64, dual.elementType());
            for (TimeShapLevel level : TimeShapLevel.values()) {
                try (TimeShapExplanation f = engine.explainTimeShap(single, xf, len, level, new TimeShapOptions(bf));
                        TimeShapExplanation d = engine.explainTimeShap(dual, xd, len, level,
                                new TimeShapOptions(bd))) {
                    assertFloatFloor(f.values(), d.valuesDouble(), "timeshap " + level);
                    assertEquals(f.prediction(), d.predictionDouble(), FLOAT_FLOOR);
                    assertEquals(f.baseValue(), d.baseValueDouble(), FLOAT_FLOOR);
                    assertEquals(f.players(), d.players());
                }
            }
            Pruning pf = engine.timeshapPrune(single, xf, len, new TimeShapOptions(bf).tolerance(0.05), true);
            Pruning pd = engine.timeshapPrune(dual, xd, len, new TimeShapOptions(bd).tolerance(0.05), true);
            assertEquals(pf.prunedLength(), pd.prunedLength());
            assertEquals(pf.curve().size(), pd.curve().size());
            for (int i = 0; i < pf.curve().size(); i++) {
                assertEquals(pf.curve().get(i).olderValue(), pd.curve().get(i).olderValue(), FLOAT_FLOOR);
            }
            TimeShapPruningCurve cf = engine.timeshapPruningCurve(single, xf, len, TimeShapOptions.averageEventOf(xf));
            TimeShapPruningCurve cd = engine.timeshapPruningCurve(dual, xd, len, TimeShapOptions.averageEventOf(xd));
            assertEquals(cf.pruningIndex(), cd.pruningIndex());
            for (int i = 0; i < cf.points().size(); i++) {
                assertEquals(cf.points().get(i).newerValue(), cd.points().get(i).newerValue(), FLOAT_FLOOR);
            }
            float[] twoF = new float[2 * xf.length];
            System.arraycopy(xf, 0, twoF, 0, xf.length);
            System.arraycopy(xf, 0, twoF, xf.length, xf.length);
            TimeShapGlobal gf = engine.timeshapGlobal(single, twoF, new int[] {len, len}, new TimeShapOptions(bf),
                    new double[] {0.0, 0.1}, 2);
            TimeShapGlobal gd = engine.timeshapGlobal(dual, widen(twoF), new int[] {len, len},
                    new TimeShapOptions(bd), new double[] {0.0, 0.1}, 2);
            assertEquals(gf.sequences(), gd.sequences());
            assertEquals(gf.featureImportance().get(0).mean(), gd.featureImportance().get(0).mean(), FLOAT_FLOOR);
        }
    }

    @Test
    void readmeDoubleExampleRunsAndGivesTheClosedForm() {
        double[] values;
        ElementType type;
        // As in bindings/java/README.md.
        DoubleModel score = (in, rows, out) -> {
            for (int r = 0; r < rows; r++)
                out[r] = 0.5 * in[r * 3] - 0.8 * in[r * 3 + 1] + 0.1 * in[r * 3 + 2];
        };
        double[] applicant = {123456789.01, 2, 3};
        double[] pastApplicants = {0, 0, 0, 2, 1, 0};
        try (Engine engine = new Engine(new EngineOptions().seed(42));
                ModelHandle model = ModelHandle.ofDouble(score, ModelSpec.of(3, 1));
                Explanation e = engine.kernelShap(model, applicant, 1, new KernelShapOptions(pastApplicants))) {
            values = e.attributionsDouble();
            type = e.elementType();
        }
        // Background mean (1, 0.5, 0): φ = w ⊙ (x − mean), to the solve's precision at a scale of 1e8.
        assertEquals(ElementType.F64, type);
        assertEquals(0.5 * (123456789.01 - 1), values[0], 1e-6);
        assertEquals(-0.8 * (2 - 0.5), values[1], 1e-6);
        assertEquals(0.1 * 3, values[2], 1e-6);
    }

    private static void mismatch(String messageStart, Executable call) {
        ElementTypeMismatchException e = assertThrows(ElementTypeMismatchException.class, call);
        assertEquals(Status.ELEMENT_TYPE_MISMATCH, e.status(), e.getMessage());
        assertTrue(e.getMessage().startsWith(messageStart), "message: " + e.getMessage());
        assertTrue(e instanceof InvalidArgumentException, "a bad argument like any other");
    }

    @Test
    void dataOfTheOtherElementTypeIsRefusedNeverConverted() {
        AtomicInteger calls = new AtomicInteger();
        DoubleModel counting = (in, rows, out) -> calls.incrementAndGet();
        Model countingFloat = (in, rows, out) -> calls.incrementAndGet();
        try (Engine engine = new Engine();
                ModelHandle dual = ModelHandle.ofDouble(counting, ModelSpec.of(4, 2).withGradient());
                ModelHandle single = new ModelHandle(countingFloat, ModelSpec.of(4, 2).withGradient());
                SequenceModelHandle sequences = SequenceModelHandle.ofDouble(DECAYING, SequenceModelSpec.of(F, 1))) {
            mismatch("inputs: is a float[] but the model takes double elements; pass a double[]",
                    () -> engine.occlusion(dual, XF, 2, new OcclusionOptions(1)));
            mismatch("inputs: is a double[] but the model takes float elements; pass a float[]",
                    () -> engine.occlusion(single, XD, 2, new OcclusionOptions(1)));
            mismatch("baseline: is a float[] but the model takes double elements",
                    () -> engine.featureAblation(dual, XD, 2,
                            new FeatureAblationOptions().baseline(new float[] {0, 0, 0, 0})));
            mismatch("baseline: is set as the double 0.5 but the model takes float elements",
                    () -> engine.occlusion(single, XF, 2, new OcclusionOptions(1).baseline(0.5)));
            mismatch("background: is a float[] but the model takes double elements",
                    () -> engine.kernelShap(dual, XD, 2, new KernelShapOptions(BACKGROUND_F)));
            mismatch("background: is a double[] but the model takes float elements",
                    () -> engine.shapleySampling(single, XF, 2, new ShapleySamplingOptions(BACKGROUND_D)));
            mismatch("inputs: is a float[]", () -> engine.integratedGradients(dual, XF, 2,
                    new IntegratedGradientsOptions()));
            mismatch("baselines: is a double[]", () -> engine.gradientShap(single, XF, 2,
                    new GradientShapOptions(BACKGROUND_D)));
            mismatch("stdevs: is set as the double 0.5", () -> engine.noiseTunnel(single, XF, 2,
                    new NoiseTunnelOptions(new SaliencyOptions()).stdevs(0.5)));
            mismatch("stdevs: is set as the double 0.5", () -> engine.gradientShap(single, XF, 2,
                    new GradientShapOptions(BACKGROUND_F).stdevs(0.5)));
            mismatch("inputs: is a double[]", () -> engine.saliency(single, XD, 2, new SaliencyOptions()));
            mismatch("inputs: is a float[]", () -> engine.gradCam(dual, XF, 2, new GradCamOptions()));
            mismatch("training: is a float[]", () -> engine.counterfactuals(dual, XD, 2,
                    new PermuteAttackOptions(BACKGROUND_F)));
            mismatch("sequence: is a float[]", () -> engine.explainTimeShap(sequences, new float[] {1, 2, 3, 4}, 2,
                    TimeShapLevel.EVENT, new TimeShapOptions(new double[] {0, 0})));
            mismatch("background: is a float[]", () -> engine.timeshapPrune(sequences, new double[] {1, 2, 3, 4}, 2,
                    new TimeShapOptions(new float[] {0, 0}), false));
            assertEquals(0, calls.get(), "a refused call never reaches the model");
            // A float scalar on a double model widens exactly (0.5f is 0.5): no mismatch.
            try (Explanation e = engine.occlusion(dual, XD, 2, new OcclusionOptions(1).baseline(0.5f))) {
                assertEquals(ElementType.F64, e.elementType());
            }
        }
        assertFalse(Double.isNaN(Explanation.consistency(new double[] {1, 2, 3}, new double[] {2, 4, 6.5})));
    }
}

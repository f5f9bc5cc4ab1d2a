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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShapleyTest {
    private final LinearModel linear = LinearModel.of(BIAS, WEIGHTS);

    @Test
    void kernelShapOfALinearModelIsWeightTimesDifferenceFromTheBackground() {
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.kernelShap(model, X, 2, new KernelShapOptions(BASELINE))) {
            assertEquals("kernel_shap", e.method());
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
            for (double gap : e.completenessGaps()) {
                assertEquals(0.0, gap, TOLERANCE, "local accuracy");
            }
            for (float se : e.standardErrors()) {
                assertEquals(0.0f, se, 0.0f, "16 coalitions are enumerated exactly");
            }
        }
    }

    @Test
    void playerGroupsEqualThePlayerIds() {
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation ids = engine.kernelShap(model, X, 2, new KernelShapOptions(BASELINE).players(0, 0, 1, 2));
                Explanation lists = engine.kernelShap(model, X, 2,
                        new KernelShapOptions(BASELINE).playerGroups(new int[] {0, 1}, new int[] {2}, new int[] {3}))) {
            assertEquals(3, lists.features());
            assertArrayEquals(ids.attributions(), lists.attributions());
        }
    }

    @Test
    void weightedBackgroundUsesTheWeightedMeanRow() {
        float[] background = {0, 0, 0, 0, 1, 2, 3, 4};
        float[] mean = {0.75f, 1.5f, 2.25f, 3.0f};
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.kernelShap(model, X, 2,
                        new KernelShapOptions(background).backgroundWeights(1, 3))) {
            assertClose(linearAttributions(mean), e.attributions(), TOLERANCE);
            float[] fb = new float[1];
            linear.predict(mean, 1, fb);
            assertEquals(fb[0], e.baseValues()[0], TOLERANCE);
        }
    }

    @Test
    void shapleySamplingOfALinearModelIsExact() {
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.shapleySampling(model, X, 2,
                        new ShapleySamplingOptions(BASELINE).permutationPairs(4))) {
            assertEquals("shapley_value_sampling", e.method());
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
        }
    }

    @Test
    void shapleySamplingWithOnePairHasValuesAndNoStandardErrors() {
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.shapleySampling(model, X, 2,
                        new ShapleySamplingOptions(BASELINE).permutationPairs(1))) {
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
            assertNull(e.standardErrors(), "one pair has no spread to estimate errors from");
        }
    }

    @Test
    void shapleySamplingWithATargetRecordsItsRoundsAndRefusesBadTargets() {
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.shapleySampling(model, X, 2, new ShapleySamplingOptions(BASELINE)
                        .permutationPairs(4).targetStandardError(1e-3).maxPermutationPairs(40))) {
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
            String json = e.toJson();
            assertTrue(json.contains("\"target_met\":true"), json);
            assertTrue(json.contains("\"max_permutation_pairs\":40"), json);
        }
        ShapleySamplingOptions options = new ShapleySamplingOptions(BASELINE);
        assertThrows(InvalidArgumentException.class, () -> options.targetStandardError(Double.NaN));
        assertThrows(InvalidArgumentException.class, () -> options.targetStandardError(0));
        assertThrows(InvalidArgumentException.class, () -> options.maxPermutationPairs(0));
        try (Engine engine = new Engine(); ModelHandle model = new ModelHandle(linear, linear.spec())) {
            LumenException refused = assertThrows(LumenException.class,
                    () -> engine.shapleySampling(model, X, 2, options.maxPermutationPairs(10)));
            assertTrue(refused.getMessage().contains("max_permutation_pairs"), refused.getMessage());
        }
    }

    @Test
    void groupedPlayersReasonCodesSumsAndAudit() {
        String[] names = {"income", "debt", "age", "tenure"};
        try (Engine engine = new Engine(new EngineOptions().seed(7));
                ModelHandle model = new ModelHandle(linear, linear.spec().featureNames(names));
                Explanation e = engine.kernelShap(model, X, 2, new KernelShapOptions(BASELINE))) {
            float[] phi = e.attributions(0, 0);
            // Row 0: w ⊙ (x − b) = {0.4, -1.52, -0.13, 1.8}.
            List<ReasonCode> lowered = e.reasonCodes(0, 0, 3, Direction.LOWERED);
            assertEquals(2, lowered.size(), "only two players lowered the score");
            assertEquals(new ReasonCode(1, "debt", phi[1]), lowered.get(0));
            assertEquals(new ReasonCode(2, "age", phi[2]), lowered.get(1));
            List<ReasonCode> raised = e.reasonCodes(0, 0, 1, Direction.RAISED);
            assertEquals(List.of(new ReasonCode(3, "tenure", phi[3])), raised);
            try (Explanation grouped = e.sumGroups(new int[] {0, 0, 1, 1}, "money", "person")) {
                assertEquals(List.of("money", "person"), grouped.featureNames());
                assertClose(new float[] {phi[0] + phi[1], phi[2] + phi[3]}, grouped.attributions(0, 0), TOLERANCE);
            }
            String json = e.toJson();
            assertTrue(json.contains("\"kernel_shap\""), json);
            assertTrue(json.contains("\"seed\":7"), json);
            assertTrue(json.contains("\"library_version\":\"" + Engine.version() + "\""), json);
        }
    }

    /** A model with interactions: f = x0·x1 + sin(x2) + x3² − x4·x5. */
    static final Model NONLINEAR = (inputs, rows, outputs) -> {
        for (int r = 0; r < rows; r++) {
            int o = r * 6;
            outputs[r] = inputs[o] * inputs[o + 1] + (float) Math.sin(inputs[o + 2]) + inputs[o + 3] * inputs[o + 3]
                    - inputs[o + 4] * inputs[o + 5];
        }
    };

    private static float[] sampledShap(long seed, int threads) {
        float[] rows = {1, 2, 0.5f, -1, 3, 0.25f, -2, 1, 1.5f, 0.5f, -1, 2};
        float[] background = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, -1, 0.5f, 2, 0, 1, -1};
        try (Engine engine = new Engine(new EngineOptions().seed(seed).threads(threads));
                ModelHandle model = new ModelHandle(NONLINEAR, ModelSpec.of(6, 1));
                Explanation e = engine.kernelShap(model, rows, 2, new KernelShapOptions(background).budget(24))) {
            float[] out = Arrays.copyOf(e.attributions(), 24);
            System.arraycopy(e.standardErrors(), 0, out, 12, 12);
            for (double gap : e.completenessGaps()) {
                assertEquals(0.0, gap, 1e-3, "local accuracy holds even when sampled");
            }
            return out;
        }
    }

    @Test
    void sampledKernelShapIsDeterministicGivenTheSeedWhateverTheThreads() {
        float[] one = sampledShap(42, 1);
        float[] four = sampledShap(42, 4);
        assertArrayEquals(one, four, "same seed, 1 vs 4 threads: identical bits");
        assertArrayEquals(one, sampledShap(42, 2));
        assertFalse(Arrays.equals(one, sampledShap(43, 4)), "another seed samples other coalitions");
    }
}

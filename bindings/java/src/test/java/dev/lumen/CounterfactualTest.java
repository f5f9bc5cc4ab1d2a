package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CounterfactualTest {
    /** Approves (class 1) when income (column 0) is high: P(1) = σ(8·(x0 − 0.5) + 0.1·x1). */
    static final Model CREDIT = (inputs, rows, outputs) -> {
        for (int r = 0; r < rows; r++) {
            double z = 8 * (inputs[3 * r] - 0.5) + 0.1 * inputs[3 * r + 1];
            double p = 1 / (1 + Math.exp(-z));
            outputs[2 * r] = (float) (1 - p);
            outputs[2 * r + 1] = (float) p;
        }
    };

    static final float[] TRAINING = {0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0.2f, 1, 0, 0.9f, 0, 1};

    @Test
    void findsTheIncomeChangeThatFlipsADeclinedApplicant() {
        float[] applicant = {0, 0, 1};
        List<TabularFeature> features = List.of(TabularFeature.numeric("income", 0),
                TabularFeature.categorical("housing", 1, 2));
        try (Engine engine = new Engine(new EngineOptions().seed(5));
                ModelHandle model = new ModelHandle(CREDIT, ModelSpec.of(3, 2))) {
            Counterfactuals found = engine.counterfactuals(model, applicant, 1,
                    new PermuteAttackOptions(TRAINING).features(features).generations(20).runs(3).columnSampling());
            assertEquals(List.of("income", "housing"), found.featureNames());
            InstanceCounterfactuals instance = found.instances().get(0);
            assertEquals(0, instance.originalClass());
            assertEquals(1, instance.targetClass());
            assertFalse(instance.alreadyAtTarget());
            assertTrue(instance.modelRowsEvaluated() > 0);
            Counterfactual best = instance.counterfactuals().get(0);
            assertTrue(best.success());
            assertEquals(1, best.predictedClass());
            assertArrayEquals(new int[] {0}, best.changed(), "only income needs to change");
            assertTrue(best.row()[0] >= 0.9f && best.targetProbability() > 0.5f);
            assertTrue(found.json().contains("\"permute_attack\""), found.json());

            Counterfactuals frozen = engine.counterfactuals(model, applicant, 1,
                    new PermuteAttackOptions(TRAINING).features(features).immutable(0).generations(10).runs(2));
            for (Counterfactual c : frozen.instances().get(0).counterfactuals()) {
                assertFalse(c.success(), "housing alone cannot flip the decision");
                assertEquals(applicant[0], c.row()[0], 0.0f, "income is immutable");
            }
        }
    }

    /** The colour's codes in the coded encoding (neither sorted nor contiguous). */
    static final float[] COLOUR_CODES = {10, 20, 5};

    /** Two trees over (x0, x1, colour index): P(class 1). */
    static float forest(float x0, float x1, int colour) {
        float t1 = colour == 2 ? (x0 > 4.5f ? 0.9f : 0.6f) : (x1 > 7.5f ? 0.7f : 0.1f);
        float t2 = x0 > 8.5f ? 0.9f : (colour == 1 ? 0.45f : 0.1f);
        return (t1 + t2) / 2;
    }

    static int colourOfCode(float code) {
        for (int c = 0; c < COLOUR_CODES.length; c++) {
            if (COLOUR_CODES[c] == code) {
                return c;
            }
        }
        throw new IllegalStateException("unknown colour code " + code);
    }

    /** The forest on rows {x0, x1, colour one-hot (3 columns)}. */
    static final Model ONE_HOT_FOREST = (inputs, rows, outputs) -> {
        for (int r = 0; r < rows; r++) {
            int colour = inputs[5 * r + 2] == 1 ? 0 : inputs[5 * r + 3] == 1 ? 1 : 2;
            float p = forest(inputs[5 * r], inputs[5 * r + 1], colour);
            outputs[2 * r] = 1 - p;
            outputs[2 * r + 1] = p;
        }
    };

    /** The same forest on rows {x0, x1, colour code}. */
    static final Model CODED_FOREST = (inputs, rows, outputs) -> {
        for (int r = 0; r < rows; r++) {
            float p = forest(inputs[3 * r], inputs[3 * r + 1], colourOfCode(inputs[3 * r + 2]));
            outputs[2 * r] = 1 - p;
            outputs[2 * r + 1] = p;
        }
    };

    /** Logical rows {x0, x1, colour index} as one-hot ({@code oneHot}) or coded model rows. */
    static float[] encode(float[][] logical, boolean oneHot) {
        int n = oneHot ? 5 : 3;
        float[] rows = new float[logical.length * n];
        for (int i = 0; i < logical.length; i++) {
            rows[i * n] = logical[i][0];
            rows[i * n + 1] = logical[i][1];
            int colour = (int) logical[i][2];
            if (oneHot) {
                rows[i * n + 2 + colour] = 1;
            } else {
                rows[i * n + 2] = COLOUR_CODES[colour];
            }
        }
        return rows;
    }

    static Counterfactuals searchForest(boolean oneHot, float[][] instances, float[][] training) {
        TabularFeature colour = oneHot ? TabularFeature.categorical("colour", 2, 3, 4)
                : TabularFeature.coded("colour", 2, COLOUR_CODES);
        List<TabularFeature> features = List.of(TabularFeature.numeric("x0", 0), TabularFeature.numeric("x1", 1),
                colour);
        try (Engine engine = new Engine(new EngineOptions().seed(7));
                ModelHandle model = new ModelHandle(oneHot ? ONE_HOT_FOREST : CODED_FOREST,
                        ModelSpec.of(oneHot ? 5 : 3, 2))) {
            return engine.counterfactuals(model, encode(instances, oneHot), instances.length,
                    new PermuteAttackOptions(encode(training, oneHot)).features(features).generations(25).runs(3));
        }
    }

    @Test
    void codedCategoricalsGiveTheOneHotSearch() {
        float[][] training = new float[36][];
        for (int i = 0; i < training.length; i++) {
            training[i] = new float[] {i % 10 + 1, (i * 3) % 10 + 1, i % 3};
        }
        float[][] instances = {{2, 4, 0}, {3, 2, 1}, {1, 9, 0}};
        Counterfactuals oneHot = searchForest(true, instances, training);
        Counterfactuals coded = searchForest(false, instances, training);
        int colourChanges = 0;
        for (int i = 0; i < instances.length; i++) {
            InstanceCounterfactuals a = coded.instances().get(i);
            InstanceCounterfactuals b = oneHot.instances().get(i);
            assertEquals(b.originalClass(), a.originalClass());
            assertEquals(b.targetClass(), a.targetClass());
            assertEquals(b.originalProbability(), a.originalProbability(), 0.0f);
            assertEquals(b.modelRowsEvaluated(), a.modelRowsEvaluated());
            assertEquals(b.counterfactuals().size(), a.counterfactuals().size());
            for (int k = 0; k < a.counterfactuals().size(); k++) {
                Counterfactual x = a.counterfactuals().get(k);
                Counterfactual y = b.counterfactuals().get(k);
                assertEquals(y.success(), x.success());
                assertEquals(y.predictedClass(), x.predictedClass());
                assertArrayEquals(y.changed(), x.changed());
                assertEquals(Float.floatToIntBits(y.targetProbability()), Float.floatToIntBits(x.targetProbability()));
                assertEquals(Float.floatToIntBits(y.distance()), Float.floatToIntBits(x.distance()));
                float[] decoded = {x.row()[0], x.row()[1], colourOfCode(x.row()[2])};
                assertArrayEquals(y.row(), encode(new float[][] {decoded}, true), "the same logical counterfactual");
                if (x.success() && List.of(2).equals(java.util.Arrays.stream(x.changed()).boxed().toList())) {
                    colourChanges++;
                    assertEquals((float) Math.sqrt(2), x.distance(), 0.0f, "a changed category counts sqrt(2)");
                }
            }
        }
        assertTrue(colourChanges > 0, "some counterfactual changes only the coded colour");
    }

    @Test
    void badCodesAreRefused() {
        float[] training = {1, 10, 7, 20, 3, 10};
        Model model = (inputs, rows, outputs) -> {
            for (int r = 0; r < rows; r++) {
                outputs[r] = inputs[2 * r] > 5 ? 0.9f : 0.1f;
            }
        };
        try (Engine engine = new Engine(new EngineOptions().seed(1));
                ModelHandle handle = new ModelHandle(model, ModelSpec.of(2, 1))) {
            java.util.function.BiFunction<float[], float[], Counterfactuals> search = (codes, x) -> engine
                    .counterfactuals(handle, x, 1, new PermuteAttackOptions(training).runs(1).features(
                            List.of(TabularFeature.numeric("x0", 0), TabularFeature.coded("colour", 1, codes))));
            Counterfactual found = search.apply(new float[] {10, 20}, new float[] {2, 10}).instances().get(0)
                    .counterfactuals().get(0);
            assertTrue(found.row()[1] == 10 || found.row()[1] == 20, "rows hold codes");
            Object[][] cases = {
                {new float[] {10, 20, 10}, "lists code 10 twice"},
                {new float[] {10, Float.NaN}, "expected a finite integer"},
                {new float[] {10, 2.5f}, "expected a finite integer"},
                {new float[] {}, "has no codes"}};
            for (Object[] c : cases) {
                LumenException e = assertThrows(InvalidArgumentException.class,
                        () -> search.apply((float[]) c[0], new float[] {2, 10}));
                assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
            }
            LumenException e = assertThrows(InvalidArgumentException.class,
                    () -> search.apply(new float[] {10, 20}, new float[] {2, 30}));
            assertTrue(e.getMessage().contains("code 30 in column 1, expected one of its codes"), e.getMessage());
        }
    }

    @Test
    void scorecardPointsFollowTheLogOddsScale() {
        double pdo = 15 / Math.log(2);
        assertEquals(600, Scorecard.DEFAULT.score(20.0 / 21.0), 1e-9);
        assertEquals(615, Scorecard.DEFAULT.score(40.0 / 41.0), 1e-9);
        assertEquals(600 + pdo * Math.log(0.25 / 20), Scorecard.DEFAULT.score(0.2), 1e-9);
        LumenException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidArgumentException.class,
                () -> Scorecard.DEFAULT.score(1.0));
        assertTrue(e.getMessage().startsWith("p_good"), e.getMessage());
    }
}

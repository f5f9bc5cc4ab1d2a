package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

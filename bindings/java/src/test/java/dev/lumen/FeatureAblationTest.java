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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class FeatureAblationTest {
    private final LinearModel linear = LinearModel.of(BIAS, WEIGHTS);

    @Test
    void eachElementAloneGivesWeightTimesDifferenceAndNoGap() {
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.featureAblation(model, X, 2, new FeatureAblationOptions().baseline(BASELINE))) {
            assertEquals("feature_ablation", e.method());
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
            double[] gaps = e.completenessGaps();
            assertEquals(2, gaps.length);
            for (double gap : gaps) {
                assertEquals(0.0, gap, TOLERANCE, "an additive model has no completeness gap");
            }
        }
    }

    @Test
    void groupsAreAblatedTogetherAndReportedPerGroupWithNames() {
        int[] mask = {0, 0, 1, 1};
        float[] element = linearAttributions(BASELINE);
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation perElement = engine.featureAblation(model, X, 2,
                        new FeatureAblationOptions().featureMask(mask).baseline(BASELINE));
                Explanation perGroup = engine.featureAblation(model, X, 2, new FeatureAblationOptions()
                        .featureMask(mask).groupNames("income", "debt").baseline(BASELINE).groupAttributions(true))) {
            float[] groups = new float[4];
            for (int r = 0; r < 2; r++) {
                groups[2 * r] = element[4 * r] + element[4 * r + 1];
                groups[2 * r + 1] = element[4 * r + 2] + element[4 * r + 3];
            }
            float[] expectedElements = {groups[0], groups[0], groups[1], groups[1], groups[2], groups[2], groups[3],
                groups[3]};
            assertClose(expectedElements, perElement.attributions(), TOLERANCE);
            assertTrue(perGroup.groupAxis());
            assertEquals(2, perGroup.features());
            assertArrayEquals(new int[] {2}, perGroup.featureShape());
            assertArrayEquals(new int[] {4}, perElement.featureShape());
            assertClose(groups, perGroup.attributions(), TOLERANCE);
            assertEquals(List.of("income", "debt"), perGroup.featureNames());
        }
    }

    @Test
    void groupListsEqualTheElementIds() {
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation ids = engine.featureAblation(model, X, 2, new FeatureAblationOptions()
                        .featureMask(1, 0, 1, 0).baseline(BASELINE).groupAttributions(true));
                Explanation lists = engine.featureAblation(model, X, 2, new FeatureAblationOptions()
                        .featureGroups(new int[] {1, 3}, new int[] {2, 0}).baseline(BASELINE)
                        .groupAttributions(true))) {
            assertArrayEquals(ids.attributions(), lists.attributions());
        }
        InvalidArgumentException overlap = assertThrows(InvalidArgumentException.class,
                () -> new FeatureAblationOptions().featureGroups(new int[] {0, 1}, new int[] {1, 2}));
        assertTrue(overlap.getMessage().contains("element 1 is in groups 0 and 1"), overlap.getMessage());
        InvalidArgumentException range = assertThrows(InvalidArgumentException.class,
                () -> new FeatureAblationOptions().featureGroups(new int[] {0, 1}, new int[] {3}));
        assertTrue(range.getMessage().contains("element 3 of group 1 is out of range"), range.getMessage());
    }

    @Test
    void scalarBaselineAndTargetsOfAMultiOutputModel() {
        LinearModel two = new LinearModel(new float[][] {WEIGHTS, {1, 1, 1, 1}}, new float[] {0, 0});
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(two, two.spec());
                Explanation e = engine.featureAblation(model, X, 2,
                        new FeatureAblationOptions().baseline(1.0f).targets(1))) {
            assertEquals(1, e.outputs());
            assertEquals(1, e.explainedOutputs()[0]);
            float[] expected = new float[8];
            for (int i = 0; i < 8; i++) {
                expected[i] = X[i] - 1.0f;
            }
            assertClose(expected, e.attributions(), TOLERANCE);
        }
    }

    @Test
    void wideRowsWithManyNamesAndReasonCodes() {
        int n = 1500;
        float[] weights = new float[n];
        String[] names = new String[n];
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            weights[i] = (i % 7) - 3;
            names[i] = "f" + i;
            x[i] = 1 + i % 5;
        }
        LinearModel wide = LinearModel.of(0, weights);
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(wide, wide.spec().featureNames(names));
                Explanation e = engine.featureAblation(model, x, 1, new FeatureAblationOptions())) {
            List<String> got = e.featureNames();
            assertEquals(n, got.size());
            assertEquals("f1499", got.get(n - 1));
            List<ReasonCode> raised = e.reasonCodes(0, 0, n, Direction.RAISED);
            float[] phi = e.attributions();
            long positive = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(weights[i] * x[i], phi[i], TOLERANCE);
                positive += phi[i] > 0 ? 1 : 0;
            }
            assertEquals(positive, raised.size());
            assertEquals(3 * 5, raised.get(0).contribution(), TOLERANCE);
        }
    }
}

package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Per-row targets: each row explains its own output, as one call per row does. */
class RowTargetsTest {
    private static final float[] ROWS = {1.0f, 2.0f, -1.0f, 0.5f, 0.0f, -3.0f, 4.0f, 1.5f, 2.0f, 1.0f, 0.5f, -2.0f};
    private final LinearModel model3 = new LinearModel(
            new float[][] {{0.5f, -0.8f, 0.1f, 2.0f}, {1.0f, 0.0f, -1.0f, 0.5f}, {-2.0f, 1.5f, 0.25f, 0.0f}},
            new float[] {0.1f, 0.2f, 0.3f});

    @Test
    void perRowTargetsEqualOneCallPerRow() {
        int[] targets = {2, 0, 1};
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(model3, model3.spec());
                Explanation perRow = engine.featureAblation(model, ROWS, 3, new FeatureAblationOptions(),
                        new CallOptions().rowTargets(targets))) {
            assertArrayEquals(targets, perRow.rowTargets());
            assertEquals(0, perRow.explainedOutputs().length);
            for (int r = 0; r < 3; r++) {
                float[] row = Arrays.copyOfRange(ROWS, r * 4, (r + 1) * 4);
                try (Explanation alone = engine.featureAblation(model, row, 1,
                        new FeatureAblationOptions().targets(targets[r]))) {
                    assertArrayEquals(alone.attributions(0, 0), perRow.attributions(r, 0), "row " + r);
                    assertNull(alone.rowTargets());
                }
            }
        }
    }

    @Test
    void badRowTargetsAreRefused() {
        assertThrows(InvalidArgumentException.class, () -> new CallOptions().rowTargets(0, -1));
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(model3, model3.spec())) {
            LumenException e = assertThrows(LumenException.class, () -> engine.featureAblation(model, ROWS, 3,
                    new FeatureAblationOptions(), new CallOptions().rowTargets(0, 5, 1)));
            assertTrue(e.getMessage().contains("row 1's target is 5"), e.getMessage());
        }
    }
}

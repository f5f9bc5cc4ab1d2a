package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AnalyticsTest {
    @Test
    void summaryOfOneRowsMap() {
        LinearModel linear = LinearModel.of(0, 0, 0, 0, 4);
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(linear, linear.spec());
                Explanation e = engine.occlusion(model, new float[] {1, 1, 1, 1}, 1, new OcclusionOptions(1))) {
            AttributionSummary s = e.summary(0, 0);
            assertEquals(0.75, s.concentration(), 1e-9, "one non-zero value of four: (n − 1)/n");
            assertEquals(1.0, s.magnitude(), 1e-9, "mean |a| = 4 / 4");
            assertEquals(0.75, s.sparsity(), 1e-9);
            assertThrows(InvalidArgumentException.class, () -> e.summary(1, 0));
        }
    }

    @Test
    void consistencyIsTheAbsoluteCorrelation() {
        assertEquals(1.0, Explanation.consistency(new float[] {1, 2, 3}, new float[] {-2, -4, -6}), 1e-9);
        assertEquals(0.0, Explanation.consistency(new float[] {1, 1, 1}, new float[] {1, 2, 3}), 1e-9);
        LumenException e = assertThrows(InvalidArgumentException.class,
                () -> Explanation.consistency(new float[] {1, 2}, new float[] {1, 2, 3}));
        assertEquals(Status.LENGTH_MISMATCH, e.status());
    }
}

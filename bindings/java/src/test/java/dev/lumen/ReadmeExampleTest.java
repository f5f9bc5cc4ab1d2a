package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's Java example, as written there, with its result checked. */
class ReadmeExampleTest {
    @Test
    void readmeExampleRunsAndGivesTheClosedForm() {
        float[] applicant = {3, 2, 3};
        float[] pastApplicants = {0, 0, 0, 2, 1, 0};
        List<ReasonCode> reasons;
        float[] attributions;
        Model score = (in, rows, out) -> {
            for (int r = 0; r < rows; r++)
                out[r] = 0.5f * in[r * 3] - 0.8f * in[r * 3 + 1] + 0.1f * in[r * 3 + 2];
        };
        try (Engine engine = new Engine(new EngineOptions().seed(42));
                ModelHandle model = new ModelHandle(score, ModelSpec.of(3, 1));
                Explanation e = engine.kernelShap(model, applicant, 1, new KernelShapOptions(pastApplicants))) {
            float[] values = e.attributions();
            List<ReasonCode> why = e.reasonCodes(0, 0, 3, Direction.LOWERED);
            attributions = values;
            reasons = why;
        }
        // Background mean (1, 0.5, 0): φ = w ⊙ (x − mean) = (1, −1.2, 0.3).
        Fixtures.assertClose(new float[] {1f, -1.2f, 0.3f}, attributions, 1e-5);
        assertEquals(1, reasons.size());
        assertEquals(1, reasons.get(0).feature());
    }
}

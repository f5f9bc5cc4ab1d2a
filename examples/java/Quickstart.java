// Quickstart: why did a credit-scoring model give this applicant this score?
//
// A toy logistic scorecard (probability of repaying) explained with KernelSHAP against five
// past applicants: each feature gets its share of (score - average score), the shares add up
// exactly, and the strongest ones read as reason codes.
//
// Build the JAR once, from the repository root (it carries the native library):
//   bindings/java/build-jar.sh            -> bindings/java/target/lumen-0.3.0.jar
// then, in any folder holding that JAR and this file (no -D flag, no environment variable):
//   javac -cp lumen-0.3.0.jar Quickstart.java
//   java -cp lumen-0.3.0.jar:. Quickstart
// A Maven project depends on dev.lumen:lumen:0.3.0 instead (build-jar.sh installs it).
import dev.lumen.Direction;
import dev.lumen.Engine;
import dev.lumen.EngineOptions;
import dev.lumen.Explanation;
import dev.lumen.KernelShapOptions;
import dev.lumen.Model;
import dev.lumen.ModelHandle;
import dev.lumen.ModelSpec;
import java.util.List;

public class Quickstart {
    static final String[] FEATURES = {"income", "debt_ratio", "years_employed", "late_payments"};
    static final float[] WEIGHTS = {0.03f, -4.0f, 0.15f, -0.8f};
    static final float BIAS = -0.5f;

    public static void main(String[] args) {
        // The bank's model: Lumen calls it with batches of rows (row-major) from its own threads.
        Model score = (in, rows, out) -> {
            for (int r = 0; r < rows; r++) {
                double logit = BIAS;
                for (int f = 0; f < FEATURES.length; f++) {
                    logit += WEIGHTS[f] * in[r * FEATURES.length + f];
                }
                out[r] = (float) (1 / (1 + Math.exp(-logit)));
            }
        };
        float[] applicant = {85, 0.75f, 6, 2};
        float[] pastApplicants = {
            40, 0.35f, 3, 1,
            55, 0.30f, 5, 0,
            30, 0.50f, 1, 2,
            70, 0.25f, 10, 0,
            45, 0.40f, 4, 1,
        };
        try (Engine engine = new Engine(new EngineOptions().seed(42));
                ModelHandle model = new ModelHandle(score, ModelSpec.of(4, 1).featureNames(FEATURES));
                Explanation e = engine.kernelShap(model, applicant, 1, new KernelShapOptions(pastApplicants))) {
            float[] phi = e.attributions(0, 0);
            float prediction = e.predictions()[0];
            float base = e.baseValues()[0];
            System.out.printf("Lumen %s: KernelSHAP over %d past applicants, %d model rows evaluated%n",
                    Engine.version(), pastApplicants.length / FEATURES.length, e.totalModelRowsEvaluated());
            System.out.printf("score %.4f, average over past applicants %.4f%n", prediction, base);
            float sum = 0;
            for (int f = 0; f < phi.length; f++) {
                System.out.printf("  %-15s %+.4f%n", FEATURES[f], phi[f]);
                sum += phi[f];
            }
            System.out.printf("sum of attributions %.4f = score - average %.4f%n", sum, prediction - base);
            List<dev.lumen.ReasonCode> lowered = e.reasonCodes(0, 0, 1, Direction.LOWERED);
            List<dev.lumen.ReasonCode> raised = e.reasonCodes(0, 0, 1, Direction.RAISED);
            System.out.println("lowered the score most: " + lowered.get(0).name());
            System.out.println("raised the score most: " + raised.get(0).name());
        }
    }
}

import dev.lumen.Engine;
import dev.lumen.Explanation;
import dev.lumen.FeatureAblationOptions;
import dev.lumen.Model;
import dev.lumen.ModelHandle;
import dev.lumen.ModelSpec;

/** Built with only the Lumen JAR: javac -cp lumen.jar Attributions.java; java -cp lumen.jar:. Attributions */
public class Attributions {
    public static void main(String[] args) {
        Model score = (in, rows, out) -> {
            for (int r = 0; r < rows; r++) {
                out[r] = 0.5f * in[r * 3] - 0.8f * in[r * 3 + 1] + 0.1f * in[r * 3 + 2];
            }
        };
        try (Engine engine = new Engine();
                ModelHandle model = new ModelHandle(score, ModelSpec.of(3, 1));
                Explanation e = engine.featureAblation(model, new float[] {3, 2, 3}, 1, new FeatureAblationOptions())) {
            float[] a = e.attributions();
            System.out.println("attributions " + a[0] + " " + a[1] + " " + a[2]);
        }
    }
}

import dev.lumen.Engine;
import dev.lumen.EngineOptions;
import dev.lumen.ModelHandle;
import dev.lumen.ModelSpec;
import dev.lumen.OcclusionOptions;
import java.util.Map;
import java.util.TreeMap;

/**
 * Explains with a Java model on four worker threads and returns from main WITHOUT closing the
 * engine, the model or the explanation: the JVM must still exit. Prints the threads that ran
 * the model and whether each is a daemon thread.
 */
public class Unclosed {
    public static void main(String[] args) {
        Map<String, Boolean> callers = new TreeMap<>();
        Engine engine = new Engine(new EngineOptions().threads(4));
        ModelHandle model = new ModelHandle((in, rows, out) -> {
            Thread self = Thread.currentThread();
            synchronized (callers) {
                callers.put(self.getName(), self.isDaemon());
            }
            java.util.Arrays.fill(out, 0, rows, 1f);
        }, ModelSpec.of(4, 1).maxBatchRows(1));
        System.out.println("explained " + engine.occlusion(model, new float[64], 16, new OcclusionOptions(1)).rows()
                + " rows");
        callers.forEach((name, daemon) -> System.out.println("model ran on " + name + (daemon ? " (daemon)" : "")));
        System.out.println("main returns");
    }
}

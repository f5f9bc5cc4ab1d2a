package dev.lumen;

/**
 * Run in a child JVM by {@link HandleTest}: explains with a Java model on four worker threads,
 * closes everything and returns from {@code main}; the JVM must then exit (no worker thread
 * may stay attached).
 */
public final class ExitProbe {
    private ExitProbe() {}

    /** Explains once, closes, returns. */
    public static void main(String[] args) {
        try (Engine engine = new Engine(new EngineOptions().threads(4));
                ModelHandle model = new ModelHandle((in, rows, out) -> java.util.Arrays.fill(out, 0, rows, 1f),
                        ModelSpec.of(4, 1).maxBatchRows(1));
                Explanation e = engine.occlusion(model, new float[64], 16, new OcclusionOptions(1))) {
            System.out.println("explained " + e.rows() + " rows");
        }
    }
}

package dev.lumen;

import static dev.lumen.Fixtures.BASELINE;
import static dev.lumen.Fixtures.BIAS;
import static dev.lumen.Fixtures.TOLERANCE;
import static dev.lumen.Fixtures.WEIGHTS;
import static dev.lumen.Fixtures.X;
import static dev.lumen.Fixtures.assertClose;
import static dev.lumen.Fixtures.linearAttributions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HandleTest {
    private final LinearModel linear = LinearModel.of(BIAS, WEIGHTS);

    @Test
    void closingTwiceIsSafeAndUseAfterCloseIsAClearError() {
        Engine engine = new Engine();
        ModelHandle model = new ModelHandle(linear, linear.spec());
        Explanation e = engine.occlusion(model, X, 2, new OcclusionOptions(1));
        e.close();
        e.close();
        assertTrue(e.isClosed());
        assertThrows(IllegalStateException.class, e::attributions);
        model.close();
        model.close();
        IllegalStateException closedModel = assertThrows(IllegalStateException.class,
                () -> engine.occlusion(model, X, 2, new OcclusionOptions(1)));
        assertEquals("this model is closed", closedModel.getMessage());
        engine.close();
        engine.close();
        assertThrows(IllegalStateException.class, engine::threads);
    }

    @Test
    void closingTheEngineAndModelFromInsideACallbackDefersTheRelease() {
        Engine engine = new Engine(new EngineOptions().threads(2));
        ModelHandle[] self = new ModelHandle[1];
        Model closing = (inputs, rows, outputs) -> {
            engine.close();
            self[0].close();
            linear.predict(inputs, rows, outputs);
        };
        self[0] = new ModelHandle(closing, ModelSpec.of(4, 1));
        try (Explanation e = engine.occlusion(self[0], X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
        }
        assertTrue(engine.isClosed());
        assertTrue(self[0].isClosed());
        assertThrows(IllegalStateException.class, () -> engine.occlusion(self[0], X, 2, new OcclusionOptions(1)));
    }

    @Test
    void anUnclosedModelHandleIsReleasedOnceUnreachable() throws InterruptedException {
        java.lang.ref.WeakReference<Model> weak = registerAndForget();
        for (int i = 0; i < 100 && weak.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(weak.get() == null, "the cleaner freed the native model and its global reference");
    }

    private java.lang.ref.WeakReference<Model> registerAndForget() {
        Model model = (inputs, rows, outputs) -> linear.predict(inputs, rows, outputs);
        new ModelHandle(model, ModelSpec.of(4, 1));
        return new java.lang.ref.WeakReference<>(model);
    }

    @Test
    void engineReportsItsSetup() {
        try (Engine engine = new Engine(new EngineOptions().backend(Backend.CPU).threads(3))) {
            assertEquals(Backend.CPU, engine.backend());
            assertEquals(3, engine.threads());
            assertFalse(Engine.version().isEmpty());
        }
    }

    /** Runs {@code main} of {@code probe} in a child JVM with {@code property}; returns its output. */
    private static String child(String probe, String property, Process[] started) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), property, probe)
                .redirectErrorStream(true)
                .start();
        started[0] = process;
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        assertTrue(exited, probe + " did not exit within 60 s");
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void theLibraryIsFoundOnJavaLibraryPathToo() throws Exception {
        Process[] process = new Process[1];
        String output = child("dev.lumen.ExitProbe",
                "-Djava.library.path=" + System.getProperty("lumen.library.path"), process);
        assertEquals(0, process[0].exitValue(), output);
        assertTrue(output.contains("explained 16 rows"), output);
    }

    @Test
    void aLibraryMissingFromJavaLibraryPathSaysHowToProvideIt() throws Exception {
        Process[] process = new Process[1];
        String output = child("dev.lumen.LibraryProbe", "-Djava.library.path=/nonexistent", process);
        assertEquals(0, process[0].exitValue(), output);
        assertTrue(output.contains("Lumen's JNI library liblumen_jni.so could not be loaded"), output);
        assertTrue(output.contains("Set -Dlumen.library.path=/path/to/liblumen_jni.so"), output);
        assertTrue(output.contains("(now: /nonexistent)"), output);
    }

    @Test
    void theJvmExitsOnceTheEngineIsClosed() throws Exception {
        Process[] process = new Process[1];
        String output = child("dev.lumen.ExitProbe", "-Dlumen.library.path=" + System.getProperty("lumen.library.path"),
                process);
        assertEquals(0, process[0].exitValue(), output);
        assertTrue(output.contains("explained 16 rows"), output);
    }

    @Test
    void aMissingLibraryGivesAClearError() throws Exception {
        Process[] started = new Process[1];
        String output = child("dev.lumen.LibraryProbe", "-Dlumen.library.path=/nonexistent/lumen", started);
        Process process = started[0];
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("Lumen's JNI library was not found: -Dlumen.library.path=/nonexistent/lumen"),
                output);
        assertTrue(output.contains("cargo build --release -p lumen-jni"), output);
        assertTrue(output.contains("second attempt: same error"), output);
    }
}

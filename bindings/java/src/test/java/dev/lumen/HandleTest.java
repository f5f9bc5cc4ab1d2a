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

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void anEngineNobodyClosedIsFreedByTheCleanerAndItsThreadsLeaveTheJvm() throws InterruptedException {
        Set<Thread> workers = explainWithAnEngineLeftOpen();
        assertFalse(workers.isEmpty(), "worker threads ran the model");
        for (int i = 0; i < 250 && workers.stream().anyMatch(Thread::isAlive); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(workers.stream().allMatch(t -> !t.isAlive()),
                "the cleaner freed the engine, whose worker threads detached: " + workers);
        assertTrue(workers.stream().allMatch(Thread::isDaemon), "the worker threads were daemon threads");
    }

    /** Explains on an engine that is never closed nor kept; returns the threads that ran the model. */
    private Set<Thread> explainWithAnEngineLeftOpen() {
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        Model recording = (inputs, rows, outputs) -> {
            workers.add(Thread.currentThread());
            linear.predict(inputs, rows, outputs);
        };
        Engine engine = new Engine(new EngineOptions().threads(3));
        try (ModelHandle model = new ModelHandle(recording, ModelSpec.of(4, 1).maxBatchRows(1));
                Explanation e = engine.occlusion(model, X, 2, new OcclusionOptions(1))) {
            assertEquals(2, e.rows());
        }
        return workers;
    }

    @Test
    void engineReportsItsSetup() {
        try (Engine engine = new Engine(new EngineOptions().backend(Backend.CPU).threads(3))) {
            assertEquals(Backend.CPU, engine.backend());
            assertEquals(3, engine.threads());
            assertFalse(Engine.version().isEmpty());
        }
    }

    /** Runs {@code main} of {@code probe} in a child JVM with {@code options}; fails after 60 s. */
    private static ChildJvm.Result child(String classPath, String probe, String... options) throws Exception {
        return ChildJvm.run(ChildJvm.java(classPath, List.of(options), probe), null, Map.of(), 60);
    }

    @Test
    void theLibraryIsFoundOnJavaLibraryPathToo(@TempDir Path scratch) throws Exception {
        ChildJvm.Result result = child(ChildJvm.classPathWithoutBundledLibrary(scratch), "dev.lumen.ExitProbe",
                "-Djava.library.path=" + System.getProperty("lumen.library.path"));
        assertEquals(0, result.exit, result.output);
        assertTrue(result.output.contains("explained 16 rows"), result.output);
    }

    @Test
    void aLibraryFoundNowhereSaysWhereItWasLookedForAndHowToProvideIt(@TempDir Path scratch) throws Exception {
        ChildJvm.Result result = child(ChildJvm.classPathWithoutBundledLibrary(scratch), "dev.lumen.LibraryProbe",
                "-Djava.library.path=/nonexistent");
        String output = result.output;
        assertEquals(0, result.exit, output);
        String platform = Platform.current();
        assertTrue(output.contains("Lumen's JNI library liblumen_jni.so could not be loaded on " + platform), output);
        assertTrue(output.contains("this Lumen JAR carries no native library for " + platform), output);
        assertTrue(output.contains("it has no resource dev/lumen/native/" + platform + "/liblumen_jni.so"), output);
        assertTrue(output.contains("java.library.path (now: /nonexistent) has none"), output);
        assertTrue(output.contains("set -Dlumen.library.path=/path/to/liblumen_jni.so"), output);
        assertTrue(output.contains("second attempt: same error"), output);
    }

    @Test
    void theJvmExitsOnceTheEngineIsClosed() throws Exception {
        ChildJvm.Result result = child(System.getProperty("java.class.path"), "dev.lumen.ExitProbe",
                "-Dlumen.library.path=" + System.getProperty("lumen.library.path"));
        assertEquals(0, result.exit, result.output);
        assertTrue(result.output.contains("explained 16 rows"), result.output);
    }

    @Test
    void aMissingConfiguredLibraryGivesAClearErrorEvenWhenTheJarCarriesOne() throws Exception {
        ChildJvm.Result result = child(System.getProperty("java.class.path"), "dev.lumen.LibraryProbe",
                "-Dlumen.library.path=/nonexistent/lumen");
        String output = result.output;
        assertEquals(0, result.exit, output);
        assertTrue(output.contains("Lumen's JNI library was not found: -Dlumen.library.path=/nonexistent/lumen"),
                output);
        assertTrue(output.contains("cargo build --release -p lumen-jni"), output);
        assertTrue(output.contains("second attempt: same error"), output);
    }
}

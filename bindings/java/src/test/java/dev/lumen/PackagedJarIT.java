package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JAR as a user gets it (run by Maven after {@code package}): copied alone into an empty
 * folder, programs are compiled against it with {@code javac} and run with {@code java -cp
 * <jar>:.} and no {@code -D} flag, so the only Lumen they can find is the JAR's own.
 */
class PackagedJarIT {
    private static final Path JAR = Path.of(System.getProperty("lumen.jar", "lumen.jar"));
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE]-?\\d+)?");

    @TempDir
    Path folder;

    /** Copies the JAR alone into the empty folder, plus the given sources; compiles them with javac. */
    private String prepare(Map<String, String> sources) throws Exception {
        assertTrue(Files.isRegularFile(JAR), JAR + " was built");
        try (var entries = Files.list(folder)) {
            assertEquals(0, entries.count(), "the folder starts empty");
        }
        String jar = JAR.getFileName().toString();
        Files.copy(JAR, folder.resolve(jar));
        List<String> javac = new ArrayList<>(List.of(ChildJvm.tool("javac"), "-cp", jar));
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Files.writeString(folder.resolve(source.getKey()), source.getValue());
            javac.add(source.getKey());
        }
        ChildJvm.Result compiled = ChildJvm.run(javac, folder);
        assertEquals(0, compiled.exit, compiled.output);
        return jar + ":.";
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = PackagedJarIT.class.getResourceAsStream("/standalone/" + name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<Double> numbers(String line) {
        List<Double> values = new ArrayList<>();
        Matcher m = NUMBER.matcher(line);
        while (m.find()) {
            values.add(Double.valueOf(m.group()));
        }
        return values;
    }

    @Test
    void theJarAloneCompilesAndRunsAProgramThatExplainsARow() throws Exception {
        String classPath = prepare(Map.of("Attributions.java", resource("Attributions.java")));
        ChildJvm.Result run = ChildJvm.run(List.of(ChildJvm.tool("java"), "-cp", classPath, "Attributions"), folder);
        assertEquals(0, run.exit, run.output);
        String line = run.output.lines().filter(l -> l.startsWith("attributions ")).findFirst().orElse("");
        List<Double> values = numbers(line);
        // Feature Ablation of a linear score against a zero baseline: w ⊙ x = (1.5, -1.6, 0.3).
        assertEquals(3, values.size(), run.output);
        assertEquals(1.5, values.get(0), 1e-5, run.output);
        assertEquals(-1.6, values.get(1), 1e-5, run.output);
        assertEquals(0.3, values.get(2), 1e-5, run.output);
    }

    @Test
    void anEngineNobodyClosedDoesNotKeepTheJvmFromExiting() throws Exception {
        String classPath = prepare(Map.of("Unclosed.java", resource("Unclosed.java")));
        List<String> command = List.of(ChildJvm.tool("java"), "-Xcheck:jni", "-cp", classPath, "Unclosed");
        Process child = ChildJvm.start(command, folder, Map.of());
        StringBuilder output = new StringBuilder();
        CountDownLatch returned = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                    if (line.equals("main returns")) {
                        returned.countDown();
                    }
                }
            } catch (IOException e) {
                synchronized (output) {
                    output.append("reading the child's output failed: ").append(e);
                }
            }
        });
        reader.start();
        try {
            assertTrue(returned.await(60, TimeUnit.SECONDS), "main returned within 60 s:\n" + output);
            long start = System.nanoTime();
            boolean exited = child.waitFor(5, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(exited, "the JVM was still running 5 s after main returned:\n" + output);
            reader.join(5000);
            String text;
            synchronized (output) {
                text = output.toString();
            }
            System.out.printf("the child JVM exited %.2f s after main returned%n", seconds);
            assertEquals(0, child.exitValue(), text);
            assertTrue(text.contains("explained 16 rows"), text);
            assertTrue(text.contains("model ran on lumen-worker-"), "worker threads ran the model:\n" + text);
            assertFalse(text.lines().anyMatch(l -> l.startsWith("model ran on ") && !l.endsWith(" (daemon)")),
                    "every thread that ran the model is a daemon thread:\n" + text);
            assertFalse(text.contains("WARNING in native method"), "-Xcheck:jni is clean:\n" + text);
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void theQuickstartExampleRunsAgainstTheJarAlone() throws Exception {
        Path example = Path.of(System.getProperty("lumen.examples", "examples/java"), "Quickstart.java");
        String classPath = prepare(Map.of("Quickstart.java", Files.readString(example)));
        ChildJvm.Result run = ChildJvm.run(List.of(ChildJvm.tool("java"), "-cp", classPath, "Quickstart"), folder);
        assertEquals(0, run.exit, run.output);
        String output = run.output;
        assertTrue(output.contains("Lumen " + BundledLibrary.version()), output);
        assertTrue(output.contains("KernelSHAP over 5 past applicants"), output);
        String sum = output.lines().filter(l -> l.startsWith("sum of attributions")).findFirst().orElse("");
        List<Double> sums = numbers(sum);
        assertEquals(2, sums.size(), output);
        assertEquals(sums.get(1), sums.get(0), 1e-4, "local accuracy: the attributions add up to score - base");
        assertTrue(output.contains("lowered the score most: debt_ratio"), output);
        assertTrue(output.contains("raised the score most: income"), output);
    }

    @Test
    void theJarCarriesAStrippedLibraryItsModuleNameAndSourceAndJavadocJars() throws Exception {
        String entry = BundledLibrary.resource(Platform.current(), System.mapLibraryName("lumen_jni"));
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertEquals("dev.lumen", jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
            assertEquals(BundledLibrary.version(),
                    jar.getManifest().getMainAttributes().getValue("Implementation-Version"));
            assertNotNull(jar.getEntry(entry), JAR + " carries " + entry);
            byte[] library;
            try (InputStream in = jar.getInputStream(jar.getEntry(entry))) {
                library = in.readAllBytes();
            }
            if (Platform.current().startsWith("linux")) {
                List<String> sections = ElfSections.names(library);
                assertTrue(sections.contains(".text"), entry + " is an ELF library: " + sections);
                assertFalse(sections.stream().anyMatch(s -> s.startsWith(".debug")),
                        entry + " has no debug info: " + sections);
            }
            System.out.printf("%s: %d bytes, %s: %d bytes%n", JAR.getFileName(), Files.size(JAR), entry,
                    library.length);
        }
        String base = JAR.getFileName().toString().replaceAll("\\.jar$", "");
        try (JarFile sources = new JarFile(JAR.resolveSibling(base + "-sources.jar").toFile());
                JarFile javadoc = new JarFile(JAR.resolveSibling(base + "-javadoc.jar").toFile())) {
            assertNotNull(sources.getEntry("dev/lumen/Engine.java"), "the sources JAR holds Engine.java");
            // javadoc lays the pages out by module (dev.lumen/...) once the JAR names its module.
            assertTrue(javadoc.getEntry("dev.lumen/dev/lumen/Engine.html") != null
                    || javadoc.getEntry("dev/lumen/Engine.html") != null, "the javadoc JAR documents Engine");
        }
    }
}

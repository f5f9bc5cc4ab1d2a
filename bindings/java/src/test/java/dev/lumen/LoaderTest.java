package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JAR's own native library, loaded in child JVMs given a fresh home and temporary folder:
 * extracted once per version and content into the cache, shared safely by JVMs starting
 * together, replaced when damaged, placed in a private temporary folder when the home cannot be
 * written, and overridden by {@code lumen.library.path}.
 */
class LoaderTest {
    private static final String FILE = System.mapLibraryName("lumen_jni");

    @TempDir
    Path scratch;
    private Path home;
    private Path tmp;
    private byte[] library;
    private String folder;

    @BeforeEach
    void setUp() throws Exception {
        home = Files.createDirectories(scratch.resolve("home"));
        tmp = Files.createDirectories(scratch.resolve("tmp"));
        library = BundledLibrary.read(BundledLibrary.resource(Platform.current(), FILE));
        assertNotNull(library, "the test class path carries the JAR's native library");
        folder = BundledLibrary.version() + "-" + BundledLibrary.sha256(library).substring(0, 16);
    }

    /** Starts a child JVM that loads the library with this test's home and temporary folder. */
    private Process start(Map<String, String> environment, String... options) throws Exception {
        List<String> all = new ArrayList<>(List.of("-Duser.home=" + home, "-Djava.io.tmpdir=" + tmp));
        all.addAll(Arrays.asList(options));
        return ChildJvm.start(ChildJvm.java(System.getProperty("java.class.path"), all, "dev.lumen.LoadProbe"), null,
                environment);
    }

    private String load(Map<String, String> environment, String... options) throws Exception {
        ChildJvm.Result result = ChildJvm.finish(start(environment, options), List.of("LoadProbe"), 60);
        assertEquals(0, result.exit, result.output);
        return result.output;
    }

    /** Fails unless the child loaded {@code file}, a complete copy of the library. */
    private void assertLoadedFrom(Path file, String output) throws Exception {
        assertTrue(output.contains("version " + BundledLibrary.version()), output);
        assertTrue(output.contains("loaded from " + file + "\n"), output);
        assertArrayEquals(library, Files.readAllBytes(file));
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void theLibraryIsExtractedOnceIntoACacheFolderNamedByVersionAndContent() throws Exception {
        Path file = home.resolve(".cache/lumen").resolve(folder).resolve(FILE);
        assertLoadedFrom(file, load(Map.of()));
        Object first = Files.readAttributes(file, "unix:ino").get("ino");
        assertLoadedFrom(file, load(Map.of()));
        assertEquals(first, Files.readAttributes(file, "unix:ino").get("ino"), "the second JVM reused the copy");
        assertEquals(List.of(FILE), names(file.getParent()), "no temporary file is left behind");
    }

    @Test
    void jvmsStartingTogetherShareOneCompleteCopy() throws Exception {
        List<Process> children = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            children.add(start(Map.of()));
        }
        Path file = home.resolve(".cache/lumen").resolve(folder).resolve(FILE);
        for (Process child : children) {
            ChildJvm.Result result = ChildJvm.finish(child, List.of("LoadProbe"), 120);
            assertEquals(0, result.exit, result.output);
            assertLoadedFrom(file, result.output);
        }
        assertEquals(List.of(FILE), names(file.getParent()), "one copy, no temporary file left behind");
    }

    @Test
    void aDamagedCopyInTheCacheIsReplacedBeforeItIsLoaded() throws Exception {
        Path file = home.resolve(".cache/lumen").resolve(folder).resolve(FILE);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[library.length]);
        assertLoadedFrom(file, load(Map.of()));
        Files.write(file, Arrays.copyOf(library, library.length / 2));
        assertLoadedFrom(file, load(Map.of()));
    }

    @Test
    void aHomeThatCannotBeWrittenFallsBackToAPrivateTemporaryFolder() throws Exception {
        Path notAFolder = Files.writeString(scratch.resolve("plain-file"), "not a folder");
        home = notAFolder.resolve("home");
        Path root = tmp.resolve("lumen-" + System.getProperty("user.name"));
        Path file = root.resolve(folder).resolve(FILE);
        assertLoadedFrom(file, load(Map.of()));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
    }

    @Test
    void xdgCacheHomeIsHonoured() throws Exception {
        Path xdg = scratch.resolve("xdg");
        Map<String, String> environment = new HashMap<>();
        environment.put("XDG_CACHE_HOME", xdg.toString());
        assertLoadedFrom(xdg.resolve("lumen").resolve(folder).resolve(FILE), load(environment));
        assertFalse(Files.exists(home.resolve(".cache")), "nothing written under the home");
    }

    @Test
    void lumenLibraryPathWinsOverTheJarsLibrary() throws Exception {
        Path configured = Path.of(System.getProperty("lumen.library.path"), FILE).toAbsolutePath();
        String output = load(Map.of(), "-Dlumen.library.path=" + configured);
        assertTrue(output.contains("loaded from " + configured + "\n"), output);
        assertFalse(Files.exists(home.resolve(".cache")), "nothing extracted");
    }

    @Test
    void aPlatformTheJarHasNoLibraryForIsNamedInTheError() throws Exception {
        String output = load(Map.of(), "-Dos.arch=sparcv9", "-Djava.library.path=" + scratch.resolve("none"));
        String os = Platform.os(System.getProperty("os.name"));
        assertTrue(output.contains("failed: Lumen's JNI library " + FILE + " could not be loaded on " + os
                + "-sparcv9: this Lumen JAR carries no native library for " + os + "-sparcv9 (os.name="), output);
        assertTrue(output.contains("os.arch=sparcv9): it has no resource dev/lumen/native/" + os + "-sparcv9/" + FILE),
                output);
        assertTrue(output.contains("Use a Lumen JAR built on " + os + "-sparcv9"), output);
    }
}

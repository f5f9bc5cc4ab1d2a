package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs JDK tools (java, javac) in child processes for the tests, with a time limit. */
final class ChildJvm {
    private ChildJvm() {}

    /** What a finished child printed (stdout and stderr together) and its exit status. */
    static final class Result {
        final int exit;
        final String output;

        Result(int exit, String output) {
            this.exit = exit;
            this.output = output;
        }
    }

    /** The path of a JDK tool ({@code java}, {@code javac}) of the JVM running the tests. */
    static String tool(String name) {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + name;
    }

    /** A {@code java} command line: class path, then JVM options, then the main class and its arguments. */
    static List<String> java(String classPath, List<String> options, String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(tool("java"));
        command.add("-cp");
        command.add(classPath);
        command.addAll(options);
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Starts {@code command} in {@code dir} (null: the current folder) with {@code environment}
     * changes (a null value removes the variable) and without the variables that would let a
     * child find Lumen by another way than the one under test.
     */
    static Process start(List<String> command, Path dir, Map<String, String> environment) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            builder.directory(dir.toFile());
        }
        Map<String, String> env = builder.environment();
        env.remove("XDG_CACHE_HOME");
        env.remove("LD_LIBRARY_PATH");
        env.remove("JAVA_TOOL_OPTIONS");
        environment.forEach((key, value) -> {
            if (value == null) {
                env.remove(key);
            } else {
                env.put(key, value);
            }
        });
        return builder.start();
    }

    /** Runs {@code command} to its end (at most {@code seconds}); fails the test when it takes longer. */
    static Result run(List<String> command, Path dir, Map<String, String> environment, int seconds)
            throws IOException, InterruptedException {
        return finish(start(command, dir, environment), command, seconds);
    }

    /** Runs {@code command} with no environment changes, within 120 s. */
    static Result run(List<String> command, Path dir) throws IOException, InterruptedException {
        return run(command, dir, Map.of(), 120);
    }

    /** Waits for {@code process} (at most {@code seconds}) and reads what it printed. */
    static Result finish(Process process, List<String> command, int seconds) throws InterruptedException {
        boolean exited = process.waitFor(seconds, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String output;
        try {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(exited, String.join(" ", command) + " did not end within " + seconds + " s:\n" + output);
        return new Result(process.exitValue(), output);
    }

    /**
     * The test JVM's class path with {@code target/classes} replaced by a copy that lacks the
     * JAR's native library, for tests of the other ways of finding it.
     */
    static String classPathWithoutBundledLibrary(Path scratch) throws IOException {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (Files.isDirectory(path.resolve(BundledLibrary.ROOT))) {
                Path copy = scratch.resolve("classes-without-native");
                copyTree(path, copy, path.resolve(BundledLibrary.ROOT));
                entries.add(copy.toString());
            } else {
                entries.add(entry);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void copyTree(Path from, Path to, Path skip) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (path.startsWith(skip)) {
                    continue;
                }
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }
}

package dev.lumen;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Loads Lumen's JNI library ({@code liblumen_jni.so} on Linux) once, from the first of:
 * <ol>
 *   <li>the system property {@code lumen.library.path}, naming the library file or its folder
 *       (when set, it is the only place looked at);
 *   <li>the copy the JAR carries for this platform ({@link BundledLibrary}, resource
 *       {@code dev/lumen/native/<platform>/liblumen_jni.so}), extracted to a cache folder;
 *   <li>{@code java.library.path}.
 * </ol>
 */
final class NativeLibrary {
    /** The system property naming the library file or its folder. */
    static final String PATH_PROPERTY = "lumen.library.path";

    private static final String NAME = "lumen_jni";
    private static boolean loaded;
    private static String failure;
    private static String location;

    private NativeLibrary() {}

    /**
     * Loads the library if that has not happened yet.
     *
     * @throws UnsatisfiedLinkError with the places searched and how to fix it, every time it is
     *     called after a failed load
     */
    static synchronized void ensureLoaded() {
        if (loaded) {
            return;
        }
        if (failure == null) {
            failure = load();
            loaded = failure == null;
        }
        if (!loaded) {
            throw new UnsatisfiedLinkError(failure);
        }
    }

    /** Where the library was loaded from (a file, or {@code java.library.path}); null before. */
    static synchronized String location() {
        return location;
    }

    /** Loads the library; returns null on success or the reason it failed. */
    private static String load() {
        String configured = System.getProperty(PATH_PROPERTY);
        String fileName = System.mapLibraryName(NAME);
        if (configured != null && !configured.isEmpty()) {
            return loadConfigured(configured, fileName);
        }
        String platform = Platform.current();
        String resource = BundledLibrary.resource(platform, fileName);
        String bundled;
        try {
            byte[] library = BundledLibrary.read(resource);
            if (library == null) {
                bundled = "this Lumen JAR carries no native library for " + platform + " (os.name="
                        + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch")
                        + "): it has no resource " + resource;
            } else {
                Path file = BundledLibrary.extractAndLoad(library, fileName);
                location = file.toString();
                return null;
            }
        } catch (IOException e) {
            bundled = "the JAR's resource " + resource + " could not be read (" + e + ")";
        } catch (UnsatisfiedLinkError e) {
            bundled = "the JAR's resource " + resource + " was found but " + e.getMessage();
        }
        try {
            System.loadLibrary(NAME);
            location = "java.library.path";
            return null;
        } catch (UnsatisfiedLinkError e) {
            return "Lumen's JNI library " + fileName + " could not be loaded on " + platform + ": " + bundled
                    + "; and java.library.path (now: " + System.getProperty("java.library.path") + ") has none ("
                    + e.getMessage() + "). Use a Lumen JAR built on " + platform + ", or build the library with"
                    + " `cargo build --release -p lumen-jni` and set -D" + PATH_PROPERTY + "=/path/to/" + fileName
                    + " (or its folder).";
        }
    }

    /** Loads the file (or the file in the folder) that {@code lumen.library.path} names. */
    private static String loadConfigured(String configured, String fileName) {
        File file = new File(configured);
        if (file.isDirectory()) {
            file = new File(file, fileName);
        }
        if (!file.isFile()) {
            return "Lumen's JNI library was not found: -D" + PATH_PROPERTY + "=" + configured + " names no file "
                    + fileName + ". Build it with `cargo build --release -p lumen-jni` (it lands in target/release/)"
                    + " and point " + PATH_PROPERTY + " at it or its folder, or leave " + PATH_PROPERTY
                    + " unset to use the library the Lumen JAR carries.";
        }
        try {
            System.load(file.getAbsolutePath());
            location = file.getAbsolutePath();
            return null;
        } catch (UnsatisfiedLinkError e) {
            return "Lumen's JNI library " + file.getAbsolutePath() + " (from -D" + PATH_PROPERTY + ") could not be"
                    + " loaded: " + e.getMessage();
        }
    }
}

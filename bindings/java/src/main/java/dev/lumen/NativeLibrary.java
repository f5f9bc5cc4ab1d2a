package dev.lumen;

import java.io.File;

/**
 * Loads Lumen's JNI library ({@code liblumen_jni.so} on Linux) once. The system property
 * {@code lumen.library.path} names the library file or the folder holding it; without it the
 * library is looked up on {@code java.library.path}.
 */
final class NativeLibrary {
    /** The system property naming the library file or its folder. */
    static final String PATH_PROPERTY = "lumen.library.path";

    private static final String NAME = "lumen_jni";
    private static boolean loaded;
    private static String failure;

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

    /** Loads the library; returns null on success or the reason it failed. */
    private static String load() {
        String configured = System.getProperty(PATH_PROPERTY);
        String fileName = System.mapLibraryName(NAME);
        try {
            if (configured != null && !configured.isEmpty()) {
                File file = new File(configured);
                if (file.isDirectory()) {
                    file = new File(file, fileName);
                }
                if (!file.isFile()) {
                    return "Lumen's JNI library was not found: -D" + PATH_PROPERTY + "=" + configured
                            + " names no file " + fileName + ". Build it with `cargo build --release -p lumen-jni`"
                            + " (it lands in target/release/) and point " + PATH_PROPERTY + " at it or its folder.";
                }
                System.load(file.getAbsolutePath());
            } else {
                System.loadLibrary(NAME);
            }
            return null;
        } catch (UnsatisfiedLinkError e) {
            return "Lumen's JNI library " + fileName + " could not be loaded (" + e.getMessage() + "). Set -D"
                    + PATH_PROPERTY + "=/path/to/" + fileName + " (or its folder), or add its folder to"
                    + " java.library.path (now: " + System.getProperty("java.library.path") + ")."
                    + " Build it with `cargo build --release -p lumen-jni`.";
        }
    }
}

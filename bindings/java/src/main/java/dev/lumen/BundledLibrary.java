package dev.lumen;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/**
 * The native library the JAR carries, resource {@code dev/lumen/native/<platform>/<file>}
 * (see {@link Platform}): copied once into a cache folder named after Lumen's version and the
 * library's SHA-256, {@code <version>-<16 hex digits>}, and loaded from there.
 *
 * <p>The cache folder lives under {@code $XDG_CACHE_HOME/lumen} (when set) or
 * {@code ${user.home}/.cache/lumen}; when that cannot be written or loaded from, under
 * {@code ${java.io.tmpdir}/lumen-<user>} (a folder only its owner may use). Several JVMs may
 * start at once: each writes its own temporary file in the folder and renames it over the
 * library atomically, and an existing file is used only when its size and SHA-256 match the
 * resource, so no JVM ever loads a half-written or altered copy.
 */
final class BundledLibrary {
    /** The folder of the JAR's native libraries, one sub-folder per platform. */
    static final String ROOT = "dev/lumen/native/";

    private static final String PROPERTIES = "/dev/lumen/lumen.properties";

    private BundledLibrary() {}

    /** The resource holding {@code fileName} for {@code platform}. */
    static String resource(String platform, String fileName) {
        return ROOT + platform + "/" + fileName;
    }

    /** The resource's bytes, or null when the JAR does not carry it. */
    static byte[] read(String resource) throws IOException {
        try (InputStream in = BundledLibrary.class.getResourceAsStream("/" + resource)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    /** Lumen's version as the JAR was built ({@code unknown} when the JAR lacks its properties). */
    static String version() {
        try (InputStream in = BundledLibrary.class.getResourceAsStream(PROPERTIES)) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("version", "unknown").trim();
            return version.matches("[A-Za-z0-9._+-]+") ? version : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * Copies {@code library} (named {@code fileName}) into the first cache folder that works and
     * loads it from there.
     *
     * @return the file loaded
     * @throws UnsatisfiedLinkError naming every folder tried and why it failed
     */
    static Path extractAndLoad(byte[] library, String fileName) {
        String hash = sha256(library);
        String folder = version() + "-" + hash.substring(0, 16);
        List<String> failures = new ArrayList<>();
        for (Root root : roots(failures)) {
            Path dir = root.path.resolve(folder);
            try {
                if (root.shared) {
                    createPrivateFolder(root.path);
                }
                Path file = install(library, hash, dir, fileName);
                System.load(file.toString());
                return file;
            } catch (IOException | UnsatisfiedLinkError | SecurityException | InvalidPathException e) {
                failures.add(dir + ": " + e);
            }
        }
        throw new UnsatisfiedLinkError("it could not be copied to a cache folder and loaded ("
                + String.join("; ", failures) + ")");
    }

    /** A folder that may hold cache folders; a shared one (the temporary folder) needs a private sub-folder. */
    private static final class Root {
        final Path path;
        final boolean shared;

        Root(Path path, boolean shared) {
            this.path = path;
            this.shared = shared;
        }
    }

    /** The user's cache folder, then a private folder in {@code java.io.tmpdir}. */
    private static List<Root> roots(List<String> failures) {
        List<Root> roots = new ArrayList<>();
        try {
            String xdg = System.getenv("XDG_CACHE_HOME");
            String home = System.getProperty("user.home", "");
            if (xdg != null && Path.of(xdg).isAbsolute()) {
                roots.add(new Root(Path.of(xdg, "lumen"), false));
            } else if (!home.isEmpty()) {
                roots.add(new Root(Path.of(home, ".cache", "lumen"), false));
            }
        } catch (InvalidPathException | SecurityException e) {
            failures.add("the user's cache folder: " + e);
        }
        try {
            String tmp = System.getProperty("java.io.tmpdir", "");
            String user = System.getProperty("user.name", "").replaceAll("[^A-Za-z0-9._-]", "_");
            if (!tmp.isEmpty()) {
                roots.add(new Root(Path.of(tmp, "lumen-" + user), true));
            }
        } catch (InvalidPathException | SecurityException e) {
            failures.add("the temporary folder: " + e);
        }
        return roots;
    }

    /**
     * Makes {@code folder} a folder only this user can use (in a folder shared with other users,
     * such as {@code /tmp}); refuses one that another user owns or that is a link.
     */
    private static void createPrivateFolder(Path folder) throws IOException {
        boolean posix = Files.getFileAttributeView(folder.getParent(), PosixFileAttributeView.class) != null;
        try {
            if (posix) {
                Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectory(folder);
            }
        } catch (FileAlreadyExistsException e) {
            // Made earlier (by this user, checked below) or by another JVM just now.
        }
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(folder + " is not a folder");
        }
        if (posix) {
            String owner = Files.getOwner(folder, LinkOption.NOFOLLOW_LINKS).getName();
            String user = System.getProperty("user.name", "");
            if (!owner.equals(user)) {
                throw new IOException(folder + " belongs to " + owner + ", not to " + user);
            }
        }
    }

    /**
     * The library as file {@code fileName} in {@code dir}: the existing file when its size and
     * hash match, else a fresh copy written beside it and renamed over it atomically.
     */
    private static Path install(byte[] library, String hash, Path dir, String fileName) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(fileName);
        if (holds(file, library.length, hash)) {
            return file;
        }
        Path temporary = Files.createTempFile(dir, fileName + ".", ".tmp");
        try {
            Files.write(temporary, library);
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                // Another JVM may hold the file open where that blocks a rename (Windows): its
                // copy is as good as ours once it checks out.
                if (!holds(file, library.length, hash)) {
                    throw e;
                }
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
        if (!holds(file, library.length, hash)) {
            throw new IOException(file + " does not hold the library after it was written");
        }
        return file;
    }

    /** Whether {@code file} is a regular file (not a link) of {@code size} bytes with SHA-256 {@code hash}. */
    private static boolean holds(Path file, long size, String hash) throws IOException {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.size(file) == size
                && sha256(Files.readAllBytes(file)).equals(hash);
    }

    /** The SHA-256 of {@code bytes}, in lower-case hex. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256, which every Java platform has", e);
        }
    }
}

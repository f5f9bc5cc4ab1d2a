package dev.lumen;

import java.util.Locale;

/**
 * The platform name under which the JAR carries a native library, {@code <os>-<arch>} (e.g.
 * {@code linux-x86_64}, {@code macos-aarch64}, {@code windows-x86_64}), the way xgboost4j,
 * onnxruntime and netty-tcnative lay theirs out: the JVM's many spellings of one platform
 * ({@code amd64} and {@code x86_64}, {@code Mac OS X} and {@code Darwin}) map to one name.
 */
final class Platform {
    private Platform() {}

    /** The name of the platform this JVM runs on. */
    static String current() {
        return of(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    /** The name for the JVM's {@code os.name} and {@code os.arch}. */
    static String of(String osName, String osArch) {
        return os(osName) + "-" + arch(osArch);
    }

    /** {@code linux}, {@code macos}, {@code windows}, {@code freebsd}, or the name simplified. */
    static String os(String osName) {
        String name = simplify(osName);
        if (name.startsWith("linux")) {
            return "linux";
        }
        if (name.startsWith("mac") || name.startsWith("osx") || name.startsWith("darwin")) {
            return "macos";
        }
        if (name.startsWith("windows")) {
            return "windows";
        }
        if (name.startsWith("freebsd")) {
            return "freebsd";
        }
        return name.isEmpty() ? "unknown" : name;
    }

    /** {@code x86_64}, {@code aarch64}, {@code x86_32}, {@code ppc64le}, ... or the name simplified. */
    static String arch(String osArch) {
        String name = simplify(osArch);
        switch (name) {
            case "amd64":
            case "x8664":
            case "x64":
            case "em64t":
                return "x86_64";
            case "aarch64":
            case "arm64":
                return "aarch64";
            case "x86":
            case "i386":
            case "i486":
            case "i586":
            case "i686":
            case "x8632":
                return "x86_32";
            case "ppc64le":
            case "powerpc64le":
                return "ppc64le";
            case "s390x":
                return "s390x";
            case "riscv64":
                return "riscv64";
            default:
                return name.isEmpty() ? "unknown" : name;
        }
    }

    /** Lower case, letters and digits only (so that {@code x86_64} and {@code X86-64} agree). */
    private static String simplify(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    }
}

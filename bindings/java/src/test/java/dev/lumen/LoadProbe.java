package dev.lumen;

/** Run in child JVMs by {@link LoaderTest}: loads the native library and prints where from. */
public final class LoadProbe {
    private LoadProbe() {}

    /** Loads the library (through {@link Engine#version()}) and prints its version and location. */
    public static void main(String[] args) {
        try {
            System.out.println("version " + Engine.version());
            System.out.println("loaded from " + NativeLibrary.location());
        } catch (UnsatisfiedLinkError e) {
            System.out.println("failed: " + e.getMessage());
        }
    }
}

package dev.lumen;

/** Run in a child JVM by {@link HandleTest}: prints what a missing native library looks like. */
public final class LibraryProbe {
    private LibraryProbe() {}

    /** Tries to open an engine twice and prints the errors. */
    public static void main(String[] args) {
        String first = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            try (Engine engine = new Engine()) {
                System.out.println("unexpected: the library loaded");
                System.exit(1);
            } catch (UnsatisfiedLinkError e) {
                if (first == null) {
                    first = e.getMessage();
                    System.out.println(first);
                } else if (first.equals(e.getMessage())) {
                    System.out.println("second attempt: same error");
                }
            }
        }
    }
}

package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;

/**
 * The native library the JAR will carry: present for this platform (else the build fails here,
 * saying how to stage it), under the usual platform names, and of the same version as the Java
 * classes.
 */
class NativeResourceTest {
    @Test
    void theJarWillCarryTheLibraryForThisPlatform() throws Exception {
        String resource = BundledLibrary.resource(Platform.current(), System.mapLibraryName("lumen_jni"));
        assertNotNull(BundledLibrary.read(resource), "the build stages no " + resource + ", so the JAR would"
                + " work only with -Dlumen.library.path: build it with bindings/java/build-jar.sh, which runs"
                + " cargo, strips the library into target/native/" + resource + " and runs Maven (or pass"
                + " -Dlumen.native.dir=<folder holding " + resource + ">)");
    }

    @Test
    void platformNamesFollowTheUsualLayout() {
        assertEquals("linux-x86_64", Platform.of("Linux", "amd64"));
        assertEquals("linux-x86_64", Platform.of("Linux", "x86_64"));
        assertEquals("linux-aarch64", Platform.of("Linux", "aarch64"));
        assertEquals("macos-aarch64", Platform.of("Mac OS X", "aarch64"));
        assertEquals("macos-x86_64", Platform.of("Darwin", "x86_64"));
        assertEquals("windows-x86_64", Platform.of("Windows 11", "amd64"));
        assertEquals("windows-x86_32", Platform.of("Windows 10", "x86"));
        assertEquals("linux-ppc64le", Platform.of("Linux", "ppc64le"));
        assertEquals("sunos-sparcv9", Platform.of("SunOS", "sparcv9"));
        assertEquals("unknown-unknown", Platform.of("", ""));
    }

    @Test
    void theJavaClassesAndTheNativeLibraryHaveOneVersion() {
        assertEquals(Engine.version(), BundledLibrary.version(),
                "pom.xml's version must be the Cargo workspace's, which names the library's cache folder");
    }
}

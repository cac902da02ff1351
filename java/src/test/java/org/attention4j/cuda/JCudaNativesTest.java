package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JCuda's bindings come from a private, verified directory (issue 9): a library planted in the shared temporary
 * directory is never loaded, and a directory others could write is refused.
 */
class JCudaNativesTest {
    @TempDir
    Path dir;

    private static boolean linuxX64() {
        return System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64");
    }

    @Test
    void theJarCarriesTheBindingsUnderTheNamesJCudaLoads() throws IOException {
        assumeTrue(linuxX64(), "the natives on the test classpath are linux-x86_64's");
        for (JCudaNatives.Binding b : JCudaNatives.Binding.values()) {
            try (InputStream in = JCudaNatives.class.getResourceAsStream("/lib/" + b.fileName())) {
                assertTrue(in != null, "/lib/" + b.fileName() + " (is JCUDA_VERSION the POM's jcuda.version?)");
            }
        }
    }

    @Test
    void aDirectoryOthersCanWriteOrALinkIsRefused() throws IOException {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        IOException e = assertThrows(IOException.class, () -> JCudaNatives.checkPrivate(open));
        assertTrue(e.getMessage().contains("rwxr-xr-x"), e.getMessage());
        Path mine = Files.createDirectory(dir.resolve("mine"));
        Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwx------"));
        JCudaNatives.checkPrivate(mine);
        Path link = Files.createSymbolicLink(dir.resolve("link"), mine);
        assertThrows(IOException.class, () -> JCudaNatives.checkPrivate(link));
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThrows(IOException.class, () -> JCudaNatives.checkPrivate(file));
    }

    @Test
    void aLibraryPlantedInTheSharedTemporaryDirectoryIsNeverLoaded() throws Exception {
        assumeTrue(linuxX64(), "the natives on the test classpath are linux-x86_64's");
        Path shared = Files.createDirectory(dir.resolve("shared-tmp"));
        String name = JCudaNatives.Binding.DRIVER.fileName();
        // Not an ELF file: were it loaded, the link error would say "invalid ELF header" (a real attacker's
        // library would run its constructor instead).
        Path planted = Files.writeString(shared.resolve(name), "planted by somebody else");
        Path priv = dir.resolve("private");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", org.attention4j.ChildClassPath.get(), "-Djava.io.tmpdir=" + shared,
                "-D" + JCudaNatives.DIR_PROPERTY + "=" + priv, Child.class.getName()))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertFalse(out.contains("invalid ELF header") || out.contains(planted.toString()), out);
        assertEquals("planted by somebody else", Files.readString(planted), "the planted file is left alone");
        Path used = priv.resolve("jcuda-" + JCudaNatives.JCUDA_VERSION);
        assertTrue(out.contains("natives in " + used), out);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(used)));
        try (InputStream in = JCudaNatives.class.getResourceAsStream("/lib/" + name)) {
            assertArrayEquals(JCudaNatives.sha256(in.readAllBytes()),
                    JCudaNatives.sha256(Files.readAllBytes(used.resolve(name))), "the jar's bytes, verified");
        }
        // The property is restored after the bindings load.
        assertTrue(out.contains("tmpdir " + shared), out);
    }

    @Test
    void withoutAPrivateDirectoryOnlyTheLibraryPathIsTried() throws Exception {
        assumeTrue(linuxX64(), "the natives on the test classpath are linux-x86_64's");
        Path shared = Files.createDirectory(dir.resolve("shared-tmp"));
        // A directory anybody may write: refused as the private one, as a file system without POSIX permissions
        // (Windows) is.
        Path base = Files.createDirectory(dir.resolve("base"));
        Path open = Files.createDirectory(base.resolve("jcuda-" + JCudaNatives.JCUDA_VERSION));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path libs = Files.createDirectory(dir.resolve("libs"));
        String name = JCudaNatives.Binding.DRIVER.fileName();
        try (InputStream in = JCudaNatives.class.getResourceAsStream("/lib/" + name)) {
            Files.write(libs.resolve(name), in.readAllBytes());
        }
        for (Path libraryPath : new Path[] {libs, dir.resolve("none")}) {
            Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", org.attention4j.ChildClassPath.get(), "-Djava.io.tmpdir=" + shared,
                    "-Djava.library.path=" + libraryPath, "-D" + JCudaNatives.DIR_PROPERTY + "=" + base,
                    Child.class.getName())).redirectErrorStream(true).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            if (libraryPath == libs) {
                // Found on the library path, then stopped by its own missing dependency: it was loaded from there.
                assertTrue(out.contains(CudaErrors.NO_DRIVER), out);
            } else {
                assertTrue(out.contains("JCudaDriver-12.6.0-linux-x86_64 is not on java.library.path either"), out);
            }
            try (var files = Files.list(shared)) {
                assertEquals(0, files.count(), "nothing extracted to the shared directory: " + out);
            }
            try (var files = Files.list(open)) {
                assertEquals(0, files.count(), "nothing written to the refused directory: " + out);
            }
        }
    }

    /** The probe in a fresh JVM (JCuda's classes initialise once per JVM). */
    public static final class Child {
        public static void main(String[] args) {
            CudaSupport.Availability a = CudaSupport.probe();
            System.out.println("usable " + a.usable() + ": " + a.detail());
            System.out.println("natives in " + JCudaNatives.directory());
            System.out.println("tmpdir " + System.getProperty("java.io.tmpdir"));
        }
    }
}

package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar attention4j.jar demo} in a fresh JVM: the shaded jar alone is enough, results on stdout. */
class DemoIT {

    @TempDir
    Path dir;

    @Test
    void demoRunsFromTheShadedJar() throws IOException, InterruptedException {
        String jar = System.getProperty("attention4j.jar");
        Assumptions.assumeTrue(jar != null && Files.isRegularFile(Path.of(jar)),
                "system property attention4j.jar does not point at the shaded jar (run through failsafe after package)");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path outDir = dir.resolve("demo-out");
        Process p = new ProcessBuilder(List.of(java.toString(), "-jar", jar, "demo", "--out-dir", outDir.toString()))
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        boolean done = p.waitFor(300, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String stdout = Files.readString(dir.resolve("stdout.txt"), StandardCharsets.UTF_8);
        String stderr = Files.readString(dir.resolve("stderr.txt"), StandardCharsets.UTF_8);
        assertTrue(done, "demo did not finish in 300 s");
        assertEquals(0, p.exitValue(), stdout + stderr);
        assertTrue(stdout.contains("all 5 checks OK"), stdout);
        assertTrue(stdout.contains("backend: "), stdout);
        assertFalse(stdout.contains(" INFO "), "log lines go to stderr, not stdout: " + stdout);
        assertFalse(stderr.contains("Exception"), stderr);
        try (var s = Files.list(outDir)) {
            assertEquals(7, s.filter(f -> f.toString().endsWith(".png")).count());
        }
    }
}

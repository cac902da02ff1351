package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The shaded jar's {@code attend} against {@code tools/independent_reference.py}: a float64 NumPy attention
 * written from the issue's semantics, over many seeded cases and every option, on the cpu and reference backends,
 * plus bad-input runs. Runs after {@code package} (failsafe), with the jar from the {@code attention4j.jar}
 * property.
 */
class AttendIndependentReferenceIT {

    @Test
    void attendMatchesTheIndependentFloat64Reference() throws IOException, InterruptedException {
        assumeTrue(commandSucceeds("python3", "--version"), "python3 is not available");
        assumeTrue(commandSucceeds("python3", "-c", "import numpy"), "NumPy is not available to python3");
        String jar = System.getProperty("attention4j.jar");
        assertNotNull(jar, "system property attention4j.jar (set by the failsafe configuration) is missing");
        assertTrue(Files.isRegularFile(Path.of(jar)), "jar not found: " + jar);
        Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        Path root = module.getParent();
        Path script = root.resolve("tools").resolve("independent_reference.py");
        assertTrue(Files.isRegularFile(script), "script not found: " + script);

        Process p = new ProcessBuilder("python3", script.toString(), "--jar", jar)
                .directory(root.toFile())
                .redirectErrorStream(true)
                .start();
        StringBuilder tail = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                System.out.println(line);
                tail.append(line).append('\n');
            }
        }
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        String output = tail.toString();
        String[] lines = output.strip().split("\\R");
        String last = lines[lines.length - 1];
        assertTrue(last.matches("\\d+ passed, \\d+ failed"), "unexpected last line: " + last);
        assertEquals(0, p.exitValue(), "independent reference failed: " + last);
        assertTrue(last.endsWith(" 0 failed") && !last.startsWith("0 passed"), last);
    }

    private static boolean commandSucceeds(String... cmd) {
        try {
            Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

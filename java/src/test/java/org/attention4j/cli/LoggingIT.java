package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.attention4j.Tensor;
import org.attention4j.io.Npy;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the shaded jar logs, in fresh JVMs: as a library with no logging configuration, nothing on stdout (INFO on
 * stderr instead of logback's DEBUG-on-stdout default); a user's {@code logback.xml} still wins; the CLI logs INFO
 * on stderr, DEBUG with {@code --verbose}, and stdout carries only results.
 */
class LoggingIT {
    private static final String USER = String.join("\n",
            "import org.attention4j.*;",
            "public class User {",
            "    public static void main(String[] a) {",
            "        try (AttentionEngine e = AttentionEngine.create(Backend.AUTO)) {",
            "            Tensor q = Tensor.zeros(1, 1, 2, 4);",
            "            e.attention(q, q, q);",
            "        }",
            "        System.out.println(\"user output\");",
            "    }",
            "}");

    @TempDir
    Path dir;
    private String jar;

    @BeforeEach
    void needsTheShadedJar() {
        jar = System.getProperty("attention4j.jar");
        Assumptions.assumeTrue(jar != null && Files.isRegularFile(Path.of(jar)),
                "system property attention4j.jar does not point at the shaded jar (run through failsafe after package)");
    }

    private record Run(int status, String stdout, String stderr) {
    }

    private Run java(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "stdout", ".txt");
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void asALibraryWithoutConfigurationItLogsNothingOnStdout() throws Exception {
        Path src = dir.resolve("User.java");
        Files.writeString(src, USER);
        Run r = java("-cp", jar, src.toString());
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertEquals("user output\n", r.stdout(), "only the application's own output on stdout");
        assertTrue(r.stderr().contains("INFO  AttentionEngine - attention4j backend auto"), r.stderr());
        assertFalse(r.stderr().contains("DEBUG"), r.stderr());
    }

    @Test
    void aUsersLogbackXmlStillWins() throws Exception {
        Path src = dir.resolve("User.java");
        Files.writeString(src, USER);
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("logback.xml"), String.join("\n",
                "<configuration>",
                "  <appender name=\"E\" class=\"ch.qos.logback.core.ConsoleAppender\">",
                "    <target>System.err</target>",
                "    <encoder><pattern>USERCONF %level %logger{0} %msg%n</pattern></encoder>",
                "  </appender>",
                "  <root level=\"DEBUG\"><appender-ref ref=\"E\"/></root>",
                "</configuration>"));
        Run r = java("-cp", conf + java.io.File.pathSeparator + jar, src.toString());
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertEquals("user output\n", r.stdout());
        assertTrue(r.stderr().contains("USERCONF DEBUG"), "the user's DEBUG level and pattern: " + r.stderr());
    }

    @Test
    void theCliLogsOnStderrAndVerboseAddsDebug() throws Exception {
        Path q = dir.resolve("q.npy");
        Npy.write(q, Tensor.zeros(1, 2, 5, 8));
        String[] attend = {"-jar", jar, "attend", "--q", q.toString(), "--k", q.toString(), "--v", q.toString(),
                "--out", dir.resolve("o.npy").toString()};
        Run plain = java(attend);
        assertEquals(0, plain.status(), plain.stdout() + plain.stderr());
        assertTrue(plain.stdout().startsWith("attend: "), plain.stdout());
        assertFalse(plain.stdout().contains("INFO") || plain.stdout().contains("DEBUG"), plain.stdout());
        assertTrue(plain.stderr().contains(" INFO "), plain.stderr());
        assertFalse(plain.stderr().contains("DEBUG"), plain.stderr());
        // The start-up helpers (cli/ColdStart) configure logback while the warm-up computes: a logger called
        // meanwhile would be replayed behind SLF4J's note.
        assertFalse(plain.stderr().contains("SLF4J"), plain.stderr());

        List<String> verbose = new ArrayList<>(List.of(attend));
        verbose.add("--verbose");
        Run v = java(verbose.toArray(new String[0]));
        assertEquals(0, v.status(), v.stdout() + v.stderr());
        assertFalse(v.stdout().contains("DEBUG"), v.stdout());
        assertTrue(v.stderr().contains(" DEBUG "), v.stderr());
    }
}

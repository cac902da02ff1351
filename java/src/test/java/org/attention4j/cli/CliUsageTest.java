package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.attention4j.Tensor;
import org.attention4j.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


/** What a user typing the command line's odd cases sees (no command, --version, bench usage, bad paths). */
class CliUsageTest extends CliTest {
    @TempDir
    Path dir;

    @Test
    void noCommandIsAUsageErrorWithTheUsageOnStderr() {
        assertEquals(Main.EXIT_USAGE, run());
        assertEquals("", out);
        assertTrue(err.startsWith("error: no command given"), err);
        assertTrue(err.contains("Usage: attention4j"), err);
    }

    @Test
    void versionIsTheProjectVersion() {
        assertEquals(0, run("--version"));
        String first = out.lines().findFirst().orElse("");
        assertTrue(first.matches("attention4j \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), first);
        assertTrue(out.contains("Java " + System.getProperty("java.version")), out);
    }

    @Test
    void benchUsageLineIsReadable() {
        assertEquals(0, run("bench", "--help"));
        assertTrue(out.contains("[--backend=B[,B...]]..."), out);
        assertTrue(out.contains("[--seq=N[,N...]]..."), out);
        assertFalse(out.contains("[,B[,B...]...]"), out);
    }

    @Test
    void benchWithAMissingInputPrintsNoTable() throws IOException {
        Npy.write(dir.resolve("q.npy"), Tensor.zeros(1, 1, 2, 4));
        Npy.write(dir.resolve("k.npy"), Tensor.zeros(1, 1, 2, 4));
        assertEquals(Main.EXIT_USAGE, run("bench", "--inputs", dir.toString(), "--iters", "1", "--warmup", "0"));
        assertEquals("", out, "no table header before the error");
        assertTrue(err.startsWith("error: ") && err.contains("v.npy"), err);
        assertEquals(1, err.strip().split("\\R").length, err);
    }

    @Test
    void demoOutDirThatIsAFileSaysSo() throws IOException {
        Path file = dir.resolve("afile");
        Files.writeString(file, "keep");
        assertEquals(Main.EXIT_USAGE, run("demo", "--backend", "reference", "--out-dir", file.toString()));
        assertTrue(err.startsWith("error: --out-dir " + file + ": exists and is not a directory"), err);
        assertEquals("keep", Files.readString(file));
    }
}

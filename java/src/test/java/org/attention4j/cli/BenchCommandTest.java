package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import org.attention4j.Tensor;
import org.attention4j.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


/** {@code bench} in-process: the table, the progress lines, {@code --inputs}, and bad options refused. */
class BenchCommandTest extends CliTest {
    @TempDir
    Path dir;

    private List<String[]> rows() {
        return Arrays.stream(out.split("\n"))
                .filter(l -> !l.startsWith("#") && !l.startsWith("backend") && !l.isBlank())
                .map(l -> l.trim().split("\\s+"))
                .collect(Collectors.toList());
    }

    @Test
    void sweepPrintsOneRowPerBackendAndLengthWithProgressOnStderr() {
        int rc = run("bench", "--backend", "cpu,reference", "--heads", "4", "--kv-heads", "2", "--seq", "8,33",
                "--dim", "16", "--causal", "--warmup", "0", "--warmup-time", "0", "--iters", "2", "--threads", "2");
        assertEquals(0, rc, err);
        List<String[]> rows = rows();
        assertEquals(4, rows.size(), out);
        assertEquals("cpu", rows.get(0)[0]);
        assertEquals("reference", rows.get(3)[0]);
        String[] r = rows.get(1);  // cpu, N=33
        assertEquals(List.of("1", "4", "2", "33", "33", "16", "yes"), Arrays.asList(r).subList(1, 8));
        double ms = Double.parseDouble(r[8]);
        double gflops = Double.parseDouble(r[9]);
        assertTrue(ms >= 0.001, out);
        // GFLOP/s = 4*B*Hq*Nq*Nk*D / 2 (causal) / time; the printed ms is rounded to 0.001, GFLOP/s to 0.01.
        double expected = 4.0 * 4 * 33 * 33 * 16 / 2 / (ms * 1e6);
        double tolerance = expected * 0.0005 / Math.max(ms - 0.0005, 1e-4) + 0.006;
        assertEquals(expected, gflops, tolerance, out);
        assertTrue(err.contains("bench [4/4] reference"), err);
        assertTrue(out.contains("warmup 0 (and >= 0.0 s), iters 2"), "the header says how it timed:\n" + out);
    }

    @Test
    void inputsDirectoryIsTimedAsGiven() throws IOException {
        Npy.write(dir.resolve("q.npy"), Tensor.zeros(1, 2, 5, 8));
        Npy.write(dir.resolve("k.npy"), Tensor.zeros(1, 1, 7, 8));
        Npy.write(dir.resolve("v.npy"), Tensor.zeros(1, 1, 7, 8));
        int rc = run("bench", "--inputs", dir.toString(), "--warmup", "0", "--warmup-time", "0", "--iters", "1");
        assertEquals(0, rc, err);
        List<String[]> rows = rows();
        assertEquals(1, rows.size(), out);
        assertEquals(List.of("cpu", "1", "2", "1", "5", "7", "8", "no"), Arrays.asList(rows.get(0)).subList(0, 8));
    }

    @Test
    void badOptionsExitWithUsageStatusAndOneLine() {
        assertEquals(Main.EXIT_USAGE, run("bench", "--heads", "6", "--kv-heads", "4", "--iters", "1"));
        assertTrue(err.startsWith("error: --heads (6) must be a positive multiple of --kv-heads (4)"), err);
        assertEquals(Main.EXIT_USAGE, run("bench", "--backend", "tpu"));
        assertTrue(err.contains("backend must be one of"), err);
        assertEquals(Main.EXIT_USAGE, run("bench", "--seq", "0"));
        assertEquals(Main.EXIT_USAGE, run("bench", "--inputs", dir.resolve("missing").toString()));
        assertEquals(1, err.strip().split("\n").length, err);
    }
}

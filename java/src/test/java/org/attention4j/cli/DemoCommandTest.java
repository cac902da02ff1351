package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class DemoCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void demoRunsEveryCaseChecksItAndWritesHeatmaps() throws IOException {
        Path outDir = dir.resolve("maps");
        int rc = run("demo", "--out-dir", outDir.toString(), "--seed", "7");
        String text = out.toString();
        assertEquals(0, rc, text + err);
        assertTrue(text.contains("backend: "), text);
        assertTrue(text.contains("all 5 checks OK"), text);
        assertTrue(text.contains("time: median of timed runs after one warm-up"), "says how it timed:\n" + text);
        for (String c : new String[] {"self", "cross", "decode-gqa", "rope-position", "alibi-causal"}) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith(c + " ") && l.endsWith("OK")), "row for " + c + ":\n"
                    + text);
        }
        String[] files = {"self_b0_h0.png", "cross_b0_h0.png", "decode_b0_h0.png", "rope_position_similarity.png",
            "rope_position_similarity_log.png", "alibi_causal_h0.png", "alibi_causal_h7.png"};
        for (String f : files) {
            Path p = outDir.resolve(f);
            assertTrue(text.contains(p.toString()), "listed: " + f);
            BufferedImage img = ImageIO.read(p.toFile());
            assertTrue(img != null && img.getWidth() >= 256 && img.getHeight() >= 256, f);
        }
        try (var s = Files.list(outDir)) {
            assertEquals(files.length, s.count(), "no stray files");
        }
    }

    @Test
    void unknownBackendIsOneLineAndExit2() {
        int rc = run("demo", "--out-dir", dir.resolve("x").toString(), "--backend", "tpu");
        assertEquals(Main.EXIT_USAGE, rc);
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("error: backend must be one of"), err.toString());
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void explicitCudaWithoutGpuIsAnEngineErrorNotACrash() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                org.attention4j.cuda.CudaSupport.probe().usable(), "CUDA is usable here; nothing to refuse");
        int rc = run("demo", "--out-dir", dir.resolve("y").toString(), "--backend", "cuda");
        assertTrue(rc != 0);
        assertTrue(err.toString().startsWith("error: "), err.toString());
        assertEquals(1, err.toString().lines().filter(l -> l.startsWith("error")).count(), err.toString());
        assertFalse(Files.exists(dir.resolve("y")), "nothing written when the backend is refused");
    }

    @Test
    void maxAbsDiffTreatsNanAsFailure() {
        Tensor a = Tensor.of(new float[] {1, 2, 3}, 3);
        assertEquals(0.5, DemoCommand.maxAbsDiff(a, Tensor.of(new float[] {1, 2.5f, 3}, 3)), 0);
        assertTrue(Double.isNaN(DemoCommand.maxAbsDiff(a, Tensor.of(new float[] {1, Float.NaN, 3}, 3))));
        assertTrue(Double.isNaN(DemoCommand.maxAbsDiff(a, Tensor.of(new float[] {1, 2, 3}, 1, 3))));
        assertFalse(Double.NaN <= 1.0, "a NaN error can never pass the <= tolerance check");
    }

    @Test
    void toleranceIsRelativeToTheLargestReferenceValue() {
        Tensor ref = Tensor.of(new float[] {100, -50, 0}, 3);
        assertTrue(DemoCommand.withinTolerance(ref.copy(), ref));
        // Bound 1e-4 * 100 + 1e-6 = 0.010001.
        assertTrue(DemoCommand.withinTolerance(Tensor.of(new float[] {100, -50, 0.0099f}, 3), ref));
        assertFalse(DemoCommand.withinTolerance(Tensor.of(new float[] {100, -50, 0.0102f}, 3), ref));
        assertFalse(DemoCommand.withinTolerance(Tensor.of(new float[] {100, Float.NaN, 0}, 3), ref));
        assertFalse(DemoCommand.withinTolerance(Tensor.of(new float[] {100, -50, 0, 0}, 4), ref));
        Tensor zeros = Tensor.zeros(2);
        assertTrue(DemoCommand.withinTolerance(Tensor.of(new float[] {1e-7f, 0}, 2), zeros), "absolute floor");
        assertFalse(DemoCommand.withinTolerance(Tensor.of(new float[] {1e-5f, 0}, 2), zeros));
    }

    @Test
    void flopsCountOnlyCausallyVisiblePairs() {
        var cases = DemoCases.all(1);
        DemoCases.Case self = cases.get(0);
        assertEquals(4.0 * 2 * 8 * 256 * 256 * 64, self.flops(), 0);
        DemoCases.Case decode = cases.get(2);
        // 4 queries against 1024 keys, bottom-right: 1021 + 1022 + 1023 + 1024 pairs.
        assertEquals(2.0 * 1 * 8 * (1021 + 1022 + 1023 + 1024) * (64 + 64), decode.flops(), 0);
        DemoCases.Case alibi = cases.get(4);
        assertEquals(2.0 * 8 * (128 * 129 / 2) * (16 + 2), alibi.flops(), 0);
    }
}

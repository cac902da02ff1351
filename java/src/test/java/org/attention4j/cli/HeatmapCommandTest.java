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

import org.attention4j.io.HeatmapPng;
import org.attention4j.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class HeatmapCommandTest {

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

    /** [B=2, H=3, 4, 5] weights where slice (b, h) has its maximum at cell (b + h, h). */
    private Path weights4d() throws IOException {
        float[] w = new float[2 * 3 * 4 * 5];
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < 3; h++) {
                int base = (b * 3 + h) * 20;
                for (int c = 0; c < 20; c++) {
                    w[base + c] = 0.01f;
                }
                w[base + (b + h) * 5 + h] = 0.9f;
            }
        }
        Path p = dir.resolve("w.npy");
        Npy.writeFloat(p, w, 2, 3, 4, 5);
        return p;
    }

    private static int rgb(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFFFFFF;
    }

    private void assertRefused(String fragment, Path png, String... args) {
        int rc = run(args);
        assertEquals(Main.EXIT_USAGE, rc, "exit status; stderr: " + err);
        String e = err.toString();
        assertEquals(1, e.lines().count(), "one stderr line: " + e);
        assertTrue(e.startsWith("error: "), e);
        assertTrue(e.contains(fragment), "stderr should contain '" + fragment + "': " + e);
        assertFalse(e.contains("\tat "), "no stack trace");
        assertFalse(Files.exists(png), "no output file");
        assertEquals("", out.toString(), "nothing on stdout");
    }

    @Test
    void drawsTheChosenSlice() throws IOException {
        Path w = weights4d();
        Path png = dir.resolve("map.png");
        int rc = run("heatmap", "--weights", w.toString(), "--out", png.toString(), "--batch", "1", "--head", "2",
                "--plain");
        assertEquals(0, rc, err.toString());
        assertTrue(out.toString().contains("batch 1 head 2") && out.toString().contains("[4 x 5]"), out.toString());
        BufferedImage img = ImageIO.read(png.toFile());
        // 4 x 5 cells: common factor ceil(256 / 4) = 64 -> 256 x 320.
        assertEquals(320, img.getWidth());
        assertEquals(256, img.getHeight());
        // Slice (1, 2) has its maximum at cell (3, 2).
        assertEquals(HeatmapPng.color(1.0), rgb(img, 2 * 64 + 32, 3 * 64 + 32));
        assertEquals(HeatmapPng.color(0.01 / 0.9), rgb(img, 32, 32));
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count(), "only the .npy and the .png");
        }
    }

    @Test
    void twoDimensionalMatrixWithLogScaleAndNan() throws IOException {
        Path w = dir.resolve("m.npy");
        Npy.writeFloat(w, new float[] {1f, 1e-3f, Float.NaN, 1e-6f}, 2, 2);
        Path png = dir.resolve("m.png");
        assertEquals(0, run("heatmap", "--weights", w.toString(), "--out", png.toString(), "--log", "--plain"),
                err.toString());
        assertTrue(out.toString().contains("1 NaN") && out.toString().contains("log"), out.toString());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(256, img.getWidth());
        assertEquals(HeatmapPng.color(1.0), rgb(img, 10, 10));
        // Positive values span the map from LOG_POSITIVE_FROM up; the bottom colour is for zeros (masked) only.
        double from = HeatmapPng.LOG_POSITIVE_FROM;
        assertEquals(HeatmapPng.color(from + (1 - from) * 0.5), rgb(img, 200, 10));
        assertEquals(HeatmapPng.NAN_RGB, rgb(img, 10, 200));
        assertEquals(HeatmapPng.color(from), rgb(img, 200, 200));
    }

    @Test
    void theDefaultMapIsAnnotatedWithTitleAxesAndTextMetadata() throws IOException {
        Path w = dir.resolve("m.npy");
        Npy.writeFloat(w, new float[] {1f, 0f, 0f, 1f, 0.5f, 0.25f}, 2, 3);
        Path plainPng = dir.resolve("plain.png");
        assertEquals(0, run("heatmap", "--weights", w.toString(), "--out", plainPng.toString(), "--plain"),
                err.toString());
        Path png = dir.resolve("m.png");
        assertEquals(0, run("heatmap", "--weights", w.toString(), "--out", png.toString()), err.toString());
        BufferedImage plain = ImageIO.read(plainPng.toFile());
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > plain.getWidth() + 40 && img.getHeight() > plain.getHeight() + 40,
                "margins for title, axes and the labelled bar");
        // The map itself sits inside the frame unchanged: find the plain image's top-left cell colour in it.
        int dark = 0;
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                dark += (rgb(img, x, y) & 0xFF) < 0x80 ? 1 : 0;
            }
        }
        assertTrue(dark > 20, "title text drawn in the top band");
        String tree = text(png);
        assertTrue(tree.contains("Title=m.npy [2 x 3]"), tree);
        assertTrue(tree.contains("Software=attention4j"), tree);
        assertTrue(tree.contains("range [0.0, 1.0] (automatic)"), "the range the colours span: " + tree);
        Path logPng = dir.resolve("log.png");
        assertEquals(0, run("heatmap", "--weights", w.toString(), "--out", logPng.toString(), "--log"),
                err.toString());
        String logTree = text(logPng);
        assertTrue(logTree.contains("log colour scale, range [0.25, 1.0] (automatic); zeros and masked keys in the "
                + "bottom colour"), logTree);
    }

    /** The PNG's text chunks, one {@code keyword=value} line each. */
    private static String text(Path png) throws IOException {
        javax.imageio.ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
        try (var in = ImageIO.createImageInputStream(png.toFile())) {
            reader.setInput(in);
            return dump(reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0"));
        } finally {
            reader.dispose();
        }
    }

    private static String dump(org.w3c.dom.Node n) {
        StringBuilder b = new StringBuilder();
        if (n.getNodeName().equals("tEXtEntry")) {
            org.w3c.dom.NamedNodeMap a = n.getAttributes();
            b.append(a.getNamedItem("keyword").getNodeValue()).append('=').append(a.getNamedItem("value")
                    .getNodeValue()).append('\n');
        }
        for (org.w3c.dom.Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
            b.append(dump(c));
        }
        return b.toString();
    }

    @Test
    void allNanMapSaysSoInsteadOfAnInvertedRange() throws IOException {
        Path w = dir.resolve("nan.npy");
        Npy.writeFloat(w, new float[] {Float.NaN, Float.NaN, Float.NaN, Float.NaN}, 2, 2);
        Path png = dir.resolve("nan.png");
        assertEquals(0, run("heatmap", "--weights", w.toString(), "--out", png.toString()), err.toString());
        assertTrue(out.toString().contains("all 4 values NaN") && !out.toString().contains("inf"), out.toString());
    }

    @Test
    void indexOutOfRangeIsNamed() throws IOException {
        Path w = weights4d();
        Path png = dir.resolve("x.png");
        assertRefused("--batch 2 is out of range [0, 2)", png,
                "heatmap", "--weights", w.toString(), "--out", png.toString(), "--batch", "2");
    }

    @Test
    void headOutOfRangeIsNamed() throws IOException {
        Path w = weights4d();
        Path png = dir.resolve("x.png");
        assertRefused("--head 3 is out of range [0, 3) for weights [2, 3, 4, 5]", png,
                "heatmap", "--weights", w.toString(), "--out", png.toString(), "--head", "3");
    }

    @Test
    void negativeIndexIsRefused() throws IOException {
        Path w = weights4d();
        Path png = dir.resolve("x.png");
        assertRefused("--head -1", png, "heatmap", "--weights", w.toString(), "--out", png.toString(), "--head", "-1");
    }

    @Test
    void wrongRankIsRefused() throws IOException {
        Path w = dir.resolve("r3.npy");
        Npy.writeFloat(w, new float[8], 2, 2, 2);
        Path png = dir.resolve("x.png");
        assertRefused("[2, 2, 2]", png, "heatmap", "--weights", w.toString(), "--out", png.toString());
    }

    @Test
    void sliceIndexOnAMatrixIsRefused() throws IOException {
        Path w = dir.resolve("m.npy");
        Npy.writeFloat(w, new float[4], 2, 2);
        Path png = dir.resolve("x.png");
        assertRefused("2-D", png, "heatmap", "--weights", w.toString(), "--out", png.toString(), "--head", "1");
    }

    @Test
    void emptyMapIsRefused() throws IOException {
        Path w = dir.resolve("e.npy");
        Npy.writeFloat(w, new float[0], 1, 1, 0, 5);
        Path png = dir.resolve("x.png");
        assertRefused("empty", png, "heatmap", "--weights", w.toString(), "--out", png.toString());
    }

    @Test
    void missingOrMalformedInputIsRefused() throws IOException {
        Path png = dir.resolve("x.png");
        assertRefused("no such file", png, "heatmap", "--weights", dir.resolve("nope.npy").toString(), "--out",
                png.toString());
    }

    @Test
    void malformedNpyIsRefused() throws IOException {
        Path bad = dir.resolve("bad.npy");
        Files.writeString(bad, "this is not a numpy file");
        Path png = dir.resolve("x.png");
        assertRefused("bad.npy", png, "heatmap", "--weights", bad.toString(), "--out", png.toString());
    }

    @Test
    void missingOutputDirectoryIsRefused() throws IOException {
        Path w = weights4d();
        Path png = dir.resolve("no-such-dir").resolve("x.png");
        assertRefused("does not exist", png, "heatmap", "--weights", w.toString(), "--out", png.toString());
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        int rc = run("heatmap", "--out", dir.resolve("x.png").toString());
        assertEquals(Main.EXIT_USAGE, rc);
        assertTrue(err.toString().contains("--weights"), err.toString());
        assertFalse(Files.exists(dir.resolve("x.png")));
    }
}

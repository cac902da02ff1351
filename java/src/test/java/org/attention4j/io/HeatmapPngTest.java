package org.attention4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeatmapPngTest {

    @TempDir
    Path dir;

    private static int rgb(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFFFFFF;
    }

    private static BufferedImage read(Path p) throws IOException {
        BufferedImage img = ImageIO.read(p.toFile());
        assertTrue(img != null, "ImageIO could not decode " + p);
        return img;
    }

    /** CIE L* of an sRGB colour: the lightness a viewer perceives. */
    private static double lightness(int rgb) {
        double r = lin((rgb >> 16) & 0xFF), g = lin((rgb >> 8) & 0xFF), b = lin(rgb & 0xFF);
        double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        return y > 216.0 / 24389 ? 116 * Math.cbrt(y) - 16 : y * 24389.0 / 27;
    }

    private static double lin(int c) {
        double x = c / 255.0;
        return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    }

    @Test
    void smallMatrixIsEnlargedAndMaxCellHasTheTopColour() throws IOException {
        // 3 x 5: cell (1, 3) holds the maximum, (2, 0) is NaN, (0, 0) is zero.
        float[] m = {
            0.0f, 0.1f, 0.2f, 0.3f, 0.4f,
            0.5f, 0.6f, 0.7f, 0.9f, 0.2f,
            Float.NaN, 0.1f, 0.1f, 0.1f, 0.1f,
        };
        Path out = dir.resolve("small.png");
        HeatmapPng.builder().build().write(Tensor.of(m, 3, 5), out);
        BufferedImage img = read(out);
        // Common factor ceil(256 / 3) = 86, within 1024 / 5 = 204: square cells of 86 px.
        assertEquals(5 * 86, img.getWidth());
        assertEquals(3 * 86, img.getHeight());
        int top = HeatmapPng.color(1.0);
        int bottom = HeatmapPng.color(0.0);
        // Centre of cell (r, c) is at (c*86 + 43, r*86 + 43).
        assertEquals(top, rgb(img, 3 * 86 + 43, 1 * 86 + 43), "max cell");
        assertEquals(bottom, rgb(img, 43, 43), "zero cell");
        assertEquals(HeatmapPng.NAN_RGB, rgb(img, 43, 2 * 86 + 43), "NaN cell");
        // Nearest neighbour: every pixel of a cell has the cell's colour, corners included.
        assertEquals(top, rgb(img, 3 * 86, 86));
        assertEquals(top, rgb(img, 4 * 86 - 1, 2 * 86 - 1));
        // A mid value sits strictly between the ends of the map.
        int mid = rgb(img, 4 * 86 + 43, 1 * 86 + 43);
        assertEquals(HeatmapPng.color(0.2 / 0.9), mid);
        // No temporary file left behind.
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void colourMapLightnessRisesStrictlyAndNanColourIsNotInIt() {
        double prev = -1;
        for (int i = 0; i < HeatmapPng.levels(); i++) {
            int c = HeatmapPng.color((double) i / (HeatmapPng.levels() - 1));
            double l = lightness(c);
            assertTrue(l > prev, "lightness must rise at level " + i + ": " + l + " after " + prev);
            prev = l;
            int dr = ((c >> 16) & 0xFF) - ((HeatmapPng.NAN_RGB >> 16) & 0xFF);
            int dg = ((c >> 8) & 0xFF) - ((HeatmapPng.NAN_RGB >> 8) & 0xFF);
            int db = (c & 0xFF) - (HeatmapPng.NAN_RGB & 0xFF);
            assertTrue(dr * dr + dg * dg + db * db > 60 * 60, "NaN colour too close to level " + i);
        }
        assertTrue(lightness(HeatmapPng.color(1)) - lightness(HeatmapPng.color(0)) > 80, "map spans dark to light");
        assertEquals(HeatmapPng.color(0), HeatmapPng.color(-5), "clamped below");
        assertEquals(HeatmapPng.color(1), HeatmapPng.color(7), "clamped above");
        assertEquals(HeatmapPng.NAN_RGB, HeatmapPng.color(Double.NaN));
    }

    @Test
    void largeMatrixIsMaxPooledSoAThinDiagonalSurvives() {
        int n = 3000;
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++) {
            m[i * n + i] = 1f;
        }
        BufferedImage img = HeatmapPng.builder().build().render(m, 0, n, n);
        // Pool factor ceil(3000 / 1024) = 3 -> 1000 px.
        assertEquals(1000, img.getWidth());
        assertEquals(1000, img.getHeight());
        int top = HeatmapPng.color(1.0);
        for (int p = 0; p < 1000; p++) {
            assertEquals(top, rgb(img, p, p), "diagonal pixel " + p);
        }
        assertEquals(HeatmapPng.color(0.0), rgb(img, 10, 500));
    }

    @Test
    void pooledBlockWithANanShowsNan() {
        float[] m = new float[2048 * 4];
        m[5 * 4 + 2] = Float.NaN;
        m[0] = 1f;
        BufferedImage img = HeatmapPng.builder().build().render(m, 0, 2048, 4);
        assertEquals(1024, img.getHeight());
        assertEquals(256, img.getWidth(), "4 columns stretched to 256 px");
        // Row 5 falls in pixel row 2 (pool 2); column 2 spans pixels 128..191.
        assertEquals(HeatmapPng.NAN_RGB, rgb(img, 150, 2));
        assertEquals(HeatmapPng.color(1.0), rgb(img, 10, 0));
        assertEquals(HeatmapPng.color(0.0), rgb(img, 10, 100));
    }

    @Test
    void thinDecodeMapIsStretchedToBeVisible() {
        // 4 new queries against 1024 keys: rows stretched on their own.
        BufferedImage img = HeatmapPng.builder().build().render(new float[4 * 1024], 0, 4, 1024);
        assertEquals(1024, img.getWidth());
        assertEquals(256, img.getHeight());
    }

    /** Where a log-scale position {@code t} of the positive values lands on the colour map. */
    private static int logColor(double t) {
        return HeatmapPng.color(HeatmapPng.LOG_POSITIVE_FROM + (1 - HeatmapPng.LOG_POSITIVE_FROM) * t);
    }

    @Test
    void logScaleSpreadsDecades() {
        float[] m = {1e-6f, 1e-3f, 1f, 0f};
        BufferedImage img = HeatmapPng.builder().log(true).sides(1, 1024).build().render(m, 0, 1, 4);
        assertEquals(4, img.getWidth());
        assertEquals(1, img.getHeight());
        assertEquals(logColor(0.0), rgb(img, 0, 0), "at the default floor max*1e-6");
        assertEquals(logColor(0.5), rgb(img, 1, 0), "half way in decades");
        assertEquals(logColor(1.0), rgb(img, 2, 0));
        assertEquals(HeatmapPng.color(0.0), rgb(img, 3, 0), "zero takes the bottom colour");
        assertNotEquals(rgb(img, 3, 0), rgb(img, 0, 0), "the smallest positive value does not look masked");
        // Linear scale on the same data puts 1e-3 at the bottom.
        BufferedImage lin = HeatmapPng.builder().sides(1, 1024).build().render(m, 0, 1, 4);
        assertEquals(HeatmapPng.color(0.001), rgb(lin, 1, 0));
        // Fewer decades than the floor allows: the smallest positive value takes the first positive colour.
        float[] narrow = {0.01f, 0.1f, 1f, 0f};
        BufferedImage n = HeatmapPng.builder().log(true).sides(1, 1024).build().render(narrow, 0, 1, 4);
        assertEquals(logColor(0.0), rgb(n, 0, 0));
        assertEquals(logColor(0.5), rgb(n, 1, 0));
        assertEquals(logColor(1.0), rgb(n, 2, 0));
        assertEquals(HeatmapPng.color(0.0), rgb(n, 3, 0));
        // Far more decades than the floor: clamped at max * 1e-6.
        float[] wide = {1e-20f, 1e-3f, 1f};
        BufferedImage w = HeatmapPng.builder().log(true).sides(1, 1024).build().render(wide, 0, 1, 3);
        assertEquals(logColor(0.0), rgb(w, 0, 0));
        assertEquals(logColor(0.5), rgb(w, 1, 0));
    }

    @Test
    void oneHotMapOnALogScaleShowsItsOne() {
        // Issue 9: a one-hot 4x6 map came out one flat colour (its only positive value was the range's bottom).
        float[] m = new float[4 * 6];
        m[2 * 6 + 3] = 1f;
        BufferedImage img = HeatmapPng.builder().log(true).sides(1, 1024).build().render(m, 0, 4, 6);
        assertEquals(HeatmapPng.color(1.0), rgb(img, 3, 2));
        assertEquals(HeatmapPng.color(0.0), rgb(img, 0, 0));
    }

    @Test
    void explicitRangeClampsAndInfinitiesClamp() {
        float[] m = {-1f, 0.5f, 2f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.25f};
        BufferedImage img = HeatmapPng.builder().range(0, 1).sides(1, 64).build().render(m, 0, 1, 6);
        assertEquals(HeatmapPng.color(0), rgb(img, 0, 0));
        assertEquals(HeatmapPng.color(0.5), rgb(img, 1, 0));
        assertEquals(HeatmapPng.color(1), rgb(img, 2, 0));
        assertEquals(HeatmapPng.color(1), rgb(img, 3, 0));
        assertEquals(HeatmapPng.color(0), rgb(img, 4, 0));
        assertEquals(HeatmapPng.color(0.25), rgb(img, 5, 0));
    }

    @Test
    void constantAndAllNanMatricesRender() {
        BufferedImage z = HeatmapPng.builder().sides(1, 8).build().render(new float[4], 0, 2, 2);
        assertEquals(HeatmapPng.color(0.0), rgb(z, 0, 0), "all-zero weights take the bottom colour");
        float[] half = {0.5f, 0.5f};
        assertEquals(HeatmapPng.color(1.0), rgb(HeatmapPng.builder().sides(1, 8).build().render(half, 0, 1, 2), 0, 0));
        float[] nan = {Float.NaN, Float.NaN};
        BufferedImage n = HeatmapPng.builder().sides(1, 8).build().render(nan, 0, 1, 2);
        assertEquals(HeatmapPng.NAN_RGB, rgb(n, 1, 0));
        BufferedImage neg = HeatmapPng.builder().log(true).sides(1, 8).build().render(new float[] {-1, 0}, 0, 1, 2);
        assertEquals(HeatmapPng.color(0.0), rgb(neg, 0, 0));
    }

    @Test
    void offsetSelectsASliceAndColourBarWidensTheImage() {
        float[] w = new float[2 * 3 * 3];
        w[9 + 4] = 1f; // slice 1, cell (1, 1)
        BufferedImage img = HeatmapPng.builder().sides(3, 3).colorBar(true).build().render(w, 9, 3, 3);
        assertEquals(3 + 8 + 24, img.getWidth());
        assertEquals(HeatmapPng.color(1.0), rgb(img, 1, 1));
        assertEquals(HeatmapPng.color(0.0), rgb(img, 0, 0));
        assertEquals(HeatmapPng.color(1.0), rgb(img, 3 + 8 + 5, 0), "bar top = top colour");
        assertEquals(HeatmapPng.color(0.0), rgb(img, 3 + 8 + 5, 2), "bar bottom = bottom colour");
    }

    @Test
    void writeReplacesAnExistingFile() throws IOException {
        Path out = dir.resolve("x.png");
        Files.writeString(out, "not a png");
        HeatmapPng.builder().build().write(new float[] {1}, 0, 1, 1, out);
        BufferedImage img = read(out);
        assertEquals(256, img.getWidth());
    }

    @Test
    void badArgumentsAreRefused() {
        HeatmapPng h = HeatmapPng.builder().build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> h.render(new float[4], 0, 0, 4));
        assertTrue(e.getMessage().contains("[0, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> h.render(new float[4], 0, 2, 3));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> h.render(new float[4], 1, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> h.render(new float[4], -1, 1, 1));
        e = assertThrows(IllegalArgumentException.class, () -> h.write(Tensor.zeros(2, 2, 2), dir.resolve("a.png")));
        assertTrue(e.getMessage().contains("[2, 2, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HeatmapPng.builder().range(1, 1));
        assertThrows(IllegalArgumentException.class, () -> HeatmapPng.builder().range(0, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> HeatmapPng.builder().range(Double.NEGATIVE_INFINITY, 1));
        assertThrows(IllegalArgumentException.class, () -> HeatmapPng.builder().sides(0, 10));
        assertThrows(IllegalArgumentException.class, () -> HeatmapPng.builder().sides(20, 10));
        assertThrows(IllegalArgumentException.class, () -> HeatmapPng.builder().log(true).range(0, 1).build());
        assertFalse(Files.exists(dir.resolve("a.png")));
    }

    @Test
    void unwritableTargetFailsWithoutPartialFile() {
        Path out = dir.resolve("missing-dir").resolve("m.png");
        assertThrows(IOException.class, () -> HeatmapPng.builder().build().write(new float[] {1}, 0, 1, 1, out));
        assertFalse(Files.exists(out));
        assertNotEquals(HeatmapPng.color(0), HeatmapPng.color(1));
    }

    @Test
    void theBareLogColourBarSpansOnlyThePositiveColours() {
        float[] m = {0f, 1e-4f, 0.5f, 1f, 0f, 1e-4f, 0.5f, 1f};
        BufferedImage log = HeatmapPng.builder().log(true).colorBar(true).sides(32, 64).build().render(m, 0, 2, 4);
        BufferedImage lin = HeatmapPng.builder().colorBar(true).sides(32, 64).build().render(m, 0, 2, 4);
        assertTrue(log.getHeight() > 16, "a bar tall enough to have ends: " + log.getHeight());
        int x = log.getWidth() - 1;
        int bottom = log.getHeight() - 1;
        assertEquals(HeatmapPng.color(HeatmapPng.LOG_POSITIVE_FROM), log.getRGB(x, bottom) & 0xFFFFFF,
                "the log bar starts where positive values start");
        assertTrue((log.getRGB(x, bottom) & 0xFFFFFF) != HeatmapPng.color(0.0), "not the zeros' colour");
        assertEquals(HeatmapPng.color(0.0), lin.getRGB(lin.getWidth() - 1, lin.getHeight() - 1) & 0xFFFFFF);
        assertEquals(HeatmapPng.color(1.0), log.getRGB(x, 0) & 0xFFFFFF, "both end at the top colour");
    }
}

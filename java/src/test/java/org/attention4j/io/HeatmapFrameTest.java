package org.attention4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The annotated heatmap: ticks at round numbers, bar labels, the map copied in unchanged, the pixel font. */
class HeatmapFrameTest {
    @Test
    void ticksAreRoundAndAtMostAboutSix() {
        assertEquals(List.of(0, 1, 2, 3), HeatmapFrame.ticks(4));
        assertEquals(List.of(0, 2, 4, 6, 8, 10), HeatmapFrame.ticks(12));
        assertEquals(List.of(0, 50, 100, 150), HeatmapFrame.ticks(197));
        assertEquals(List.of(0, 500, 1000, 1500, 2000), HeatmapFrame.ticks(2048));
        assertEquals(List.of(0), HeatmapFrame.ticks(1));
        for (int n = 1; n < 5000; n += 37) {
            List<Integer> t = HeatmapFrame.ticks(n);
            assertTrue(t.size() >= 1 && t.size() <= 7 && t.get(t.size() - 1) < n, n + ": " + t);
        }
    }

    @Test
    void barLabelsSayTheValuesOfTheEnds() {
        assertArrayEquals(new String[] {"1", "0.5", "0", null}, HeatmapFrame.barLabels(0, 1, false));
        assertArrayEquals(new String[] {"1", null, null, "0"}, HeatmapFrame.barLabels(1, 1, true), "one value");
        assertArrayEquals(new String[] {"1", "0.001", "1E-6", "0"}, HeatmapFrame.barLabels(1e-6, 1, true));
        assertEquals("0.123", HeatmapFrame.format(0.12345));
        assertEquals("1.23E5", HeatmapFrame.format(123456));
    }

    @Test
    void theMapIsCopiedIntoTheFrameUnchanged() {
        float[] m = {0f, 0.5f, 1f, 0.25f, Float.NaN, 0.75f};
        BufferedImage plain = HeatmapPng.builder().sides(64, 512).build().render(m, 0, 2, 3);
        BufferedImage framed = HeatmapPng.builder().sides(64, 512).title("t").build().render(m, 0, 2, 3);
        // Find the map's top-left pixel run in the frame and compare every pixel.
        int found = -1;
        int fx = 0;
        int fy = 0;
        search:
        for (int y = 0; y + plain.getHeight() <= framed.getHeight(); y++) {
            for (int x = 0; x + plain.getWidth() <= framed.getWidth(); x++) {
                if (framed.getRGB(x, y) == plain.getRGB(0, 0) && framed.getRGB(x + plain.getWidth() - 1, y)
                        == plain.getRGB(plain.getWidth() - 1, 0)) {
                    fx = x;
                    fy = y;
                    found = 1;
                    break search;
                }
            }
        }
        assertEquals(1, found, "map not found in the frame");
        for (int y = 0; y < plain.getHeight(); y++) {
            for (int x = 0; x < plain.getWidth(); x++) {
                assertEquals(plain.getRGB(x, y), framed.getRGB(fx + x, fy + y), "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void titlesWithControlCharactersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> HeatmapPng.builder().title("a\u001b[2Jb"));
    }

    @Test
    void everyPrintableAsciiCharacterDrawsWithinItsBox() {
        BufferedImage img = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
        for (char c = ' '; c <= '~'; c++) {
            PixelFont.draw(img, String.valueOf(c), 2, 2, 2, 0xFFFFFF);
        }
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 20; x++) {
                boolean inside = x >= 2 && x < 2 + PixelFont.W * 2 && y >= 2 && y < 2 + PixelFont.H * 2;
                assertTrue(inside || (img.getRGB(x, y) & 0xFFFFFF) == 0, "pixel outside the glyph box at " + x
                        + "," + y);
            }
        }
        assertTrue(PixelFont.has('a') && PixelFont.has('Z') && PixelFont.has('9') && !PixelFont.has('~'));
    }
}

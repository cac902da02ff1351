package org.attention4j.io;

import java.awt.image.BufferedImage;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A 3 x 5 pixel font of this project's own, drawn straight into image pixels: heatmap labels must render on a
 * headless JRE without fonts (the Docker image's {@code openjdk-17-jre-headless} has no fontconfig fonts, and
 * Java2D text then fails). Upper case only: lower-case letters are drawn as capitals; a character without a glyph
 * is drawn as {@code ?}.
 */
final class PixelFont {
    /** Glyph width and height in font pixels, and the advance (one column of space). */
    static final int W = 3;
    static final int H = 5;
    static final int ADVANCE = W + 1;

    /** Each glyph as five rows of three bits, most significant bit on the left. */
    private static final Map<Character, int[]> GLYPHS = new HashMap<>();

    static {
        def(' ', 0b000, 0b000, 0b000, 0b000, 0b000);
        def('0', 0b111, 0b101, 0b101, 0b101, 0b111);
        def('1', 0b010, 0b110, 0b010, 0b010, 0b111);
        def('2', 0b111, 0b001, 0b111, 0b100, 0b111);
        def('3', 0b111, 0b001, 0b011, 0b001, 0b111);
        def('4', 0b101, 0b101, 0b111, 0b001, 0b001);
        def('5', 0b111, 0b100, 0b111, 0b001, 0b111);
        def('6', 0b111, 0b100, 0b111, 0b101, 0b111);
        def('7', 0b111, 0b001, 0b010, 0b010, 0b010);
        def('8', 0b111, 0b101, 0b111, 0b101, 0b111);
        def('9', 0b111, 0b101, 0b111, 0b001, 0b111);
        def('A', 0b010, 0b101, 0b111, 0b101, 0b101);
        def('B', 0b110, 0b101, 0b110, 0b101, 0b110);
        def('C', 0b011, 0b100, 0b100, 0b100, 0b011);
        def('D', 0b110, 0b101, 0b101, 0b101, 0b110);
        def('E', 0b111, 0b100, 0b110, 0b100, 0b111);
        def('F', 0b111, 0b100, 0b110, 0b100, 0b100);
        def('G', 0b011, 0b100, 0b101, 0b101, 0b011);
        def('H', 0b101, 0b101, 0b111, 0b101, 0b101);
        def('I', 0b111, 0b010, 0b010, 0b010, 0b111);
        def('J', 0b001, 0b001, 0b001, 0b101, 0b010);
        def('K', 0b101, 0b101, 0b110, 0b101, 0b101);
        def('L', 0b100, 0b100, 0b100, 0b100, 0b111);
        def('M', 0b101, 0b111, 0b111, 0b101, 0b101);
        def('N', 0b110, 0b101, 0b101, 0b101, 0b101);
        def('O', 0b010, 0b101, 0b101, 0b101, 0b010);
        def('P', 0b110, 0b101, 0b110, 0b100, 0b100);
        def('Q', 0b010, 0b101, 0b101, 0b110, 0b011);
        def('R', 0b110, 0b101, 0b110, 0b101, 0b101);
        def('S', 0b011, 0b100, 0b010, 0b001, 0b110);
        def('T', 0b111, 0b010, 0b010, 0b010, 0b010);
        def('U', 0b101, 0b101, 0b101, 0b101, 0b111);
        def('V', 0b101, 0b101, 0b101, 0b101, 0b010);
        def('W', 0b101, 0b101, 0b111, 0b111, 0b101);
        def('X', 0b101, 0b101, 0b010, 0b101, 0b101);
        def('Y', 0b101, 0b101, 0b010, 0b010, 0b010);
        def('Z', 0b111, 0b001, 0b010, 0b100, 0b111);
        def('.', 0b000, 0b000, 0b000, 0b000, 0b010);
        def(',', 0b000, 0b000, 0b000, 0b010, 0b100);
        def(':', 0b000, 0b010, 0b000, 0b010, 0b000);
        def('-', 0b000, 0b000, 0b111, 0b000, 0b000);
        def('+', 0b000, 0b010, 0b111, 0b010, 0b000);
        def('=', 0b000, 0b111, 0b000, 0b111, 0b000);
        def('/', 0b001, 0b001, 0b010, 0b100, 0b100);
        def('_', 0b000, 0b000, 0b000, 0b000, 0b111);
        def('(', 0b001, 0b010, 0b010, 0b010, 0b001);
        def(')', 0b100, 0b010, 0b010, 0b010, 0b100);
        def('[', 0b011, 0b010, 0b010, 0b010, 0b011);
        def(']', 0b110, 0b010, 0b010, 0b010, 0b110);
        def('<', 0b001, 0b010, 0b100, 0b010, 0b001);
        def('>', 0b100, 0b010, 0b001, 0b010, 0b100);
        def('%', 0b101, 0b001, 0b010, 0b100, 0b101);
        def('*', 0b000, 0b101, 0b010, 0b101, 0b000);
        def('#', 0b101, 0b111, 0b101, 0b111, 0b101);
        def('\'', 0b010, 0b010, 0b000, 0b000, 0b000);
        def('?', 0b111, 0b001, 0b010, 0b000, 0b010);
    }

    private PixelFont() {
    }

    private static void def(char c, int... rows) {
        GLYPHS.put(c, rows);
    }

    /** Width in image pixels of {@code text} drawn at {@code scale} image pixels per font pixel. */
    static int width(String text, int scale) {
        return text.isEmpty() ? 0 : (text.length() * ADVANCE - 1) * scale;
    }

    /** Height in image pixels of one line at {@code scale}. */
    static int height(int scale) {
        return H * scale;
    }

    /** Whether {@code c} has a glyph of its own (after upper-casing). */
    static boolean has(char c) {
        return GLYPHS.containsKey(Character.toUpperCase(c));
    }

    /** Draws {@code text} with its top-left corner at {@code (x, y)}; pixels outside the image are skipped. */
    static void draw(BufferedImage img, String text, int x, int y, int scale, int rgb) {
        String up = text.toUpperCase(Locale.ROOT);
        for (int i = 0; i < up.length(); i++) {
            int[] g = GLYPHS.getOrDefault(up.charAt(i), GLYPHS.get('?'));
            int gx = x + i * ADVANCE * scale;
            for (int row = 0; row < H; row++) {
                for (int col = 0; col < W; col++) {
                    if ((g[row] >> (W - 1 - col) & 1) != 0) {
                        fill(img, gx + col * scale, y + row * scale, scale, rgb);
                    }
                }
            }
        }
    }

    private static void fill(BufferedImage img, int x0, int y0, int scale, int rgb) {
        for (int y = y0; y < y0 + scale; y++) {
            for (int x = x0; x < x0 + scale; x++) {
                if (x >= 0 && y >= 0 && x < img.getWidth() && y < img.getHeight()) {
                    img.setRGB(x, y, rgb);
                }
            }
        }
    }
}

package org.attention4j.io;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The annotated form of a heatmap: the map with a title above it, query indices down the left, key indices along
 * the bottom (tick marks at round numbers), and a colour bar on the right labelled with the values its ends and
 * middle stand for (on a log scale a separate swatch for zeros and masked keys, which have the bottom colour
 * alone), plus a NaN swatch when the map holds NaN. Text is drawn with {@link PixelFont}, so it renders on a
 * headless JRE without fonts.
 */
final class HeatmapFrame {
    private static final int SCALE = 2;
    private static final int PAD = 10;
    private static final int TICK = 4;
    private static final int BAR_W = 16;
    private static final int BG = 0xFFFFFF;
    private static final int INK = 0x202020;
    private static final int MAX_TICKS = 6;

    private HeatmapFrame() {
    }

    /**
     * @param map    the rendered cells (no colour bar), {@code rows x cols} cells over its pixels
     * @param title  the line above the map
     * @param lo     value at the bottom of the colour scale (for a log scale, of the positive values)
     * @param hi     value at the top
     * @param log    whether the scale is logarithmic
     * @param hasNan whether the matrix holds NaN (draws the NaN swatch)
     */
    static BufferedImage compose(BufferedImage map, String title, int rows, int cols, double lo, double hi,
            boolean log, boolean hasNan) {
        int line = PixelFont.height(SCALE);
        List<Integer> rowTicks = ticks(rows);
        List<Integer> colTicks = ticks(cols);
        int rowLabelW = PixelFont.width(Integer.toString(rows - 1), SCALE);
        String[] barLabels = barLabels(lo, hi, log);
        int barLabelW = 0;
        for (String s : barLabels) {
            barLabelW = s == null ? barLabelW : Math.max(barLabelW, PixelFont.width(s, SCALE));
        }
        barLabelW = Math.max(barLabelW, PixelFont.width("NAN", SCALE));

        int left = PAD + Math.max(rowLabelW, PixelFont.width("QUERY", SCALE) - TICK) + TICK + 2;
        int top = PAD + line + PAD + line + 10;                      // title, then the "QUERY" heading
        int mw = map.getWidth();
        int mh = map.getHeight();
        int barX = left + mw + PAD;
        int width = Math.max(barX + BAR_W + 4 + barLabelW + PAD, left + PixelFont.width(title, SCALE) + PAD);
        int height = top + mh + TICK + 2 + line + 6 + line + PAD;   // key ticks' labels, then "KEY"
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, BG);
            }
        }
        PixelFont.draw(img, title, left, PAD, SCALE, INK);
        PixelFont.draw(img, "QUERY", PAD, top - line - 10, SCALE, INK);
        int[] px = new int[mw];
        for (int y = 0; y < mh; y++) {
            map.getRGB(0, y, mw, 1, px, 0, mw);
            img.setRGB(left, top + y, mw, 1, px, 0, mw);
        }
        for (int r : rowTicks) {
            int y = top + (int) ((r + 0.5) * mh / rows);
            hline(img, left - TICK, left - 1, y);
            String s = Integer.toString(r);
            PixelFont.draw(img, s, left - TICK - 2 - PixelFont.width(s, SCALE), y - line / 2, SCALE, INK);
        }
        int ticksY = top + mh;
        for (int c : colTicks) {
            int x = left + (int) ((c + 0.5) * mw / cols);
            vline(img, x, ticksY, ticksY + TICK - 1);
            String s = Integer.toString(c);
            PixelFont.draw(img, s, x - PixelFont.width(s, SCALE) / 2, ticksY + TICK + 2, SCALE, INK);
        }
        PixelFont.draw(img, "KEY", left, ticksY + TICK + 2 + line + 6, SCALE, INK);
        drawBar(img, barX, top, mh, log, barLabels, hasNan);
        return img;
    }

    /**
     * Labels of the colour bar: the top value, the middle one, the bottom one and, on a log scale, "0" for the
     * zeros' swatch; null where there is nothing to say (a range of one value has only its top).
     */
    static String[] barLabels(double lo, double hi, boolean log) {
        if (Double.isNaN(lo) || Double.isNaN(hi)) {
            return new String[] {"NONE > 0", null, null, log ? "0" : null};
        }
        String zero = log ? "0" : null;
        if (!(lo < hi)) {
            return new String[] {format(hi), null, null, zero};
        }
        double mid = log ? Math.sqrt(lo * hi) : (lo + hi) / 2;
        return new String[] {format(hi), format(mid), format(lo), zero};
    }

    /** A value in at most four significant digits, as {@code %.3g} writes it but without trailing zeros. */
    static String format(double v) {
        if (v == 0) {
            return "0";
        }
        String s = String.format(Locale.ROOT, "%.3g", v);
        if (s.contains("e")) {
            String[] p = s.split("e");
            return trim(p[0]) + "E" + Integer.parseInt(p[1]);
        }
        return trim(s);
    }

    private static String trim(String s) {
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    private static void drawBar(BufferedImage img, int x0, int y0, int h, boolean log, String[] labels,
            boolean hasNan) {
        int line = PixelFont.height(SCALE);
        double from = log ? HeatmapPng.LOG_POSITIVE_FROM : 0.0;
        for (int y = 0; y < h; y++) {
            double t = h == 1 ? 1.0 : 1.0 - (double) y / (h - 1);
            int rgb = HeatmapPng.color(from + (1 - from) * t);
            for (int x = 0; x < BAR_W; x++) {
                img.setRGB(x0 + x, y0 + y, rgb);
            }
        }
        int lx = x0 + BAR_W + 4;
        PixelFont.draw(img, labels[0], lx, y0, SCALE, INK);
        if (labels[1] != null) {
            PixelFont.draw(img, labels[1], lx, y0 + h / 2 - line / 2, SCALE, INK);
        }
        if (labels[2] != null) {
            PixelFont.draw(img, labels[2], lx, y0 + h - line, SCALE, INK);
        }
        int y = y0 + h + TICK + 2;
        if (labels[3] != null) {
            swatch(img, x0, y, HeatmapPng.color(0.0));
            PixelFont.draw(img, labels[3], lx, y, SCALE, INK);
            y += line + 4;
        }
        if (hasNan) {
            swatch(img, x0, y, HeatmapPng.NAN_RGB);
            PixelFont.draw(img, "NAN", lx, y, SCALE, INK);
        }
    }

    private static void swatch(BufferedImage img, int x0, int y0, int rgb) {
        for (int y = y0; y < y0 + PixelFont.height(SCALE) && y < img.getHeight(); y++) {
            for (int x = x0; x < x0 + BAR_W; x++) {
                img.setRGB(x, y, rgb);
            }
        }
    }

    /** Tick positions: 0, then multiples of a round step (1, 2 or 5 times a power of ten), at most about six. */
    static List<Integer> ticks(int n) {
        int step = 1;
        for (long p = 1; ; p *= 10) {
            if (n <= MAX_TICKS * p) {
                step = (int) p;
                break;
            }
            if (n <= MAX_TICKS * 2 * p) {
                step = (int) (2 * p);
                break;
            }
            if (n <= MAX_TICKS * 5 * p) {
                step = (int) (5 * p);
                break;
            }
        }
        List<Integer> t = new ArrayList<>();
        for (int i = 0; i < n; i += step) {
            t.add(i);
        }
        return t;
    }

    private static void hline(BufferedImage img, int x0, int x1, int y) {
        for (int x = x0; x <= x1; x++) {
            img.setRGB(x, y, INK);
        }
    }

    private static void vline(BufferedImage img, int x, int y0, int y1) {
        for (int y = y0; y <= y1; y++) {
            img.setRGB(x, y, INK);
        }
    }
}

package org.attention4j.io;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

import javax.imageio.ImageIO;

import org.attention4j.Tensor;

/**
 * Renders a 2-D float matrix (for example one {@code [Nq, Nk]} slice of the attention weights) as a PNG heatmap.
 *
 * <p>Row {@code i} of the matrix is pixel row {@code i} from the top, column {@code j} goes left to right, so an
 * attention map reads like the matrix it came from: queries down, keys across.
 *
 * <ul>
 *   <li>Colours: a sequential map of this project's own, dark violet through red and orange to pale yellow, whose
 *       lightness rises strictly from one end to the other (so it stays readable in grey); NaN is drawn in
 *       {@link #NAN_RGB}, a cyan that the map never produces.</li>
 *   <li>Range: {@code [min(0, smallest finite value), largest finite value]} unless given; values outside it are
 *       clamped (so {@code +inf} is drawn in the top colour, {@code -inf} in the bottom one). On a log scale the
 *       lower end defaults to the smallest positive value, but no lower than {@code max * 1e-6}; positive values
 *       take the map from {@link #LOG_POSITIVE_FROM} up (those at or below the lower end its first colour), and
 *       the bottom colour is kept for zeros and below (masked keys), so the smallest weight never looks masked
 *       and a one-hot map is not one flat colour.</li>
 *   <li>Size: small matrices are enlarged by whole-pixel nearest-neighbour blocks until each side is at least
 *       {@code minSide} pixels (where that keeps it within {@code maxSide}); a side longer than {@code maxSide}
 *       is reduced by max-pooling, so a one-cell-wide diagonal survives the reduction. A pooled block holding a
 *       NaN is drawn as NaN: a poisoned cell is never hidden.</li>
 * </ul>
 *
 * <p>Instances are immutable and thread-safe; configure one with {@link #builder()}.
 */
public final class HeatmapPng {

    /** How values map to the colour scale. */
    public enum Scale {
        /** Position on the colour map proportional to the value. */
        LINEAR,
        /** Position proportional to the value's logarithm (good for weights spanning decades). */
        LOG
    }

    /** The colour (0xRRGGBB) of NaN cells. */
    public static final int NAN_RGB = 0x28C8DC;

    /**
     * On a log scale, where on the colour map the smallest positive value sits: the map below it is reserved for
     * zeros and negative values (masked keys), which have no logarithm.
     */
    public static final double LOG_POSITIVE_FROM = 0.1;

    /** The default lower bound of a log scale, relative to the upper one. */
    public static final double DEFAULT_LOG_FLOOR = 1e-6;

    /** Anchor positions and colours of the map; the LUT interpolates between them in sRGB. */
    private static final double[] ANCHOR_AT = {0.00, 0.22, 0.46, 0.70, 0.87, 1.00};
    private static final int[] ANCHOR_RGB = {0x0C0726, 0x3E1470, 0x9A2478, 0xE55C3E, 0xF9AA30, 0xFAF6BE};
    private static final int LUT_SIZE = 256;
    private static final int[] LUT = buildLut();

    private static final int BAR_GAP = 8;
    private static final int BAR_WIDTH = 24;

    private final Scale scale;
    private final double lo;
    private final double hi;
    private final int minSide;
    private final int maxSide;
    private final boolean colorBar;
    /** The annotated form's title, or null for the bare map. */
    private final String title;

    private HeatmapPng(Builder b) {
        this.scale = b.scale;
        this.lo = b.lo;
        this.hi = b.hi;
        this.minSide = b.minSide;
        this.maxSide = b.maxSide;
        this.colorBar = b.colorBar;
        this.title = b.title;
    }

    /** A builder: linear scale, automatic range, 256 to 1024 pixels per side, no colour bar. */
    public static Builder builder() {
        return new Builder();
    }

    /** The colour map at {@code t} in {@code [0, 1]} (clamped), as 0xRRGGBB. NaN gives {@link #NAN_RGB}. */
    public static int color(double t) {
        if (Double.isNaN(t)) {
            return NAN_RGB;
        }
        double c = Math.max(0.0, Math.min(1.0, t));
        return LUT[(int) Math.round(c * (LUT_SIZE - 1))];
    }

    /** The number of distinct colours of the map. */
    public static int levels() {
        return LUT_SIZE;
    }

    /** Writes a rank-2 tensor {@code [rows, cols]} as a PNG; see {@link #write(float[], int, int, int, Path)}. */
    public void write(Tensor matrix, Path out) throws IOException {
        Objects.requireNonNull(matrix, "matrix");
        if (matrix.rank() != 2) {
            throw new IllegalArgumentException("heatmap matrix must have rank 2 [rows, cols], got shape "
                    + Tensor.shapeString(matrix.shape()));
        }
        write(matrix.data(), 0, matrix.dim(0), matrix.dim(1), out);
    }

    /** The PNG's text chunks: what the picture is, for viewers and for whoever finds the file later. */
    private Map<String, String> describe(int rows, int cols, double[] range) {
        Map<String, String> text = new java.util.LinkedHashMap<>();
        if (title != null) {
            text.put("Title", title);
        }
        text.put("Software", "attention4j");
        text.put("Description", "attention map, " + rows + " queries (rows) x " + cols + " keys (columns), "
                + scale.name().toLowerCase(java.util.Locale.ROOT) + " colour scale"
                + ", range " + rangeText(range) + (Double.isNaN(lo) ? " (automatic)" : "")
                + (scale == Scale.LOG ? "; zeros and masked keys in the bottom colour" : "")
                + "; NaN cells in cyan");
        return text;
    }

    /** The resolved range as the colours span it (a log scale's ends back from the log domain). */
    private String rangeText(double[] range) {
        if (Double.isNaN(range[0])) {
            return "none (no finite value)";
        }
        boolean log = scale == Scale.LOG;
        double bottom = log ? Math.exp(range[0]) : range[0];
        double top = log ? Math.exp(range[1]) : range[1];
        return "[" + (float) bottom + ", " + (float) top + "]";
    }

    private static void writePng(BufferedImage img, Path file, Map<String, String> text) throws IOException {
        java.util.Iterator<javax.imageio.ImageWriter> it = ImageIO.getImageWritersByFormatName("png");
        if (!it.hasNext()) {
            throw new IOException("no PNG writer available in this JVM");
        }
        javax.imageio.ImageWriter writer = it.next();
        try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
            javax.imageio.metadata.IIOMetadata meta = writer.getDefaultImageMetadata(
                    javax.imageio.ImageTypeSpecifier.createFromRenderedImage(img), param);
            String format = "javax_imageio_png_1.0";
            javax.imageio.metadata.IIOMetadataNode chunk = new javax.imageio.metadata.IIOMetadataNode("tEXt");
            for (Map.Entry<String, String> e : text.entrySet()) {
                javax.imageio.metadata.IIOMetadataNode entry = new javax.imageio.metadata.IIOMetadataNode("tEXtEntry");
                entry.setAttribute("keyword", e.getKey());
                // tEXt is Latin-1: anything else would be mangled, so it is replaced.
                entry.setAttribute("value", e.getValue().replaceAll("[^\\x20-\\x7e\\xa0-\\xff]", "?"));
                chunk.appendChild(entry);
            }
            javax.imageio.metadata.IIOMetadataNode root = new javax.imageio.metadata.IIOMetadataNode(format);
            root.appendChild(chunk);
            meta.mergeTree(format, root);
            writer.write(new javax.imageio.IIOImage(img, null, meta));
        } finally {
            writer.dispose();
        }
    }

    /**
     * Renders {@code data[offset .. offset + rows*cols)} read as a row-major {@code [rows, cols]} matrix and writes
     * it to {@code out} atomically: the PNG goes to a temporary file next to {@code out} that is then moved over
     * it, so a failure never leaves a partial file behind.
     *
     * @throws IllegalArgumentException when the matrix does not fit the array or a dimension is below 1
     * @throws IOException              when the file cannot be written
     */
    public void write(float[] data, int offset, int rows, int cols, Path out) throws IOException {
        Objects.requireNonNull(out, "out");
        BufferedImage img = render(data, offset, rows, cols);
        double[] range = resolveRange(data, offset, rows * cols);
        FileChecks.checkOutputs(Map.of(out.toString(), out), Map.of());
        Path target = out.toAbsolutePath();
        Path tmp = FileChecks.createTempBeside(target);
        try {
            writePng(img, tmp, describe(rows, cols, range));
            FileChecks.moveIntoPlace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Renders {@code data[offset .. offset + rows*cols)} (row-major {@code [rows, cols]}) to an RGB image.
     *
     * @throws IllegalArgumentException when the matrix does not fit the array or a dimension is below 1
     */
    public BufferedImage render(float[] data, int offset, int rows, int cols) {
        Objects.requireNonNull(data, "data");
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("heatmap needs at least one row and one column, got [rows, cols] = ["
                    + rows + ", " + cols + "]");
        }
        long need = (long) rows * cols;
        if (offset < 0 || offset + need > data.length) {
            throw new IllegalArgumentException("heatmap matrix [" + rows + ", " + cols + "] at offset " + offset
                    + " does not fit in data of length " + data.length);
        }
        double[] range = resolveRange(data, offset, (int) need);
        Axis ax = Axis.of(rows, cols, minSide, maxSide);
        Axis ay = Axis.of(cols, rows, minSide, maxSide);
        int h = ax.pixels;
        int w = ay.pixels;
        boolean framed = title != null;
        int barW = colorBar && !framed ? BAR_GAP + BAR_WIDTH : 0;
        BufferedImage img = new BufferedImage(w + barW, h, BufferedImage.TYPE_INT_RGB);
        int[] line = new int[w];
        for (int py = 0; py < h; py++) {
            int r0 = ax.first(py), r1 = ax.end(py, rows);
            for (int px = 0; px < w; px++) {
                int c0 = ay.first(px), c1 = ay.end(px, cols);
                line[px] = colorOf(pool(data, offset, cols, r0, r1, c0, c1), range);
            }
            img.setRGB(0, py, w, 1, line, 0, w);
        }
        if (colorBar && !framed) {
            drawBar(img, w, h, scale == Scale.LOG);
        }
        if (!framed) {
            return img;
        }
        boolean hasNan = false;
        for (int i = offset; i < offset + need && !hasNan; i++) {
            hasNan = Float.isNaN(data[i]);
        }
        boolean log = scale == Scale.LOG;
        double bottom = log ? Math.exp(range[0]) : range[0];
        double top = log ? Math.exp(range[1]) : range[1];
        return HeatmapFrame.compose(img, title, rows, cols, bottom, top, log, hasNan);
    }

    /** The value of a pooled block: NaN if any cell is NaN, else the maximum. */
    private static float pool(float[] data, int offset, int cols, int r0, int r1, int c0, int c1) {
        float m = Float.NEGATIVE_INFINITY;
        for (int r = r0; r < r1; r++) {
            int base = offset + r * cols;
            for (int c = c0; c < c1; c++) {
                float x = data[base + c];
                if (Float.isNaN(x)) {
                    return Float.NaN;
                }
                if (x > m) {
                    m = x;
                }
            }
        }
        return m;
    }

    /** {@code [lo, hi]} with the defaults filled in from the finite values of the matrix. */
    private double[] resolveRange(float[] data, int offset, int n) {
        double top = hi;
        double bottom = lo;
        if (Double.isNaN(top) || Double.isNaN(bottom)) {
            double mx = Double.NEGATIVE_INFINITY, mn = Double.POSITIVE_INFINITY, minPositive = Double.POSITIVE_INFINITY;
            for (int i = offset; i < offset + n; i++) {
                float x = data[i];
                if (Float.isFinite(x)) {
                    mx = Math.max(mx, x);
                    mn = Math.min(mn, x);
                    if (x > 0) {
                        minPositive = Math.min(minPositive, x);
                    }
                }
            }
            if (Double.isNaN(top)) {
                top = mx == Double.NEGATIVE_INFINITY ? 1.0 : mx;
            }
            if (Double.isNaN(bottom)) {
                if (scale == Scale.LOG) {
                    // The whole colour map for the decades present, but no more than DEFAULT_LOG_FLOOR's worth.
                    bottom = top > 0 ? Math.max(top * DEFAULT_LOG_FLOOR, Math.min(minPositive, top)) : Double.NaN;
                } else {
                    bottom = mn == Double.POSITIVE_INFINITY ? 0.0 : Math.min(0.0, mn);
                }
            }
        }
        if (scale == Scale.LOG) {
            if (!(top > 0)) {
                // Nothing positive to show on a log scale: everything takes the bottom colour.
                return new double[] {Double.NaN, Double.NaN};
            }
            return new double[] {Math.log(bottom), Math.log(top)};
        }
        return new double[] {bottom, top};
    }

    private int colorOf(float x, double[] range) {
        if (Float.isNaN(x)) {
            return NAN_RGB;
        }
        double lo0 = range[0], hi0 = range[1];
        if (Double.isNaN(lo0)) {
            return LUT[0];
        }
        if (scale == Scale.LOG) {
            if (!(x > 0)) {
                return LUT[0];   // zeros and masked keys: the bottom colour, which no positive value takes
            }
            double t = hi0 <= lo0 ? 1.0 : (Math.log(x) - lo0) / (hi0 - lo0);
            return color(LOG_POSITIVE_FROM + (1 - LOG_POSITIVE_FROM) * Math.max(0.0, Math.min(1.0, t)));
        }
        double v = x;
        if (hi0 <= lo0) {
            // Only an automatic range over a constant matrix <= 0 (all-zero weights of a masked head): nothing to
            // tell apart, so everything takes the bottom colour.
            return LUT[0];
        }
        return color((v - lo0) / (hi0 - lo0));
    }

    /** The bare bar: on a log scale only the colours positive values take (the bottom one is for zeros). */
    private static void drawBar(BufferedImage img, int x0, int h, boolean log) {
        int bg = 0xFFFFFF;
        double from = log ? LOG_POSITIVE_FROM : 0.0;
        for (int y = 0; y < h; y++) {
            // Top of the bar is the top of the scale.
            double t = h == 1 ? 1.0 : 1.0 - (double) y / (h - 1);
            int rgb = color(from + (1 - from) * t);
            for (int x = 0; x < BAR_GAP + BAR_WIDTH; x++) {
                img.setRGB(x0 + x, y, x < BAR_GAP ? bg : rgb);
            }
        }
    }

    private static int[] buildLut() {
        int[] lut = new int[LUT_SIZE];
        for (int i = 0; i < LUT_SIZE; i++) {
            double t = (double) i / (LUT_SIZE - 1);
            int k = 0;
            while (k < ANCHOR_AT.length - 2 && t > ANCHOR_AT[k + 1]) {
                k++;
            }
            double u = (t - ANCHOR_AT[k]) / (ANCHOR_AT[k + 1] - ANCHOR_AT[k]);
            int a = ANCHOR_RGB[k], b = ANCHOR_RGB[k + 1];
            int r = mix(a >> 16, b >> 16, u), g = mix(a >> 8, b >> 8, u), bl = mix(a, b, u);
            lut[i] = (r << 16) | (g << 8) | bl;
        }
        return lut;
    }

    private static int mix(int a, int b, double u) {
        int ca = a & 0xFF, cb = b & 0xFF;
        return (int) Math.round(ca + (cb - ca) * u);
    }

    /**
     * How one matrix axis maps to pixels: {@code up} pixels per cell, or {@code pool} cells per pixel.
     */
    private static final class Axis {
        final int up;
        final int pool;
        final int pixels;

        private Axis(int up, int pool, int pixels) {
            this.up = up;
            this.pool = pool;
            this.pixels = pixels;
        }

        /**
         * @param n     this axis' cell count
         * @param other the other axis' cell count
         */
        static Axis of(int n, int other, int minSide, int maxSide) {
            if (n > maxSide) {
                int pool = (n + maxSide - 1) / maxSide;
                return new Axis(1, pool, (n + pool - 1) / pool);
            }
            // A common factor keeps square cells where both sides allow it: enough to bring the shorter side to
            // minSide, no more than keeps the longer one within maxSide.
            int big = Math.max(n, other), small = Math.min(n, other);
            int up = big > maxSide ? 1 : Math.max(1, Math.min(maxSide / big, ceilDiv(minSide, small)));
            if (n * up < minSide) {
                // This side alone is still short (a long, thin matrix): stretch it on its own.
                up = Math.max(up, Math.min(ceilDiv(minSide, n), maxSide / n));
            }
            return new Axis(up, 1, n * up);
        }

        int first(int pixel) {
            return pool > 1 ? pixel * pool : pixel / up;
        }

        int end(int pixel, int n) {
            return pool > 1 ? Math.min(n, (pixel + 1) * pool) : pixel / up + 1;
        }

        private static int ceilDiv(int a, int b) {
            return (a + b - 1) / b;
        }
    }

    /** Settings of a {@link HeatmapPng}; each setter checks its argument. */
    public static final class Builder {
        private Scale scale = Scale.LINEAR;
        private double lo = Double.NaN;
        private double hi = Double.NaN;
        private int minSide = 256;
        private int maxSide = 1024;
        private boolean colorBar;
        private String title;

        private Builder() {
        }

        /**
         * Annotates the image: this title above the map, query and key indices along its sides, and a colour bar
         * labelled with values (the PNG's text metadata carries the title too). Without a title the image is the
         * bare map, each cell a block of pixels, as tests and image diffs want it.
         */
        public Builder title(String title) {
            Objects.requireNonNull(title, "title");
            for (int i = 0; i < title.length(); i++) {
                char c = title.charAt(i);
                if (c < 0x20 || c == 0x7f) {
                    throw new IllegalArgumentException("heatmap title must not hold control characters, got "
                            + title.replaceAll("\\p{Cntrl}", "?"));
                }
            }
            this.title = title;
            return this;
        }

        /** Linear or log scale; default linear. */
        public Builder scale(Scale scale) {
            this.scale = Objects.requireNonNull(scale, "scale");
            return this;
        }

        /** Shorthand for {@code scale(on ? LOG : LINEAR)}. */
        public Builder log(boolean on) {
            return scale(on ? Scale.LOG : Scale.LINEAR);
        }

        /**
         * A fixed value range instead of the automatic one; both finite, {@code lo < hi}, and {@code lo > 0} on a
         * log scale (checked when the heatmap is built).
         */
        public Builder range(double lo, double hi) {
            if (!Double.isFinite(lo) || !Double.isFinite(hi) || !(lo < hi)) {
                throw new IllegalArgumentException("heatmap range must be finite with lo < hi, got [" + lo + ", "
                        + hi + "]");
            }
            this.lo = lo;
            this.hi = hi;
            return this;
        }

        /** Size limits in pixels per side: enlarge up to {@code minSide}, pool down to {@code maxSide}. */
        public Builder sides(int minSide, int maxSide) {
            if (minSide < 1 || maxSide < minSide) {
                throw new IllegalArgumentException("heatmap sides need 1 <= minSide <= maxSide, got minSide="
                        + minSide + ", maxSide=" + maxSide);
            }
            this.minSide = minSide;
            this.maxSide = maxSide;
            return this;
        }

        /** Whether to draw a colour bar (bottom of the range at the bottom) to the right of the map. */
        public Builder colorBar(boolean on) {
            this.colorBar = on;
            return this;
        }

        /** The heatmap renderer. */
        public HeatmapPng build() {
            if (scale == Scale.LOG && !Double.isNaN(lo) && lo <= 0) {
                throw new IllegalArgumentException("a log-scale heatmap needs a range with lo > 0, got [" + lo + ", "
                        + hi + "]");
            }
            return new HeatmapPng(this);
        }
    }
}

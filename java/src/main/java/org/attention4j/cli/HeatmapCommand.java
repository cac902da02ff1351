package org.attention4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.attention4j.Tensor;
import org.attention4j.io.FileChecks;
import org.attention4j.io.HeatmapPng;
import org.attention4j.io.Npy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code heatmap}: draws one attention map from a weights {@code .npy} ({@code [B, H, Nq, Nk]} as {@code attend
 * --weights} writes it, or a plain {@code [Nq, Nk]} matrix) as a PNG: queries down, keys across.
 *
 * <p>Everything is checked before the PNG is written (and the write is atomic), so bad input leaves no file.
 */
@Command(name = "heatmap",
        description = {"Draws one [Nq, Nk] attention map of a weights .npy ([B, H, Nq, Nk] or [Nq, Nk], float32) as a "
                + "PNG heatmap (rows = queries, columns = keys; NaN in cyan).",
            "Exit status: 0 written, 2 bad usage or input."})
public final class HeatmapCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "F.npy",
            description = "Attention weights, float32 [B, H, Nq, Nk] or [Nq, Nk].",
            converter = FilePathConverter.class)
    Path weights;

    @Option(names = "--out", required = true, paramLabel = "F.png", description = "The PNG to write.",
            converter = FilePathConverter.class)
    Path out;

    @Option(names = "--batch", defaultValue = "0", paramLabel = "b", description = "Batch index (default: 0).")
    int batch;

    @Option(names = "--head", defaultValue = "0", paramLabel = "h", description = "Head index (default: 0).")
    int head;

    @Option(names = "--log", description = "Log colour scale (for weights spanning decades).")
    boolean log;

    @Option(names = "--color-bar", description = "With --plain: draw an unlabelled colour bar (bottom of the range at "
            + "the bottom). The annotated map always has a labelled one.")
    boolean colorBar;

    @Option(names = "--plain", description = "The bare map only (one block of pixels per cell), without title, axes "
            + "and labelled colour bar.")
    boolean plain;

    @Option(names = "--title", paramLabel = "TEXT",
            description = "Title above the map (default: the file, batch, head and shape).")
    String title;

    @Override
    public Integer call() throws IOException {
        FileChecks.checkInput(weights, "--weights " + weights);
        FileChecks.checkOutputs(Map.of("--out", out), Map.of("--weights", weights));
        Tensor w = Npy.readTensor(weights);
        int[] s = w.shape();
        String shape = Tensor.shapeString(s);
        int rows, cols, offset;
        if (s.length == 4) {
            checkIndex("--batch", batch, s[0], "B", shape);
            checkIndex("--head", head, s[1], "H", shape);
            rows = s[2];
            cols = s[3];
            offset = (int) (((long) batch * s[1] + head) * rows * cols);
        } else if (s.length == 2) {
            if (batch != 0 || head != 0) {
                throw new IllegalArgumentException("--batch/--head must be 0 for a 2-D weights matrix, got --batch "
                        + batch + " --head " + head + " for " + weights + " of shape " + shape);
            }
            rows = s[0];
            cols = s[1];
            offset = 0;
        } else {
            throw new IllegalArgumentException("--weights " + weights + " must have rank 4 [B, H, Nq, Nk] or 2 "
                    + "[Nq, Nk], got shape " + shape);
        }
        if (rows == 0 || cols == 0) {
            throw new IllegalArgumentException("--weights " + weights + " of shape " + shape + " has an empty map [Nq, Nk] = ["
                    + rows + ", " + cols + "]");
        }
        HeatmapPng.Builder png = HeatmapPng.builder().log(log).colorBar(colorBar);
        if (!plain) {
            png.title(title != null ? title : weights.getFileName() + (s.length == 4 ? " batch " + batch + " head "
                    + head : "") + " [" + rows + " x " + cols + "]" + (log ? " log" : ""));
        }
        png.build().write(w.data(), offset, rows, cols, out);

        PrintWriter pw = spec.commandLine().getOut();
        pw.println(describe(w.data(), offset, rows, cols, s.length == 4));
        pw.flush();
        return 0;
    }

    private static void checkIndex(String option, int value, int size, String dim, String shape) {
        if (value < 0 || value >= size) {
            throw new IllegalArgumentException(option + " " + value + " is out of range [0, " + size + ") for weights "
                    + shape + " (" + dim + "=" + size + ")");
        }
    }

    private String describe(float[] data, int offset, int rows, int cols, boolean sliced) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        long nan = 0;
        for (int i = offset; i < offset + rows * cols; i++) {
            float x = data[i];
            if (Float.isNaN(x)) {
                nan++;
            } else {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
        }
        String slice = sliced ? " batch " + batch + " head " + head : "";
        String range = min > max ? "all " + nan + " values NaN" : "values " + fmt(min) + " .. " + fmt(max);
        return String.format(Locale.ROOT, "wrote %s: %s%s, [%d x %d] (queries x keys), %s%s, %s scale",
                out, weights, slice, rows, cols, range, nan == 0 || min > max ? "" : ", " + nan + " NaN",
                log ? "log" : "linear");
    }

    private static String fmt(double x) {
        return Double.isInfinite(x) ? (x > 0 ? "inf" : "-inf") : String.format(Locale.ROOT, "%.4g", x);
    }
}

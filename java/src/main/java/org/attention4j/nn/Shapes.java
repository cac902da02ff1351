package org.attention4j.nn;

import java.util.Objects;

import org.attention4j.AttentionEngine;
import org.attention4j.Tensor;

/** Argument checks shared by the layers, so that every message names the argument and its shape the same way. */
final class Shapes {
    private Shapes() {
    }

    /** Requires {@code [B, N, lastDim]}; {@code layout} describes the expected shape in the message. */
    static void requireRank3(Tensor t, String name, int lastDim, String layout) {
        Objects.requireNonNull(t, name);
        if (t.rank() != 3 || t.dim(2) != lastDim) {
            throw new IllegalArgumentException(name + " must have shape " + layout + " with last dim " + lastDim
                    + ", got " + Tensor.shapeString(t.shape()));
        }
    }

    /** Requires rank >= 1 and the given last dim. */
    static void requireLastDim(Tensor t, String name, int lastDim) {
        Objects.requireNonNull(t, name);
        if (t.rank() < 1 || t.dim(-1) != lastDim) {
            throw new IllegalArgumentException(name + " must have last dim " + lastDim + ", got shape "
                    + Tensor.shapeString(t.shape()));
        }
    }

    /** Requires exactly {@code expected}. */
    static void requireShape(Tensor t, String name, int... expected) {
        Objects.requireNonNull(t, name);
        if (!java.util.Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(name + " must have shape " + Tensor.shapeString(expected) + ", got "
                    + Tensor.shapeString(t.shape()));
        }
    }

    /** Requires {@code value >= 1}. */
    static int positive(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
        return value;
    }

    /** A tensor {@code [n]} of ones (a norm's initial scale). */
    static Tensor ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return Tensor.of(a, n);
    }

    /**
     * {@code row(r)} for every row: on {@code engine}'s workers ({@link AttentionEngine#parallelFor}) when there is
     * an engine, more than one row and at least {@code threshold} units of work, else on the calling thread.
     */
    static void forEachRow(AttentionEngine engine, int rows, long work, long threshold,
            java.util.function.IntConsumer row) {
        if (engine != null && rows > 1 && work >= threshold) {
            engine.parallelFor(rows, row);
        } else {
            for (int r = 0; r < rows; r++) {
                row.accept(r);
            }
        }
    }

    /** One row of a row-wise layer: row {@code r} of {@code in} (rows of the layer's dim) into {@code out}. */
    interface RowOp {
        void apply(float[] in, float[] out, int r);
    }

    /**
     * A new tensor of {@code x}'s shape, row by row ({@link #forEachRow}, one unit of work per element): the
     * forward pass of the normalisation layers.
     *
     * @throws IllegalArgumentException when the last dimension of {@code x} is not {@code dim}
     */
    static Tensor mapRows(AttentionEngine engine, Tensor x, int dim, long threshold, RowOp op) {
        requireLastDim(x, "x", dim);
        float[] in = x.data();
        float[] out = new float[in.length];
        forEachRow(engine, in.length / dim, in.length, threshold, r -> op.apply(in, out, r));
        return Tensor.of(out, x.shape());
    }
}

package org.attention4j.nn;

import java.util.Objects;

import org.attention4j.AttentionEngine;
import org.attention4j.Tensor;

/**
 * Root-mean-square normalisation (Zhang and Sennrich; Llama, T5): {@code y = x / sqrt(mean(x^2) + eps) * weight}
 * per row of {@code E} features, with no mean subtracted and no shift, as {@code torch.nn.RMSNorm} and Llama's
 * {@code LlamaRMSNorm} compute it (the sum in float64, one rounding to float32). Immutable and thread-safe.
 */
public final class RmsNorm implements Norm {
    /** Llama's default epsilon. */
    public static final double DEFAULT_EPS = 1e-6;
    private static final long PARALLEL_THRESHOLD = 1L << 18;

    private final int dim;
    private final float[] weight;
    private final double eps;

    /**
     * @param weight the scale {@code [E]}
     * @param eps    added to the mean square; finite and {@code >= 0}
     * @throws IllegalArgumentException when the shape or {@code eps} is out of range
     */
    public RmsNorm(Tensor weight, double eps) {
        Objects.requireNonNull(weight, "weight");
        if (weight.rank() != 1 || weight.dim(0) < 1) {
            throw new IllegalArgumentException("weight must have shape [E] with E >= 1, got "
                    + Tensor.shapeString(weight.shape()));
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        }
        this.dim = weight.dim(0);
        this.weight = weight.data().clone();
        this.eps = eps;
    }

    /** A layer over {@code dim} features with weight 1. */
    public RmsNorm(int dim) {
        this(Shapes.ones(Shapes.positive(dim, "dim")), DEFAULT_EPS);
    }

    @Override
    public int dim() {
        return dim;
    }

    /** The epsilon. */
    public double eps() {
        return eps;
    }

    /** {@link #forward(AttentionEngine, Tensor)} on the calling thread. */
    public Tensor forward(Tensor x) {
        return forward(null, x);
    }

    @Override
    public Tensor forward(AttentionEngine engine, Tensor x) {
        return Shapes.mapRows(engine, x, dim, PARALLEL_THRESHOLD, this::row);
    }

    private void row(float[] in, float[] out, int r) {
        int off = r * dim;
        double sq = 0;
        for (int c = 0; c < dim; c++) {
            double v = in[off + c];
            sq += v * v;
        }
        double inv = 1.0 / Math.sqrt(sq / dim + eps);
        for (int c = 0; c < dim; c++) {
            out[off + c] = (float) (in[off + c] * inv * weight[c]);
        }
    }

    @Override
    public String toString() {
        return "RmsNorm(" + dim + ", eps " + eps + ")";
    }
}

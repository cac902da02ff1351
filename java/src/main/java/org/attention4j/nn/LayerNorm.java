package org.attention4j.nn;

import java.util.Objects;

import org.attention4j.AttentionEngine;
import org.attention4j.Tensor;

/**
 * Layer normalisation over the last dimension (Ba, Kiros and Hinton), as {@code torch.nn.LayerNorm(E)}:
 * {@code y = (x - mean) / sqrt(var + eps) * gamma + beta}, with the biased variance (divided by {@code E}).
 *
 * <p>Mean and variance are accumulated in float64 in two passes (mean first, then the squared deviations from it),
 * which avoids the cancellation of the one-pass {@code E[x^2] - E[x]^2} formula on inputs with a large offset.
 * The parameters are copied; the layer is immutable and thread-safe.
 */
public final class LayerNorm implements Norm {
    /** PyTorch's default epsilon. */
    public static final double DEFAULT_EPS = 1e-5;

    /** Below this many elements a call stays on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 18;

    private final int dim;
    private final float[] gamma;
    private final float[] beta;
    private final double eps;

    /** A layer over {@code dim} features with {@code gamma = 1}, {@code beta = 0} and the default epsilon. */
    public LayerNorm(int dim) {
        this(Shapes.ones(Shapes.positive(dim, "dim")), Tensor.zeros(dim), DEFAULT_EPS);
    }

    /**
     * A layer with the given parameters.
     *
     * @param gamma the scale {@code [E]}
     * @param beta  the shift {@code [E]}
     * @param eps   added to the variance; finite and {@code >= 0}
     * @throws IllegalArgumentException when the shapes differ or {@code eps} is out of range
     */
    public LayerNorm(Tensor gamma, Tensor beta, double eps) {
        Objects.requireNonNull(gamma, "gamma");
        if (gamma.rank() != 1 || gamma.dim(0) < 1) {
            throw new IllegalArgumentException("gamma must have shape [E] with E >= 1, got "
                    + Tensor.shapeString(gamma.shape()));
        }
        this.dim = gamma.dim(0);
        Shapes.requireShape(beta, "beta", dim);
        if (!Double.isFinite(eps) || eps < 0) {
            throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        }
        this.gamma = gamma.data().clone();
        this.beta = beta.data().clone();
        this.eps = eps;
    }


    /** The normalised dimension {@code E}. */
    @Override
    public int dim() {
        return dim;
    }

    /** The epsilon. */
    public double eps() {
        return eps;
    }

    /** A copy of gamma {@code [E]}. */
    public Tensor gamma() {
        return Tensor.of(gamma.clone(), dim);
    }

    /** A copy of beta {@code [E]}. */
    public Tensor beta() {
        return Tensor.of(beta.clone(), dim);
    }

    /**
     * Normalises every row of {@code x [..., E]}, returning a new tensor of the same shape.
     *
     * @throws IllegalArgumentException when the last dimension is not {@code E}
     */
    public Tensor forward(Tensor x) {
        return forward(null, x);
    }

    /**
     * {@link #forward(Tensor)} with the rows on {@code engine}'s worker threads ({@link AttentionEngine#parallelFor})
     * when the work is large enough; null runs them on the calling thread.
     *
     * @throws IllegalArgumentException when the last dimension is not {@code E}
     */
    @Override
    public Tensor forward(AttentionEngine engine, Tensor x) {
        return Shapes.mapRows(engine, x, dim, PARALLEL_THRESHOLD, this::row);
    }

    private void row(float[] in, float[] out, int r) {
        int off = r * dim;
        double sum = 0;
        for (int c = 0; c < dim; c++) {
            sum += in[off + c];
        }
        double mean = sum / dim;
        double sq = 0;
        for (int c = 0; c < dim; c++) {
            double d = in[off + c] - mean;
            sq += d * d;
        }
        double inv = 1.0 / Math.sqrt(sq / dim + eps);
        for (int c = 0; c < dim; c++) {
            out[off + c] = (float) ((in[off + c] - mean) * inv * gamma[c] + beta[c]);
        }
    }

    @Override
    public String toString() {
        return "LayerNorm(" + dim + ", eps=" + eps + ")";
    }
}

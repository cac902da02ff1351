package org.attention4j.nn;

import java.util.Objects;

import org.attention4j.Tensor;

/**
 * The fixed sinusoidal positional encoding of "Attention Is All You Need" (Vaswani et al.):
 * {@code PE[pos, 2i] = sin(pos / base^(2i/E))} and {@code PE[pos, 2i+1] = cos(pos / base^(2i/E))}, base 10000 by
 * default.
 *
 * <p>Column {@code c} uses the frequency of its pair {@code i = floor(c/2)}: sine in even columns, cosine in odd
 * ones. For an odd {@code E} the last column {@code E-1} is even and holds a sine without its cosine partner, with
 * frequency {@code base^(-(E-1)/E)}; the exponent keeps dividing by {@code E}, so the other columns are exactly
 * those of the formula. Values are computed in float64 (positions are exact there up to 2^53) and rounded once.
 * The encoding has no state beyond {@code E} and the base: it is immutable and thread-safe.
 */
public final class SinusoidalPositionalEncoding {
    /** The base of the paper. */
    public static final double DEFAULT_BASE = 10000.0;

    private final int dim;
    private final double base;
    /** {@code base^(-2i/E)} per column, so that a table row costs one multiply per element besides sin/cos. */
    private final double[] frequency;

    /** The encoding for embedding size {@code dim} with base 10000. */
    public SinusoidalPositionalEncoding(int dim) {
        this(dim, DEFAULT_BASE);
    }

    /**
     * The encoding for embedding size {@code dim} with the given base.
     *
     * @throws IllegalArgumentException when {@code dim < 1} or the base is not finite and {@code > 0}
     */
    public SinusoidalPositionalEncoding(int dim, double base) {
        this.dim = Shapes.positive(dim, "dim");
        if (!Double.isFinite(base) || base <= 0) {
            throw new IllegalArgumentException("base must be finite and > 0, got " + base);
        }
        this.base = base;
        frequency = new double[dim];
        for (int c = 0; c < dim; c++) {
            int i = c / 2;
            frequency[c] = Math.pow(base, -2.0 * i / dim);
        }
    }

    /** The embedding size {@code E}. */
    public int dim() {
        return dim;
    }

    /** The base. */
    public double base() {
        return base;
    }

    /** The encodings of positions {@code 0 .. n-1}, {@code [n, E]}. */
    public Tensor table(int n) {
        return table(0, n);
    }

    /**
     * The encodings of positions {@code start .. start+n-1}, {@code [n, E]}.
     *
     * @throws IllegalArgumentException when {@code start} or {@code n} is negative or the table would not fit
     */
    public Tensor table(int start, int n) {
        if (start < 0 || n < 0) {
            throw new IllegalArgumentException("start and n must be >= 0, got start=" + start + ", n=" + n);
        }
        long count = Tensor.elementCount(new int[] {n, dim}, "table [n, E]");
        float[] t = new float[(int) count];
        for (int p = 0; p < n; p++) {
            double pos = (double) start + p;
            int off = p * dim;
            for (int c = 0; c < dim; c++) {
                double angle = pos * frequency[c];
                t[off + c] = (float) ((c & 1) == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        return Tensor.of(t, n, dim);
    }

    /**
     * {@code x [B, N, E]} plus the encodings of positions {@code startPosition .. startPosition+N-1} (the same for
     * every batch entry), as a new tensor; {@code x} is left unchanged. A non-zero start serves decoding, where the
     * new tokens follow the cached ones.
     *
     * @throws IllegalArgumentException when {@code x} is not {@code [B, N, E]} or {@code startPosition < 0}
     */
    public Tensor addTo(Tensor x, int startPosition) {
        int n = PositionalEncodings.checkInput(x, dim, startPosition);
        float[] out = new float[x.size()];
        PositionalEncodings.add(x.data(), table(startPosition, n).data(), out, x.dim(0), n, dim);
        return Tensor.of(out, x.shape());
    }

    /** {@link #addTo(Tensor, int)} from position 0. */
    public Tensor addTo(Tensor x) {
        return addTo(x, 0);
    }

    /** Like {@link #addTo(Tensor, int)} but adds into {@code x}'s own array and returns {@code x}. */
    public Tensor addInPlace(Tensor x, int startPosition) {
        int n = PositionalEncodings.checkInput(Objects.requireNonNull(x, "x"), dim, startPosition);
        PositionalEncodings.add(x.data(), table(startPosition, n).data(), x.data(), x.dim(0), n, dim);
        return x;
    }

    @Override
    public String toString() {
        return "SinusoidalPositionalEncoding(" + dim + ", base=" + base + ")";
    }
}

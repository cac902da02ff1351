package org.attention4j.nn;

import java.util.Objects;
import java.util.SplittableRandom;

import org.attention4j.Tensor;

/**
 * A learned (absolute) positional encoding, as in BERT, GPT-2 and ViT: a table {@code [maxLen, E]} whose row
 * {@code p} is added to the embedding at position {@code p}. Positions at or beyond {@code maxLen} have no row and
 * are refused. The table is copied; the encoding is immutable and thread-safe.
 */
public final class LearnedPositionalEncoding {
    /** The standard deviation of {@link #random}: the 0.02 of GPT-2 and ViT. */
    public static final double INIT_STD = 0.02;

    private final int maxLen;
    private final int dim;
    private final float[] table;

    /**
     * An encoding with the given table.
     *
     * @param table {@code [maxLen, E]}, e.g. a trained {@code nn.Embedding} weight or ViT's {@code pos_embed[0]}
     * @throws IllegalArgumentException when the table is not rank 2 with both dimensions {@code >= 1}
     */
    public LearnedPositionalEncoding(Tensor table) {
        Objects.requireNonNull(table, "table");
        if (table.rank() != 2 || table.dim(0) < 1 || table.dim(1) < 1) {
            throw new IllegalArgumentException("table must have shape [maxLen, E] with both >= 1, got "
                    + Tensor.shapeString(table.shape()));
        }
        this.maxLen = table.dim(0);
        this.dim = table.dim(1);
        this.table = table.data().clone();
    }

    /** A table drawn from {@code N(0, 0.02^2)} with the given seed. */
    public static LearnedPositionalEncoding random(int maxLen, int dim, long seed) {
        Shapes.positive(maxLen, "maxLen");
        Shapes.positive(dim, "dim");
        long n = Tensor.elementCount(new int[] {maxLen, dim}, "table [maxLen, E]");
        float[] t = Init.normal((int) n, INIT_STD, new SplittableRandom(seed));
        return new LearnedPositionalEncoding(Tensor.of(t, maxLen, dim));
    }

    /** The number of positions, {@code maxLen}. */
    public int maxLen() {
        return maxLen;
    }

    /** The embedding size {@code E}. */
    public int dim() {
        return dim;
    }

    /** A copy of the table {@code [maxLen, E]}. */
    public Tensor table() {
        return Tensor.of(table.clone(), maxLen, dim);
    }

    /**
     * {@code x [B, N, E]} plus rows {@code startPosition .. startPosition+N-1} of the table, as a new tensor.
     *
     * @throws IllegalArgumentException when {@code x} is not {@code [B, N, E]}, {@code startPosition < 0}, or the
     *                                  positions run past {@code maxLen}
     */
    public Tensor addTo(Tensor x, int startPosition) {
        int n = check(x, startPosition);
        float[] out = new float[x.size()];
        PositionalEncodings.add(x.data(), rows(startPosition, n), out, x.dim(0), n, dim);
        return Tensor.of(out, x.shape());
    }

    /** {@link #addTo(Tensor, int)} from position 0. */
    public Tensor addTo(Tensor x) {
        return addTo(x, 0);
    }

    /** Like {@link #addTo(Tensor, int)} but adds into {@code x}'s own array and returns {@code x}. */
    public Tensor addInPlace(Tensor x, int startPosition) {
        int n = check(x, startPosition);
        PositionalEncodings.add(x.data(), rows(startPosition, n), x.data(), x.dim(0), n, dim);
        return x;
    }

    private int check(Tensor x, int startPosition) {
        int n = PositionalEncodings.checkInput(x, dim, startPosition);
        if ((long) startPosition + n > maxLen) {
            throw new IllegalArgumentException("positions " + startPosition + " .. " + ((long) startPosition + n - 1)
                    + " of x " + Tensor.shapeString(x.shape()) + " run past the table: maxLen=" + maxLen
                    + " (valid positions 0 .. " + (maxLen - 1) + ")");
        }
        return n;
    }

    private float[] rows(int start, int n) {
        float[] r = new float[n * dim];
        System.arraycopy(table, start * dim, r, 0, n * dim);
        return r;
    }

    @Override
    public String toString() {
        return "LearnedPositionalEncoding(maxLen=" + maxLen + ", " + dim + ")";
    }
}

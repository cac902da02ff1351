package org.attention4j.nn;

import java.util.Objects;

import org.attention4j.Tensor;

/**
 * A text tower's input (CLIP's {@code embeddings.token_embedding} and {@code embeddings.position_embedding}, GPT-2's
 * {@code wte} and {@code wpe}): token ids {@code [B, N]} looked up in a {@code [V, E]} table, learned positions
 * {@code 0 .. N-1} added: {@code [B, N, E]}. Immutable and thread-safe.
 */
public final class TokenEmbedding {
    private final Tensor tokens;
    private final LearnedPositionalEncoding positions;

    /**
     * @param tokens    the token table {@code [V, E]}
     * @param positions the position table {@code [maxLen, E]}
     */
    public TokenEmbedding(Tensor tokens, Tensor positions) {
        Objects.requireNonNull(tokens, "tokens");
        if (tokens.rank() != 2) {
            throw new IllegalArgumentException("token table must be [V, E], got " + tokens);
        }
        this.positions = new LearnedPositionalEncoding(positions);
        if (this.positions.dim() != tokens.dim(1)) {
            throw new IllegalArgumentException("token table " + tokens + " and position table " + positions
                    + " differ in E");
        }
        this.tokens = tokens;
    }

    /** The vocabulary size {@code V}. */
    public int vocabSize() {
        return tokens.dim(0);
    }

    /** The embedding size {@code E}. */
    public int embedDim() {
        return tokens.dim(1);
    }

    /**
     * The embeddings of {@code ids} ({@code batch * n} token ids, batch-major) plus positions: {@code [B, N, E]}.
     *
     * @throws IllegalArgumentException when {@code ids} does not hold {@code batch * n} ids, an id is outside
     *                                  {@code [0, V)} (naming it and its place), or {@code n} exceeds the position
     *                                  table
     */
    public Tensor forward(int[] ids, int batch, int n) {
        Objects.requireNonNull(ids, "ids");
        if (batch < 1 || n < 1 || ids.length != (long) batch * n) {
            throw new IllegalArgumentException("ids must hold batch * n = " + batch + " * " + n + " token ids, got "
                    + ids.length);
        }
        int e = embedDim();
        float[] table = tokens.data();
        float[] out = new float[ids.length * e];
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " at [" + i / n + ", " + i % n
                        + "] is outside [0, V=" + vocabSize() + ")");
            }
            System.arraycopy(table, id * e, out, i * e, e);
        }
        return positions.addTo(Tensor.of(out, batch, n, e));
    }
}

package org.attention4j;

import java.util.Objects;
import java.util.Optional;

/**
 * What one attention call returns: the output, and on request the weights (the attention map) and the log-sum-exp
 * (natural log of the sum of exp of the final scores; {@code -inf} for a row with no visible key).
 *
 * <p>Shapes follow the call: {@link AttentionEngine#attention} gives output {@code [B, Hq, Nq, Dv]}, weights
 * {@code [B, Hq, Nq, Nk]}, log-sum-exp {@code [B, Hq, Nq]}; the packed (varlen) call gives {@code [totalQ, Hq, Dv]}
 * and {@code [totalQ, Hq]}; a {@code nn.MultiHeadAttention} layer gives its projected output {@code [B, N, E]} with
 * the per-head weights {@code [B, H, N, M]} and log-sum-exp {@code [B, H, N]}.
 */
public final class AttentionResult {
    private final Tensor output;
    private final Tensor weights;
    private final Tensor logSumExp;
    private final Backend backend;

    /**
     * @param output    the output, required
     * @param weights   the weights or null
     * @param logSumExp the log-sum-exp or null
     * @param backend   the backend that computed it
     */
    public AttentionResult(Tensor output, Tensor weights, Tensor logSumExp, Backend backend) {
        this.output = Objects.requireNonNull(output, "output");
        this.weights = weights;
        this.logSumExp = logSumExp;
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    /** The output (shape: see the class comment). */
    public Tensor output() {
        return output;
    }

    /** The weights when asked for. */
    public Optional<Tensor> weights() {
        return Optional.ofNullable(weights);
    }

    /** The log-sum-exp when asked for. */
    public Optional<Tensor> logSumExp() {
        return Optional.ofNullable(logSumExp);
    }

    /**
     * The weights averaged over the query heads, {@code [B, Nq, Nk]}, as {@code nn.MultiheadAttention} returns
     * them by default ({@code average_attn_weights=True}); empty when no weights were asked for. Summed in float64.
     */
    public Optional<Tensor> averagedWeights() {
        if (weights == null || weights.rank() != 4) {
            return Optional.empty();
        }
        int b = weights.dim(0), h = weights.dim(1), nq = weights.dim(2), nk = weights.dim(3);
        float[] w = weights.data();
        float[] out = new float[b * nq * nk];
        int plane = nq * nk;
        for (int bi = 0; bi < b; bi++) {
            for (int e = 0; e < plane; e++) {
                double sum = 0;
                for (int hi = 0; hi < h; hi++) {
                    sum += w[(bi * h + hi) * plane + e];
                }
                out[bi * plane + e] = (float) (sum / h);
            }
        }
        return Optional.of(Tensor.of(out, b, nq, nk));
    }

    /** The backend that computed this result. */
    public Backend backend() {
        return backend;
    }
}

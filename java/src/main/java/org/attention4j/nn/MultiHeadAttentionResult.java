package org.attention4j.nn;

import java.util.Objects;
import java.util.Optional;

import org.attention4j.Backend;
import org.attention4j.Tensor;

/**
 * What a {@link MultiHeadAttention} forward pass returns: the output {@code [B, N, E]} (after the output
 * projection) and, when the options asked for them, the attention weights {@code [B, H, N, M]} and the log-sum-exp
 * {@code [B, H, N]} of each head, as the engine computed them.
 */
public final class MultiHeadAttentionResult {
    private final Tensor output;
    private final Tensor weights;
    private final Tensor logSumExp;
    private final Backend backend;

    /**
     * @param output    {@code [B, N, E]}, required
     * @param weights   {@code [B, H, N, M]} or null
     * @param logSumExp {@code [B, H, N]} or null
     * @param backend   the backend that computed the attention
     */
    public MultiHeadAttentionResult(Tensor output, Tensor weights, Tensor logSumExp, Backend backend) {
        this.output = Objects.requireNonNull(output, "output");
        this.weights = weights;
        this.logSumExp = logSumExp;
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    /** The output {@code [B, N, E]}. */
    public Tensor output() {
        return output;
    }

    /** The per-head attention weights {@code [B, H, N, M]}, when asked for. */
    public Optional<Tensor> weights() {
        return Optional.ofNullable(weights);
    }

    /** The per-head log-sum-exp {@code [B, H, N]}, when asked for. */
    public Optional<Tensor> logSumExp() {
        return Optional.ofNullable(logSumExp);
    }

    /** The backend that computed the attention. */
    public Backend backend() {
        return backend;
    }
}

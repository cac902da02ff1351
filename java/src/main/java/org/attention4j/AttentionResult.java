package org.attention4j;

import java.util.Objects;
import java.util.Optional;

/**
 * What one attention call returns: the output {@code [B, Hq, Nq, Dv]}, and on request the weights
 * {@code [B, Hq, Nq, Nk]} and the log-sum-exp {@code [B, Hq, Nq]} (natural log of the sum of exp of the final
 * scores; {@code -inf} for a row with no visible key).
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

    /** The output {@code [B, Hq, Nq, Dv]}. */
    public Tensor output() {
        return output;
    }

    /** The weights {@code [B, Hq, Nq, Nk]} when asked for. */
    public Optional<Tensor> weights() {
        return Optional.ofNullable(weights);
    }

    /** The log-sum-exp {@code [B, Hq, Nq]} when asked for. */
    public Optional<Tensor> logSumExp() {
        return Optional.ofNullable(logSumExp);
    }

    /** The backend that computed this result. */
    public Backend backend() {
        return backend;
    }
}

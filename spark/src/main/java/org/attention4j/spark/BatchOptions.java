package org.attention4j.spark;

import java.io.Serializable;
import java.util.Objects;

/**
 * How {@link BatchAttention} treats a Dataset of independent problems.
 *
 * @param idColumn     the column that names a row in error messages (any type)
 * @param causal       causal mask for every row (bottom-right)
 * @param returnLse    add an {@code lse} column
 * @param returnWeights add a {@code weights} column (the attention map, {@code [B, Hq, Nq, Nk]} flattened)
 * @param errorColumn  false: a bad row fails the job with its id in the message; true: it gets an {@code error}
 *                     column (null on good rows) and null outputs, and the job goes on
 */
public record BatchOptions(String idColumn, boolean causal, boolean returnLse, boolean returnWeights,
                           boolean errorColumn) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Checks the id column name. */
    public BatchOptions {
        Objects.requireNonNull(idColumn, "idColumn");
    }

    /** Defaults: rows named by {@code id}, no mask, output only, bad rows fail the job. */
    public static BatchOptions defaults() {
        return new BatchOptions("id", false, false, false, false);
    }

    /** These options, causal. */
    public BatchOptions withCausal() {
        return new BatchOptions(idColumn, true, returnLse, returnWeights, errorColumn);
    }

    /** These options with the log-sum-exp column. */
    public BatchOptions withLse() {
        return new BatchOptions(idColumn, causal, true, returnWeights, errorColumn);
    }

    /** These options with the weights column. */
    public BatchOptions withWeights() {
        return new BatchOptions(idColumn, causal, returnLse, true, errorColumn);
    }

    /** These options with bad rows going to an {@code error} column instead of failing the job. */
    public BatchOptions withErrorColumn() {
        return new BatchOptions(idColumn, causal, returnLse, returnWeights, true);
    }
}

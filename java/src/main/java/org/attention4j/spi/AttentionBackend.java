package org.attention4j.spi;

import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.HostKvCache;
import org.attention4j.KvCache;

/**
 * What an engine implementation provides. The engine validates every call into an {@link AttentionProblem}
 * before a backend sees it, so a backend can trust the shapes, lengths and mask strides it is given.
 * Implementations are thread-safe; {@link #close()} is idempotent.
 */
public interface AttentionBackend extends AutoCloseable {

    /** Which backend this is. */
    Backend kind();

    /** Computes one validated problem. */
    AttentionResult compute(AttentionProblem problem);

    /**
     * Computes packed variable-length sequences; by default one {@link #compute} per sequence
     * ({@link BySequence#varlen}), exact on every backend.
     */
    default AttentionResult computeVarlen(VarlenProblem problem) {
        return BySequence.varlen(this, problem);
    }

    /**
     * Runs {@code body} for every index of {@code [0, n)} and returns when all have run: on this backend's host
     * worker threads where it has them ({@code cpu}), by default one after another on the calling thread. For
     * host-side layer math ({@code org.attention4j.nn}), so that it runs on the engine's workers rather than the
     * JVM-wide common pool.
     */
    default void forEachIndex(int n, java.util.function.IntConsumer body) {
        for (int i = 0; i < n; i++) {
            body.accept(i);
        }
    }

    /** A new, empty KV cache where this backend decodes best; by default a {@link HostKvCache}. */
    default KvCache newKvCache(int batch, int kvHeads, int capacity, int dim, int valueDim) {
        return new HostKvCache(batch, kvHeads, capacity, dim, valueDim);
    }

    /** One decode step; by default one {@link #compute} per batch entry over a host cache ({@link BySequence#decode}). */
    default AttentionResult decode(DecodeProblem problem) {
        return BySequence.decode(this, problem);
    }

    /** Releases what the backend owns (threads, device memory); safe to call twice. */
    @Override
    void close();
}

package org.attention4j.spi;

import org.attention4j.AttentionResult;
import org.attention4j.Backend;

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

    /** Releases what the backend owns (threads, device memory); safe to call twice. */
    @Override
    void close();
}

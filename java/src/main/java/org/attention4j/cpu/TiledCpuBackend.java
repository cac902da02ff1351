package org.attention4j.cpu;

import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionProblem;

/** PLACEHOLDER during the founding session: replaced by the tiled engine before it lands. */
public final class TiledCpuBackend implements AttentionBackend {
    private final ReferenceBackend ref = new ReferenceBackend();

    /** @param threads worker threads */
    public TiledCpuBackend(int threads) {
    }

    @Override
    public Backend kind() {
        return Backend.CPU;
    }

    @Override
    public AttentionResult compute(AttentionProblem problem) {
        AttentionResult r = ref.compute(problem);
        return new AttentionResult(r.output(), r.weights().orElse(null), r.logSumExp().orElse(null), Backend.CPU);
    }

    @Override
    public void close() {
    }
}

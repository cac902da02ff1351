package org.attention4j.cuda;

import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionProblem;

/**
 * The CUDA backend as the engine sees it ({@link Backend#CUDA}): host tensors in, host tensors out, through a
 * {@link CudaAttention}. {@link #device()} gives the device-tensor API of the same backend.
 */
public final class CudaBackend implements AttentionBackend {
    private final CudaAttention attention;

    CudaBackend(CudaAttention attention) {
        this.attention = attention;
    }

    /** The device-tensor API behind this backend. */
    public CudaAttention device() {
        return attention;
    }

    @Override
    public Backend kind() {
        return Backend.CUDA;
    }

    @Override
    public AttentionResult compute(AttentionProblem problem) {
        return attention.attention(problem);
    }

    @Override
    public void close() {
        attention.close();
    }
}

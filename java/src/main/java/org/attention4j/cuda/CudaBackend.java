package org.attention4j.cuda;

import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.KvCache;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionProblem;
import org.attention4j.spi.BySequence;
import org.attention4j.spi.DecodeProblem;
import org.attention4j.spi.VarlenProblem;

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

    /** Packed sequences: the fused varlen kernel when the options allow it, else one call per sequence. */
    @Override
    public AttentionResult computeVarlen(VarlenProblem problem) {
        return attention.varlen(problem, this);
    }

    /**
     * A {@link DeviceKvCache} when the decode kernels take these head dims ({@code Dv == D <= 256}) and the path
     * setting is not cublas; otherwise a host cache, decoded one batch entry at a time on this backend.
     */
    @Override
    public KvCache newKvCache(int batch, int kvHeads, int capacity, int dim, int valueDim) {
        if (attention.deviceCacheFits(dim, valueDim) && CudaPath.current() != CudaPath.CUBLAS) {
            return attention.newKvCache(batch, kvHeads, capacity, dim, valueDim);
        }
        return AttentionBackend.super.newKvCache(batch, kvHeads, capacity, dim, valueDim);
    }

    /** FlashDecoding over a device cache; one call per batch entry over a host cache. */
    @Override
    public AttentionResult decode(DecodeProblem problem) {
        if (problem.cache() instanceof DeviceKvCache) {
            return attention.decode(problem, (DeviceKvCache) problem.cache());
        }
        return BySequence.decode(this, problem);
    }

    @Override
    public void close() {
        attention.close();
    }
}

package org.attention4j.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasPointerMode;
import jcuda.runtime.cudaStream_t;

/**
 * What one call needs for itself: a stream, a cuBLAS handle bound to it (none where cuBLAS is not loaded: the
 * fused path alone runs there), and a pinned host staging buffer.
 * Borrowed from the {@link WorkerPool} by exactly one thread at a time, so nothing in it is shared
 * concurrently (a cuBLAS handle must not be).
 */
final class Worker {
    final CUstream stream = new CUstream();
    /** Null where cuBLAS is not loaded. */
    final cublasHandle blas;
    private final long stagingLimit;
    private Pointer pinned;
    private ByteBuffer staging;
    private int mathMode = -1;

    /** Creates the stream and, with {@code cublas}, the handle; the context must be current in the calling thread. */
    Worker(long stagingLimit, boolean cublas) {
        this.stagingLimit = stagingLimit;
        JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        if (!cublas) {
            blas = null;
            return;
        }
        blas = new cublasHandle();
        try {
            JCublas2.cublasCreate(blas);
            JCublas2.cublasSetStream(blas, new cudaStream_t(stream));
            JCublas2.cublasSetPointerMode(blas, cublasPointerMode.CUBLAS_POINTER_MODE_HOST);
        } catch (RuntimeException e) {
            JCudaDriver.cuStreamDestroy(stream);   // the one owner of the stream is this constructor until it returns
            throw e;
        }
    }

    /** Sets the handle's math mode when it differs from the last one set. */
    void mathMode(int mode) {
        if (mode != mathMode) {
            JCublas2.cublasSetMathMode(blas, mode);
            mathMode = mode;
        }
    }

    /**
     * The pinned staging buffer, cleared, in native order, at least {@code min(bytes, limit)} bytes; grown (never
     * past the limit) when smaller.
     */
    ByteBuffer staging(long bytes) {
        long want = Math.max(4096, Math.min(bytes, stagingLimit));
        if (staging == null || staging.capacity() < want) {
            freeStaging();
            Pointer p = new Pointer();
            JCudaDriver.cuMemAllocHost(p, want);
            pinned = p;
            staging = p.getByteBuffer(0, want).order(ByteOrder.nativeOrder());
        }
        staging.clear();
        return staging;
    }

    /** The pinned buffer as a host pointer (valid after {@link #staging}). */
    Pointer pinned() {
        return pinned;
    }

    /** Waits for everything queued on the stream. */
    void sync() {
        JCudaDriver.cuStreamSynchronize(stream);
    }

    private void freeStaging() {
        if (pinned != null) {
            JCudaDriver.cuMemFreeHost(pinned);
            pinned = null;
            staging = null;
        }
    }

    /** Destroys the handle, stream and staging; the context must be current. */
    void destroy() {
        freeStaging();
        if (blas != null) {
            JCublas2.cublasDestroy(blas);
        }
        JCudaDriver.cuStreamDestroy(stream);
    }
}

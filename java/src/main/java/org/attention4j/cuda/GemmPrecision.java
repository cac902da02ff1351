package org.attention4j.cuda;

import jcuda.jcublas.cublasComputeType;
import jcuda.jcublas.cublasGemmAlgo;
import jcuda.jcublas.cublasMath;

/**
 * The cuBLAS parameters that realise a {@link Precision}: SGEMM (with or without TF32 tensor-core math) for
 * float32 data, {@code cublasGemmStridedBatchedEx} with float32 compute for half and bfloat16 data. Scores are
 * always written in float32 (the softmax reads float32); P has the storage type so that both operands of the
 * second GEMM match, as GemmEx requires.
 *
 * @param ex          whether to call {@code cublasGemmStridedBatchedEx} (else {@code cublasSgemmStridedBatched})
 * @param mathMode    the handle's math mode ({@code cublasMath})
 * @param storage     the type of Q, K, V and P
 * @param computeType the {@code cublasComputeType} of GemmEx
 * @param algo        the {@code cublasGemmAlgo} of GemmEx
 */
record GemmPrecision(boolean ex, int mathMode, DType storage, int computeType, int algo) {

    static GemmPrecision of(Precision p) {
        switch (p) {
            case FP32:
                return new GemmPrecision(false, cublasMath.CUBLAS_DEFAULT_MATH, DType.FP32,
                        cublasComputeType.CUBLAS_COMPUTE_32F, cublasGemmAlgo.CUBLAS_GEMM_DEFAULT);
            case TF32:
                return new GemmPrecision(false, cublasMath.CUBLAS_TF32_TENSOR_OP_MATH, DType.FP32,
                        cublasComputeType.CUBLAS_COMPUTE_32F_FAST_TF32, cublasGemmAlgo.CUBLAS_GEMM_DEFAULT);
            case FP16:
            case BF16:
                return new GemmPrecision(true, cublasMath.CUBLAS_DEFAULT_MATH, p.storageType(),
                        cublasComputeType.CUBLAS_COMPUTE_32F, cublasGemmAlgo.CUBLAS_GEMM_DEFAULT);
            default:
                throw new AssertionError(p);
        }
    }

    /** Bytes of workspace per score element: the float32 scores, plus P when it cannot share their buffer. */
    int workspaceBytesPerScore() {
        return storage == DType.FP32 ? 4 : 4 + storage.bytes();
    }
}

package org.attention4j.cuda;

import java.util.ArrayList;
import java.util.List;

import org.attention4j.RopeStyle;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasOperation;

/**
 * One attention call on one worker: RoPE, then per {@link AttentionPlan} chunk the score GEMM, the fused softmax
 * and the value GEMM, all queued on the worker's stream. Every device block it takes is recorded and given back
 * by {@link #close()}, which the caller runs in a finally block after the stream is idle, so a failure part-way
 * leaks nothing.
 */
final class AttentionRun implements AutoCloseable {

    /** Receives each chunk's probabilities {@code P} (the attention weights) while they are on the device. */
    interface WeightsSink {
        /**
         * @param p      the chunk's P, dense, {@code count} elements of {@code type}
         * @param type   P's element type
         * @param first  the element of {@code [B, Hq, Nq, Nk]} where the chunk starts
         * @param count  elements in the chunk
         */
        void accept(CUdeviceptr p, DType type, long first, long count);
    }

    private static final CUdeviceptr NULL = new CUdeviceptr();

    private final CudaRuntime rt;
    final Worker worker;
    private final GemmPrecision gp;
    private final DeviceProblem p;
    private final List<CachingAllocator.Block<CUdeviceptr>> taken = new ArrayList<>();

    AttentionRun(CudaRuntime rt, Worker worker, GemmPrecision gp, DeviceProblem p) {
        this.rt = rt;
        this.worker = worker;
        this.gp = gp;
        this.p = p;
    }

    /** Device scratch for this call, given back by {@link #close()}. */
    CUdeviceptr scratch(long bytes) {
        CachingAllocator.Block<CUdeviceptr> b = rt.allocator.allocate(Math.max(1, bytes));
        taken.add(b);
        return b.handle();
    }

    /** Uploads floats as {@code type} into new scratch. */
    CUdeviceptr upload(float[] data, DType type) {
        CUdeviceptr d = scratch((long) data.length * type.bytes());
        rt.transfers.uploadFloats(worker, java.nio.FloatBuffer.wrap(data), data.length, d, type);
        return d;
    }

    /**
     * Queues the whole computation.
     *
     * @param q             Q in the storage type
     * @param k             K in the storage type
     * @param v             V in the storage type
     * @param qkAreScratch  whether Q and K may be rotated in place (else RoPE works on copies)
     * @param out           O {@code [B, Hq, Nq, Dv]} of {@code outType}
     * @param lse           the log-sum-exp {@code [B*Hq*Nq]} fp32, or null
     * @param weights       where the probabilities go, or null
     */
    void execute(CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, boolean qkAreScratch, CUdeviceptr out, DType outType,
                 CUdeviceptr lse, WeightsSink weights) {
        DType st = gp.storage();
        if (p.rope() != null) {
            if (!qkAreScratch) {
                q = copy(q, (long) p.batch() * p.heads() * p.nq() * p.dim() * st.bytes());
                k = copy(k, (long) p.batch() * p.kvHeads() * p.nk() * p.dim() * st.bytes());
            }
            rope(q, p.heads(), p.nq(), p.queryPositions(), p.nk() - p.nq());
            rope(k, p.kvHeads(), p.nk(), p.keyPositions(), 0);
        }
        CUdeviceptr kvLengths = NULL;
        if (p.kvLengths() != null) {
            kvLengths = scratch(4L * p.batch());
            rt.transfers.uploadInts(worker, p.kvLengths(), kvLengths);
        }
        CUdeviceptr boolMask = NULL;
        CUdeviceptr floatMask = NULL;
        long[] strides = p.maskStrides() == null ? new long[4] : p.maskStrides();
        if (p.mask() != null) {
            if (p.mask().isBoolean()) {
                boolean[] m = p.mask().booleanData();
                boolMask = scratch(m.length);
                rt.transfers.uploadBooleans(worker, m, boolMask);
            } else {
                floatMask = upload(p.mask().floatData(), DType.FP32);
            }
        }
        CUdeviceptr slopes = NULL;
        if (p.alibiSlopes() != null) {
            slopes = upload(p.alibiSlopes(), DType.FP32);
        }

        AttentionPlan plan = AttentionPlan.of(p.batch(), p.heads(), p.kvHeads(), p.nq(), p.nk(), p.dim(),
                p.valueDim(), 1f, CudaSettings.workspaceBytes() / gp.workspaceBytesPerScore());
        long ws = plan.workspaceElements();
        CUdeviceptr s = scratch(ws * 4);
        CUdeviceptr prob = st == DType.FP32 ? s : scratch(ws * st.bytes());
        long partialBytes = 0;
        for (AttentionPlan.Chunk c : plan.chunks()) {
            long rows = (long) c.count() * p.nq();
            partialBytes = Math.max(partialBytes, SoftmaxLaunch.of(rows, p.nk(), rt.multiprocessors)
                    .partialBytes(rows));
        }
        CUdeviceptr partial = partialBytes > 0 ? scratch(partialBytes) : NULL;

        worker.mathMode(gp.mathMode());
        for (AttentionPlan.Chunk c : plan.chunks()) {
            gemm(c.scores(), k, st, q, st, s, DType.FP32);
            long rows = (long) c.count() * p.nq();
            SoftmaxLaunch launch = SoftmaxLaunch.of(rows, p.nk(), rt.multiprocessors);
            long mo = c.maskOffset(p.maskStrides());
            KernelArgs.Mask m = new KernelArgs.Mask(c.nb(), c.nh(), p.nq(), p.nk(), (float) p.scale(), p.causal(),
                    p.windowLeft(), p.windowRight(), offset(kvLengths, 4L * c.b0()), offset(boolMask, mo),
                    offset(floatMask, 4 * mo), strides, offset(slopes, 4L * c.h0()));
            CUdeviceptr lsePtr = lse == null ? NULL : lse.withByteOffset(4 * c.firstRow(p.nq()));
            if (!launch.split()) {
                Kernels.launch(rt.kernels.softmax(st), launch.gridX(), launch.gridY(), launch.block(),
                        launch.sharedMem(), worker.stream, KernelArgs.softmax(s, prob, lsePtr, m).values());
            } else {
                Kernels.launch(rt.kernels.splitStats, launch.gridX(), launch.gridY(), launch.block(),
                        launch.sharedMem(), worker.stream,
                        KernelArgs.splitStats(s, partial, launch.chunkLen(), m).values());
                Kernels.launch(rt.kernels.splitFinish(st), launch.gridX(), launch.gridY(), launch.block(),
                        launch.sharedMem(), worker.stream,
                        KernelArgs.splitFinish(s, prob, lsePtr, partial, launch.chunkLen(), m).values());
            }
            gemm(c.values(), v, st, prob, st, out, outType);
            if (weights != null) {
                long per = (long) p.nq() * p.nk();
                weights.accept(prob, st, c.f0() * per, c.count() * per);
            }
        }
    }

    private CUdeviceptr copy(CUdeviceptr src, long bytes) {
        CUdeviceptr d = scratch(bytes);
        JCudaDriver.cuMemcpyDtoDAsync(d, src, bytes, worker.stream);
        return d;
    }

    private void rope(CUdeviceptr x, int heads, int n, int[] positions, int defaultOffset) {
        CUdeviceptr pos = NULL;
        int offset = defaultOffset;
        int batchStride = 0;
        if (positions != null) {
            pos = scratch(4L * positions.length);
            rt.transfers.uploadInts(worker, positions, pos);
            offset = 0;
            batchStride = positions.length == n ? 0 : n;
        }
        long pairs = (long) p.batch() * heads * n * p.dim() / 2;
        Kernels.launch(rt.kernels.rope(gp.storage()), Kernels.elementwiseGrid(pairs), 1, 256, 8 * (p.dim() / 2),
                worker.stream, KernelArgs.rope(x, p.batch(), heads, n, p.dim(),
                        p.rope().style() == RopeStyle.HALF ? 0 : 1, p.rope().base(), offset, pos, batchStride).values());
    }

    private void gemm(GemmCall c, CUdeviceptr a, DType at, CUdeviceptr b, DType bt, CUdeviceptr out, DType ct) {
        Pointer pa = a.withByteOffset(c.offA() * at.bytes());
        Pointer pb = b.withByteOffset(c.offB() * bt.bytes());
        Pointer pc = out.withByteOffset(c.offC() * ct.bytes());
        int opA = c.transA() ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int opB = c.transB() ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        Pointer alpha = Pointer.to(new float[] {c.alpha()});
        Pointer beta = Pointer.to(new float[] {c.beta()});
        if (!gp.ex()) {
            JCublas2.cublasSgemmStridedBatched(worker.blas, opA, opB, c.m(), c.n(), c.k(), alpha, pa, c.lda(),
                    c.strideA(), pb, c.ldb(), c.strideB(), beta, pc, c.ldc(), c.strideC(), c.batch());
        } else {
            JCublas2.cublasGemmStridedBatchedEx_new(worker.blas, opA, opB, c.m(), c.n(), c.k(), alpha,
                    pa, at.cudaDataType(), c.lda(), c.strideA(), pb, bt.cudaDataType(), c.ldb(), c.strideB(), beta,
                    pc, ct.cudaDataType(), c.ldc(), c.strideC(), c.batch(), gp.computeType(), gp.algo());
        }
    }

    private static CUdeviceptr offset(CUdeviceptr base, long bytes) {
        return base == NULL ? NULL : base.withByteOffset(bytes);
    }

    /** Gives back every block this call took; the stream must be idle. */
    @Override
    public void close() {
        for (CachingAllocator.Block<CUdeviceptr> b : taken) {
            rt.allocator.release(b);
        }
        taken.clear();
    }
}

package org.attention4j.cuda;

import java.util.EnumMap;
import java.util.Map;

import org.attention4j.cuda.CublasProgram.Command;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasOperation;

/**
 * One attention call on one worker: runs the call's {@link CublasProgram} (RoPE, then per chunk the score GEMM,
 * the fused softmax and the value GEMM) on the worker's stream, mapping its named buffers to device memory; its
 * scratch is owned as {@link DeviceCall} says.
 */
final class CublasRun extends DeviceCall {

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

    private final GemmPrecision gp;
    private final DeviceProblem p;

    CublasRun(CudaRuntime rt, Worker worker, GemmPrecision gp, DeviceProblem p) {
        super(rt, worker);
        this.gp = gp;
        this.p = p;
    }

    /**
     * Queues the whole computation: builds the {@link CublasProgram}, allocates and fills its scratch buffers,
     * and runs its commands on the worker's stream.
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
        CublasProgram prog = CublasProgram.of(p, gp, qkAreScratch, outType, lse != null, weights != null,
                CudaSettings.workspaceBytes(), rt.multiprocessors);
        Map<Buf, CUdeviceptr> given = new EnumMap<>(Buf.class);
        given.put(Buf.Q, q);
        given.put(Buf.K, k);
        given.put(Buf.V, v);
        given.put(Buf.OUT, out);
        if (lse != null) {
            given.put(Buf.LSE, lse);
        }
        Map<Buf, CUdeviceptr> mem = buffers(given, prog.scratchBytes(), prog.ints(), prog.floats(),
                prog.booleans());
        worker.mathMode(gp.mathMode());
        for (Command c : prog.commands()) {
            run(c, mem, weights);
        }
    }

    private void run(Command c, Map<Buf, CUdeviceptr> mem, WeightsSink weights) {
        if (c instanceof SharedCommand) {
            runShared((SharedCommand) c, mem);
        } else if (c instanceof CublasProgram.Gemm) {
            CublasProgram.Gemm g = (CublasProgram.Gemm) c;
            gemm(g.call(), mem.get(g.a()), g.aType(), mem.get(g.b()), g.bType(), mem.get(g.c()), g.cType());
        } else if (c instanceof CublasProgram.Softmax) {
            CublasProgram.Softmax x = (CublasProgram.Softmax) c;
            SoftmaxLaunch l = x.launch();
            KernelArgs.Mask m = new KernelArgs.Mask(x.batch(), x.heads(), x.nq(), x.nk(), x.scale(), x.causal(),
                    x.windowLeft(), x.windowRight(), ptr(mem, x.kvLengths()), ptr(mem, x.diagonals()),
                    ptr(mem, x.boolMask()),
                    ptr(mem, x.floatMask()), x.maskStrides(), ptr(mem, x.alibiSlopes()));
            if (!l.split()) {
                Kernels.launch(rt.kernels.softmax(x.pType(), l), l.gridX(), l.gridY(), l.block(), l.sharedMem(),
                        worker.stream, KernelArgs.softmax(ptr(mem, x.s()), ptr(mem, x.p()), ptr(mem, x.lse()), m)
                                .values());
            } else {
                Kernels.launch(rt.kernels.splitStats, l.gridX(), l.gridY(), l.block(), l.sharedMem(), worker.stream,
                        KernelArgs.splitStats(ptr(mem, x.s()), ptr(mem, x.partial()), l.chunkLen(), m).values());
                Kernels.launch(rt.kernels.splitFinish(x.pType()), l.gridX(), l.gridY(), l.block(), l.sharedMem(),
                        worker.stream, KernelArgs.splitFinish(ptr(mem, x.s()), ptr(mem, x.p()), ptr(mem, x.lse()),
                                ptr(mem, x.partial()), l.chunkLen(), m).values());
            }
        } else if (c instanceof CublasProgram.Weights) {
            CublasProgram.Weights w = (CublasProgram.Weights) c;
            weights.accept(mem.get(w.p()), w.pType(), w.first(), w.count());
        } else {
            throw new AssertionError(c);
        }
    }

    /** The device address of a ref, NULL for an absent one. */
    private static CUdeviceptr ptr(Map<Buf, CUdeviceptr> mem, CublasProgram.Ref r) {
        if (r == null) {
            return NULL;
        }
        CUdeviceptr base = mem.get(r.buf());
        return r.byteOffset() == 0 ? base : base.withByteOffset(r.byteOffset());
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
}

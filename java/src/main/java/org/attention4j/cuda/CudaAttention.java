package org.attention4j.cuda;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import org.attention4j.AttentionException;
import org.attention4j.AttentionOutOfMemoryException;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionProblem;
import org.attention4j.spi.DecodeProblem;
import org.attention4j.spi.VarlenProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * Attention on the GPU: cuBLAS strided-batched GEMMs for {@code S = Q.K^T} and {@code O = P.V} (grouped key/value
 * heads read in place, see {@link CublasPlan}) around a fused mask-and-softmax kernel; the semantics are
 * {@link org.attention4j.AttentionEngine}'s. Works on host tensors (uploaded, computed, downloaded) and on
 * {@link DeviceTensor}s that a service keeps on the GPU, without copies.
 *
 * <pre>{@code
 * try (CudaAttention cuda = CudaAttention.open(Precision.FP16);
 *      DeviceTensor q = cuda.upload(qData, DType.FP16, 1, 8, 1024, 64);
 *      DeviceTensor k = cuda.upload(kData, DType.FP16, 1, 2, 1024, 64);
 *      DeviceTensor v = cuda.upload(vData, DType.FP16, 1, 2, 1024, 64);
 *      DeviceAttentionResult r = cuda.attention(q, k, v, AttentionOptions.builder().causal().build())) {
 *     float[] out = r.output().download();
 * }
 * }</pre>
 *
 * <p>Threads: any number of threads may call at once. Each call borrows a worker (its own stream, cuBLAS handle
 * and pinned staging) from a lock-free pool and makes the device's primary context current in its thread.
 * Memory: device buffers come from a caching allocator ({@link #memoryStats()}), so a steady stream of calls of
 * the same shapes allocates nothing after the first. The scores of one call are computed in chunks of whole
 * (batch, head) pairs that fit {@code attention4j.cuda.workspaceBytes} (default 1 GiB; one head's
 * {@code Nq x Nk} scores are always allowed). Device out-of-memory empties the cache and retries once, then
 * raises {@link AttentionException} naming the sizes; the backend stays usable.
 */
public final class CudaAttention implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CudaAttention.class);

    private final CudaRuntime rt;
    private final Precision precision;
    private final GemmPrecision gp;
    private final FusedPath flash;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaAttention(CudaRuntime rt, Precision precision) {
        this.rt = rt;
        this.precision = precision;
        this.gp = GemmPrecision.of(precision);
        this.flash = new FusedPath(rt, gp.storage());
    }

    /**
     * Opens the CUDA backend at the given precision (null: {@code attention4j.cuda.precision}, default fp32).
     *
     * @throws AttentionException naming what is missing when {@link CudaSupport#probe()} says CUDA is unusable
     */
    public static CudaAttention open(Precision precision) {
        CudaSupport.requireUsable();
        Precision p = precision == null ? CudaSupport.defaultPrecision() : precision;
        return new CudaAttention(CudaRuntime.get(), p);
    }

    /** The GEMM precision. */
    public Precision precision() {
        return precision;
    }

    /** The element type Q, K and V must have for this precision. */
    public DType inputType() {
        return gp.storage();
    }

    /** A new, uninitialised device tensor (close it when done). */
    public DeviceTensor allocate(DType dtype, int... shape) {
        requireOpen();
        Objects.requireNonNull(shape, "shape");
        return new DeviceTensor(rt, rt.allocator, dtype, shape);
    }

    /** A new device tensor holding {@code data} converted to {@code dtype}. */
    public DeviceTensor upload(float[] data, DType dtype, int... shape) {
        Objects.requireNonNull(data, "data");
        return upload(FloatBuffer.wrap(data), dtype, shape);
    }

    /** A new device tensor holding the remaining floats of {@code data} converted to {@code dtype}. */
    public DeviceTensor upload(FloatBuffer data, DType dtype, int... shape) {
        DeviceTensor t = allocate(dtype, shape);
        try {
            t.upload(data);
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /**
     * Attention of host tensors with the engine's semantics.
     *
     * @throws IllegalArgumentException when shapes or options do not fit
     * @throws AttentionException       on device failure or out-of-memory
     */
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, AttentionOptions options) {
        return attention(AttentionProblem.of(q, k, v, options));
    }

    /** Attention of an engine-validated problem. */
    AttentionResult attention(AttentionProblem problem) {
        requireOpen();
        if (problem.isTrivial()) {
            return problem.trivialResult(Backend.CUDA);   // nothing for the GPU to do
        }
        if (problem.valueDim() == 0) {
            // Only weights or the log-sum-exp to give: computed over one zero value column, so that no device
            // buffer or GEMM ever has a zero dimension, then the column is dropped.
            Tensor v1 = Tensor.zeros(problem.batch(), problem.kvHeads(), problem.nk(), 1);
            AttentionResult r = attention(AttentionProblem.of(problem.q(), problem.k(), v1, problem.options()));
            return new AttentionResult(Tensor.zeros(problem.batch(), problem.heads(), problem.nq(), 0),
                    r.weights().orElse(null), r.logSumExp().orElse(null), Backend.CUDA);
        }
        DeviceProblem p = DeviceProblem.of(problem);
        PathChoice d = flash.dispatchHost(p);
        if (d.fused()) {
            return flash.host(problem, p, d.version());
        }
        return withRetry(p, () -> hostCall(problem, p));
    }

    private AttentionResult hostCall(AttentionProblem problem, DeviceProblem p) {
        return DeviceCall.within(new CublasRun(rt, rt.workers.borrow(), gp, p), run -> {
            Worker w = run.worker;
            DType st = gp.storage();
            CUdeviceptr q = run.upload(problem.q().data(), st);
            CUdeviceptr k = run.upload(problem.k().data(), st);
            CUdeviceptr v = run.upload(problem.v().data(), st);
            long outN = (long) p.batch() * p.heads() * p.nq() * p.valueDim();
            CUdeviceptr out = run.scratch(outN * 4);
            CUdeviceptr lse = p.returnLse() ? run.scratch(4 * p.rows()) : null;
            if (CudaSettings.poison()) {
                JCudaDriver.cuMemsetD32Async(out, Float.floatToRawIntBits(Float.NaN), outN, w.stream);
                if (lse != null) {
                    JCudaDriver.cuMemsetD32Async(lse, Float.floatToRawIntBits(Float.NaN), p.rows(), w.stream);
                }
            }
            float[] weights = p.returnWeights() ? new float[(int) (p.rows() * p.nk())] : null;
            CublasRun.WeightsSink sink = weights == null ? null : (prob, type, first, count) ->
                    rt.transfers.downloadFloats(w, prob, type, count, FloatBuffer.wrap(weights, (int) first,
                            (int) count));
            run.execute(q, k, v, true, out, DType.FP32, lse, sink);
            float[] o = new float[(int) outN];
            rt.transfers.downloadFloats(w, out, DType.FP32, outN, FloatBuffer.wrap(o));
            float[] l = null;
            if (lse != null) {
                l = new float[(int) p.rows()];
                rt.transfers.downloadFloats(w, lse, DType.FP32, l.length, FloatBuffer.wrap(l));
            }
            return new AttentionResult(Tensor.of(o, p.outputShape()),
                    weights == null ? null : Tensor.of(weights, p.batch(), p.heads(), p.nq(), p.nk()),
                    l == null ? null : Tensor.of(l, p.batch(), p.heads(), p.nq()), Backend.CUDA);
        });
    }

    /**
     * Attention of device tensors; the result's tensors are new (output in the inputs' type, weights and
     * log-sum-exp in FP32 when the options ask for them) and the caller closes them.
     *
     * @throws IllegalArgumentException when shapes, types or options do not fit
     * @throws AttentionException       on device failure or out-of-memory
     */
    public DeviceAttentionResult attention(DeviceTensor q, DeviceTensor k, DeviceTensor v, AttentionOptions options) {
        DeviceProblem p = check(q, k, v, options);
        DeviceTensor out = allocate(q.dtype(), p.outputShape());
        DeviceTensor weights = null;
        DeviceTensor lse = null;
        try {
            weights = p.returnWeights() ? allocate(DType.FP32, p.batch(), p.heads(), p.nq(), p.nk()) : null;
            lse = p.returnLse() ? allocate(DType.FP32, p.batch(), p.heads(), p.nq()) : null;
            attentionInto(q, k, v, options, out, weights, lse);
            return new DeviceAttentionResult(out, weights, lse);
        } catch (RuntimeException e) {
            out.close();
            if (weights != null) {
                weights.close();
            }
            if (lse != null) {
                lse.close();
            }
            throw e;
        }
    }

    /**
     * Attention of device tensors into caller-owned tensors: no allocation beyond the cached workspace.
     *
     * @param output  {@code [B, Hq, Nq, Dv]}, FP32 or the inputs' type
     * @param weights {@code [B, Hq, Nq, Nk]} FP32, written when not null
     * @param lse     {@code [B, Hq, Nq]} FP32, written when not null
     * @throws IllegalArgumentException when shapes, types or options do not fit
     * @throws AttentionException       on device failure or out-of-memory
     */
    public void attentionInto(DeviceTensor q, DeviceTensor k, DeviceTensor v, AttentionOptions options,
                              DeviceTensor output, DeviceTensor weights, DeviceTensor lse) {
        DeviceProblem p = check(q, k, v, options);
        Objects.requireNonNull(output, "output");
        requireShape(output, "output", p.outputShape());
        if (output.dtype() != DType.FP32 && output.dtype() != q.dtype()) {
            throw new IllegalArgumentException("output must be FP32 or the inputs' type " + q.dtype() + ", got "
                    + output.dtype());
        }
        if (gp.storage() == DType.FP32 && output.dtype() != DType.FP32) {
            throw new IllegalArgumentException("output must be FP32 at precision " + precision);
        }
        if (weights != null) {
            requireShape(weights, "weights", new int[] {p.batch(), p.heads(), p.nq(), p.nk()});
            requireFp32(weights, "weights");
        }
        if (lse != null) {
            requireShape(lse, "lse", new int[] {p.batch(), p.heads(), p.nq()});
            requireFp32(lse, "lse");
        }
        PathChoice d = flash.dispatch(p);
        if (d.fused()) {
            flash.device(p, d.version(), q, k, v, output, weights, lse);
            return;
        }
        withRetry(p, () -> DeviceCall.within(new CublasRun(rt, rt.workers.borrow(), gp, p), run -> {
            Worker w = run.worker;
            CublasRun.WeightsSink sink = weights == null ? null : (prob, type, first, count) -> {
                CUdeviceptr dst = weights.pointer().withByteOffset(4 * first);
                if (type == DType.FP32) {
                    JCudaDriver.cuMemcpyDtoDAsync(dst, prob, 4 * count, w.stream);
                } else {
                    Kernels.launch(rt.kernels.toF32(type), Kernels.elementwiseGrid(count), 1, 256, 0, w.stream,
                            KernelArgs.convert(prob, dst, count).values());
                }
            };
            run.execute(q.pointer(), k.pointer(), v.pointer(), false, output.pointer(), output.dtype(),
                    lse == null ? null : lse.pointer(), sink);
            w.sync();
            return null;
        }));
    }

    /**
     * Which path (fused kernels or cuBLAS) a call on device tensors of these shapes and options takes now, and
     * why, in words; follows {@link CudaPath#current()}.
     *
     * @throws IllegalArgumentException when the shapes or options do not fit, or FUSED is forced on a call it
     *                                  cannot take
     */
    public String pathFor(int[] q, int[] k, int[] v, AttentionOptions options) {
        return flash.dispatch(DeviceProblem.of(q, k, v, options)).reason();
    }

    /** Packed sequences (engine-validated): the fused varlen kernel, or per sequence through {@code fallback}. */
    AttentionResult varlen(VarlenProblem problem, AttentionBackend fallback) {
        requireOpen();
        return flash.varlen(problem, fallback);
    }

    /**
     * A new, empty KV cache on the device in this precision's storage type, for {@link #decode} and
     * {@link org.attention4j.AttentionEngine#decode}.
     *
     * @throws IllegalArgumentException when the dimensions do not fit the decode kernels ({@code Dv == D <= 256})
     *                                  or the fatbin lacks them
     */
    public DeviceKvCache newKvCache(int batch, int kvHeads, int capacity, int dim, int valueDim) {
        requireOpen();
        if (!flash.deviceCacheFits(dim, valueDim)) {
            throw new IllegalArgumentException("a device KV cache needs the fused decode kernels and Dv == D <= "
                    + FlashLaunch.MAX_DIM + ", got D=" + dim + " Dv=" + valueDim
                    + (rt.kernels.fusedPresent() ? "" : " (the kernels were built without them)"));
        }
        return new DeviceKvCache(rt, gp.storage(), batch, kvHeads, capacity, dim);
    }

    /** Whether {@link #newKvCache} takes these head dims. */
    boolean deviceCacheFits(int dim, int valueDim) {
        return flash.deviceCacheFits(dim, valueDim);
    }

    /** A decode step (engine-validated) with host queries over a device cache. */
    AttentionResult decode(DecodeProblem problem, DeviceKvCache cache) {
        requireOpen();
        return flash.decode(problem, cache);
    }

    /**
     * A decode step on the device (FlashDecoding: split over the cached keys, then combined through the
     * log-sum-exp): {@code q [B, Hq, Nq <= 16, D]} of the cache's type against each batch entry's cached keys,
     * aligned bottom-right on its length, into {@code output [B, Hq, Nq, D]} (FP32 or the cache's type) and
     * {@code lse [B, Hq, Nq]} (FP32, nullable). Semantics as {@link org.attention4j.AttentionEngine#decode}.
     *
     * @throws IllegalArgumentException when shapes, types or options do not fit
     * @throws AttentionException       on device failure
     */
    public void decode(DeviceTensor q, DeviceKvCache cache, AttentionOptions options, DeviceTensor output,
                       DeviceTensor lse) {
        requireOpen();
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(output, "output");
        DecodeProblem p = DecodeProblem.ofShape(q.shape(), cache, options);
        if (q.dtype() != cache.dtype() || q.isClosed()) {
            throw new IllegalArgumentException("q must be an open " + cache.dtype() + " tensor like the cache, got " + q);
        }
        requireShape(output, "output", new int[] {p.batch(), p.heads(), p.nq(), p.dim()});
        if (output.dtype() != DType.FP32 && output.dtype() != cache.dtype()) {
            throw new IllegalArgumentException("output must be FP32 or " + cache.dtype() + ", got " + output.dtype());
        }
        if (lse != null) {
            requireShape(lse, "lse", new int[] {p.batch(), p.heads(), p.nq()});
            requireFp32(lse, "lse");
        }
        flash.decode(p, cache, q, output, lse);
    }

    /**
     * Merges partial results over disjoint key shards on the device, as {@link org.attention4j.AttentionMerge}
     * does on the host: {@code partOutputs [S, ..., Dv]} (shard {@code s} at index {@code s}) and
     * {@code partLogSumExps [S, ...]} (FP32) into {@code output [..., Dv]} (the partials' type) and {@code lse}
     * (FP32, nullable).
     *
     * @throws IllegalArgumentException naming the shapes when they do not fit
     * @throws AttentionException       on device failure or when the fatbin lacks the merge kernel
     */
    public void merge(DeviceTensor partOutputs, DeviceTensor partLogSumExps, DeviceTensor output, DeviceTensor lse) {
        requireOpen();
        flash.merge(partOutputs, partLogSumExps, output, lse);
    }

    /** As {@link #merge(DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor)} over separate partials. */
    public void merge(List<DeviceTensor> outputs, List<DeviceTensor> logSumExps, DeviceTensor output,
                      DeviceTensor lse) {
        requireOpen();
        flash.merge(outputs, logSumExps, output, lse, this);
    }

    private DeviceProblem check(DeviceTensor q, DeviceTensor k, DeviceTensor v, AttentionOptions options) {
        requireOpen();
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(k, "k");
        Objects.requireNonNull(v, "v");
        for (DeviceTensor t : new DeviceTensor[] {q, k, v}) {
            if (t.isClosed()) {
                throw new IllegalArgumentException(t + " is closed");
            }
            if (t.dtype() != gp.storage()) {
                throw new IllegalArgumentException("q, k and v must be " + gp.storage() + " at precision " + precision
                        + ", got q " + q.dtype() + ", k " + k.dtype() + ", v " + v.dtype());
            }
        }
        return DeviceProblem.of(q.shape(), k.shape(), v.shape(), options);
    }

    private static void requireShape(DeviceTensor t, String name, int[] shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(name + " must have shape " + Arrays.toString(shape) + ", got "
                    + Arrays.toString(t.shape()));
        }
        if (t.isClosed()) {
            throw new IllegalArgumentException(name + " is closed");
        }
    }

    private static void requireFp32(DeviceTensor t, String name) {
        if (t.dtype() != DType.FP32) {
            throw new IllegalArgumentException(name + " must be FP32, got " + t.dtype());
        }
    }

    private interface Call<T> {
        T run();
    }

    /** Runs a call; cuBLAS running out of device memory empties the cache and retries once. */
    private <T> T withRetry(DeviceProblem p, Call<T> call) {
        try {
            return call.run();
        } catch (CudaException e) {
            if (!CudaErrors.isOutOfMemory(e)) {
                throw new AttentionException("CUDA failure in attention (" + p.describe() + "): " + e.getMessage(), e);
            }
            long freed = rt.allocator.trim();
            LOG.debug("device out of memory inside a CUDA library call; freed {} cached bytes and retrying", freed);
            try {
                return call.run();
            } catch (CudaException again) {
                if (!CudaErrors.isOutOfMemory(again)) {
                    throw new AttentionException("CUDA failure in attention (" + p.describe() + "): "
                            + again.getMessage(), again);
                }
                AllocatorStats s = rt.allocator.stats();
                throw new AttentionOutOfMemoryException("CUDA out of memory in attention (" + p.describe() + ") with "
                        + s.bytesInUse() + " bytes in use: " + again.getMessage(),
                        AttentionOutOfMemoryException.Memory.DEVICE, -1, -1, again);
            }
        }
    }

    /** The device-memory cache's counters (shared by every CudaAttention of this JVM and device). */
    public AllocatorStats memoryStats() {
        return rt.allocator.stats();
    }

    /** Frees cached device memory and idle workers; returns the bytes freed. */
    public long trimCache() {
        long freed = rt.allocator.trim();
        rt.workers.trim();
        return freed;
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("CUDA attention is closed");
        }
    }

    /**
     * Closes this handle and trims the shared cache; safe to call twice. Device tensors stay valid (they belong
     * to the process-wide device state) until closed.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            trimCache();
        }
    }

    @Override
    public String toString() {
        return "CudaAttention[" + precision + "]";
    }
}

package org.attention4j.cuda;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import org.attention4j.AttentionException;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionProblem;
import org.attention4j.spi.BySequence;
import org.attention4j.spi.DecodeProblem;
import org.attention4j.spi.VarlenProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * The fused path of {@link CudaAttention}: dense calls, packed sequences, decode over a {@link DeviceKvCache} and
 * the device LSE merge, each as a {@link FlashProgram} run by a {@link FlashRun} on a borrowed worker.
 */
final class FusedPath {
    private static final Logger LOG = LoggerFactory.getLogger(FusedPath.class);

    private final CudaRuntime rt;
    private final DType storage;

    FusedPath(CudaRuntime rt, DType storage) {
        this.rt = rt;
        this.storage = storage;
    }

    /** The path of a call on device tensors (or of any call, when weights are not asked for). */
    PathChoice dispatch(DeviceProblem p) {
        return PathChoice.decideDense(p.mask() != null, p.dim(), p.valueDim(), storage, rt.computeMajor,
                rt.kernels.fusedPresent(), CudaPath.current(), rt.cublasMissing);
    }

    /**
     * The path of a host call: as {@link #dispatch}, except that under AUTO weights larger than the workspace
     * setting stay on the cuBLAS path, which computes them in chunks (the fused path holds them whole on the
     * device before the download).
     */
    PathChoice dispatchHost(DeviceProblem p) {
        PathChoice d = dispatch(p);
        long weightBytes = 4L * p.batch() * p.heads() * p.nq() * p.nk();
        if (d.fused() && p.returnWeights() && weightBytes > CudaSettings.workspaceBytes()
                && CudaPath.current() == CudaPath.AUTO && rt.cublasMissing == null) {
            return new PathChoice(false, 0, "weights of " + weightBytes + " bytes exceed the workspace");
        }
        return d;
    }

    /** A dense host call (engine-validated, no zero dims) on the fused path. */
    AttentionResult host(AttentionProblem problem, DeviceProblem p, int version) {
        return onRun(p.describe(), run -> {
            long rows = (long) p.batch() * p.heads() * p.nq();
            long outN = rows * p.valueDim();
            Map<Buf, CUdeviceptr> given = new EnumMap<>(Buf.class);
            given.put(Buf.Q, run.upload(problem.q().data(), storage));
            given.put(Buf.K, run.upload(problem.k().data(), storage));
            given.put(Buf.V, run.upload(problem.v().data(), storage));
            given.put(Buf.OUT, poisoned(run, outN));
            if (p.returnLse()) {
                given.put(Buf.LSE, poisoned(run, rows));
            }
            if (p.returnWeights()) {
                given.put(Buf.WEIGHTS, poisoned(run, rows * p.nk()));
            }
            run.execute(FlashProgram.dense(p, storage, version, true, DType.FP32, p.returnLse(),
                    p.returnWeights()), given);
            float[] o = download(run, given.get(Buf.OUT), outN);
            float[] l = p.returnLse() ? download(run, given.get(Buf.LSE), rows) : null;
            float[] wt = p.returnWeights() ? download(run, given.get(Buf.WEIGHTS), rows * p.nk()) : null;
            return new AttentionResult(Tensor.of(o, p.outputShape()),
                    wt == null ? null : Tensor.of(wt, p.batch(), p.heads(), p.nq(), p.nk()),
                    l == null ? null : Tensor.of(l, p.batch(), p.heads(), p.nq()), Backend.CUDA);
        });
    }

    /** A dense call on device tensors (checked by {@link CudaAttention}) on the fused path. */
    void device(DeviceProblem p, int version, DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor out,
                DeviceTensor weights, DeviceTensor lse) {
        onRun(p.describe(), run -> {
            Map<Buf, CUdeviceptr> given = new EnumMap<>(Buf.class);
            given.put(Buf.Q, q.pointer());
            given.put(Buf.K, k.pointer());
            given.put(Buf.V, v.pointer());
            given.put(Buf.OUT, out.pointer());
            if (lse != null) {
                given.put(Buf.LSE, lse.pointer());
            }
            if (weights != null) {
                given.put(Buf.WEIGHTS, weights.pointer());
            }
            run.execute(FlashProgram.dense(p, storage, version, false, out.dtype(), lse != null, weights != null),
                    given);
            run.worker.sync();
            return null;
        });
    }

    /**
     * Packed sequences: the fused varlen kernel when the path allows it, else one call per sequence through
     * {@code fallback} (exact; also for empty batches and sequences without keys).
     */
    AttentionResult varlen(VarlenProblem vp, AttentionBackend fallback) {
        PathChoice d = PathChoice.decide(false, vp.dim(), vp.valueDim(), storage, rt.computeMajor,
                rt.kernels.fusedPresent(), CudaPath.current(), rt.cublasMissing);
        if (!d.fused() || vp.totalQ() == 0 || vp.maxNk() == 0) {
            LOG.debug("varlen per sequence: {}", d.fused() ? "no queries or no keys" : d.reason());
            return BySequence.varlen(fallback, vp);
        }
        AttentionOptions o = vp.options();
        FlashProgram.Varlen shape = varlenShape(vp);
        return onRun(vp.describe(), run -> {
            long rows = (long) vp.totalQ() * vp.heads();
            Map<Buf, CUdeviceptr> given = new EnumMap<>(Buf.class);
            given.put(Buf.Q, run.upload(vp.q().data(), storage));
            given.put(Buf.K, run.upload(vp.k().data(), storage));
            given.put(Buf.V, run.upload(vp.v().data(), storage));
            given.put(Buf.OUT, poisoned(run, rows * vp.dim()));
            if (o.returnLse()) {
                given.put(Buf.LSE, poisoned(run, rows));
            }
            run.execute(FlashProgram.varlen(shape, storage, d.version(), true, DType.FP32, o.returnLse()), given);
            float[] out = download(run, given.get(Buf.OUT), rows * vp.dim());
            float[] lse = o.returnLse() ? download(run, given.get(Buf.LSE), rows) : null;
            return new AttentionResult(Tensor.of(out, vp.totalQ(), vp.heads(), vp.dim()), null,
                    lse == null ? null : Tensor.of(lse, vp.totalQ(), vp.heads()), Backend.CUDA);
        });
    }

    /** Packed sequences as the fused program takes them. */
    static FlashProgram.Varlen varlenShape(VarlenProblem vp) {
        AttentionOptions o = vp.options();
        int[] qs = new int[vp.batch()];
        int[] ks = new int[vp.batch()];
        for (int s = 0; s < qs.length; s++) {
            qs[s] = vp.queryStart(s);
            ks[s] = vp.keyStart(s);
        }
        return new FlashProgram.Varlen(vp.cuSeqlensQ(), vp.cuSeqlensK(), vp.heads(), vp.kvHeads(), vp.dim(),
                vp.scale(), o.causal().ordinal(), o.windowLeft(), o.windowRight(), vp.alibiSlopes(), o.rope(), qs, ks);
    }

    /** Whether a cache of these dimensions can live on the device (the decode kernels' limits). */
    boolean deviceCacheFits(int dim, int valueDim) {
        return rt.kernels.fusedPresent() && dim == valueDim && dim <= FlashLaunch.MAX_DIM;
    }

    /** A decode step with host queries over a device cache; the output and lse come back to the host. */
    AttentionResult decode(DecodeProblem dp, DeviceKvCache cache) {
        synchronized (cache) {
            return onRun(dp.describe(), run -> {
                boolean done = false;
                try {
                    long rows = (long) dp.batch() * dp.heads() * dp.nq();
                    Map<Buf, CUdeviceptr> given = cacheBuffers(cache);
                    boolean rotValid = rotation(dp, cache, given);
                    given.put(Buf.Q, run.upload(dp.q().data(), cache.dtype()));
                    given.put(Buf.OUT, poisoned(run, rows * dp.dim()));
                    boolean lse = dp.options().returnLse();
                    if (lse) {
                        given.put(Buf.LSE, poisoned(run, rows));
                    }
                    run.execute(FlashProgram.decode(decodeShape(dp, cache), cache.dtype(), true, DType.FP32, lse,
                            rt.multiprocessors, rotValid), given);
                    float[] out = download(run, given.get(Buf.OUT), rows * dp.dim());
                    float[] l = lse ? download(run, given.get(Buf.LSE), rows) : null;
                    done = true;
                    rotated(dp, cache);
                    return new AttentionResult(Tensor.of(out, dp.batch(), dp.heads(), dp.nq(), dp.dim()), null,
                            l == null ? null : Tensor.of(l, dp.batch(), dp.heads(), dp.nq()), Backend.CUDA);
                } finally {
                    if (!done) {
                        cache.rotatedKeysLost();
                    }
                }
            });
        }
    }

    /** A decode step with device queries into device outputs (checked by {@link CudaAttention}). */
    void decode(DecodeProblem dp, DeviceKvCache cache, DeviceTensor q, DeviceTensor out, DeviceTensor lse) {
        synchronized (cache) {
            onRun(dp.describe(), run -> {
                boolean done = false;
                try {
                    Map<Buf, CUdeviceptr> given = cacheBuffers(cache);
                    boolean rotValid = rotation(dp, cache, given);
                    given.put(Buf.Q, q.pointer());
                    given.put(Buf.OUT, out.pointer());
                    if (lse != null) {
                        given.put(Buf.LSE, lse.pointer());
                    }
                    run.execute(FlashProgram.decode(decodeShape(dp, cache), cache.dtype(), false, out.dtype(),
                            lse != null, rt.multiprocessors, rotValid), given);
                    run.worker.sync();
                    done = true;
                    rotated(dp, cache);
                    return null;
                } finally {
                    if (!done) {
                        cache.rotatedKeysLost();
                    }
                }
            });
        }
    }

    /** With RoPE, maps the cache's rotated keys and says whether they are current. */
    private static boolean rotation(DecodeProblem dp, DeviceKvCache cache, Map<Buf, CUdeviceptr> given) {
        if (dp.options().rope() == null) {
            return false;
        }
        given.put(Buf.K_ROT, cache.rotatedKeys(dp.options().rope()).pointer());
        return cache.rotatedKeysValid(dp.options().rope());
    }

    /** After a successful step with RoPE the rotated keys are current (appends keep them so). */
    private static void rotated(DecodeProblem dp, DeviceKvCache cache) {
        if (dp.options().rope() != null) {
            cache.rotatedKeysBuilt(dp.options().rope());
        }
    }

    private static Map<Buf, CUdeviceptr> cacheBuffers(DeviceKvCache cache) {
        if (cache.isClosed()) {
            throw new IllegalArgumentException("cache " + cache + " is closed");
        }
        Map<Buf, CUdeviceptr> given = new EnumMap<>(Buf.class);
        given.put(Buf.K_CACHE, cache.keys().pointer());
        given.put(Buf.V_CACHE, cache.values().pointer());
        return given;
    }

    private static FlashProgram.Decode decodeShape(DecodeProblem dp, DeviceKvCache cache) {
        return decodeShape(dp, cache.kvHeads(), cache.capacity());
    }

    /** A decode step as the fused program takes it. */
    static FlashProgram.Decode decodeShape(DecodeProblem dp, int kvHeads, int capacity) {
        AttentionOptions o = dp.options();
        return new FlashProgram.Decode(dp.batch(), dp.heads(), kvHeads, dp.nq(), capacity, dp.dim(),
                dp.lengths(), dp.scale(), o.causal().ordinal(), o.windowLeft(), o.windowRight(), dp.alibiSlopes(),
                o.rope());
    }

    /**
     * The device LSE merge of stacked partials: {@code partO [S, ..., Dv]} and {@code partLse [S, ...]} (FP32)
     * into {@code out [..., Dv]} (the partials' type) and {@code lse [...]} (FP32, nullable).
     */
    void merge(DeviceTensor partO, DeviceTensor partLse, DeviceTensor out, DeviceTensor lse) {
        Objects.requireNonNull(partO, "partOutputs");
        Objects.requireNonNull(partLse, "partLogSumExps");
        Objects.requireNonNull(out, "output");
        int[] os = out.shape();
        if (os.length < 1) {
            throw new IllegalArgumentException("output must have rank >= 1 [..., Dv], got " + out);
        }
        int[] ls = Arrays.copyOf(os, os.length - 1);
        int shards = partO.rank() > 0 ? partO.dim(0) : 0;
        if (partO.rank() != os.length + 1 || !Arrays.equals(Arrays.copyOfRange(partO.shape(), 1, partO.rank()), os)
                || shards < 1) {
            throw new IllegalArgumentException("partOutputs must be [S >= 1] + output's shape " + Arrays.toString(os)
                    + ", got " + partO);
        }
        int[] wantLse = new int[ls.length + 1];
        wantLse[0] = shards;
        System.arraycopy(ls, 0, wantLse, 1, ls.length);
        if (!Arrays.equals(partLse.shape(), wantLse) || partLse.dtype() != DType.FP32) {
            throw new IllegalArgumentException("partLogSumExps must be FP32 " + Arrays.toString(wantLse) + ", got "
                    + partLse);
        }
        if (partO.dtype() != out.dtype()) {
            throw new IllegalArgumentException("output must have the partials' type " + partO.dtype() + ", got "
                    + out.dtype());
        }
        if (lse != null && (!Arrays.equals(lse.shape(), ls) || lse.dtype() != DType.FP32)) {
            throw new IllegalArgumentException("lse must be FP32 " + Arrays.toString(ls) + ", got " + lse);
        }
        for (DeviceTensor t : new DeviceTensor[] {partO, partLse, out, lse}) {
            if (t != null && t.isClosed()) {
                throw new IllegalArgumentException(t + " is closed");
            }
        }
        long rows = 1;
        for (int x : ls) {
            rows *= x;
        }
        int dv = os[os.length - 1];
        if (rows == 0 || dv == 0) {
            return;
        }
        requireKernels("the device merge");
        long r = rows;
        rt.workers.call("fused attention (merge of " + shards + " shards x " + rows + " rows)", w -> {
            FlashLaunch l = FlashLaunch.merge(out.dtype(), r);
            KernelArgs a = KernelArgs.merge(partO.pointer(), partLse.pointer(), out.pointer(),
                    lse == null ? null : lse.pointer(), r, shards, dv);
            JCudaDriver.cuLaunchKernel(rt.kernels.function(l), l.gridX(), l.gridY(), l.gridZ(), l.block(), 1, 1,
                    l.sharedMem(), w.stream, jcuda.Pointer.to(a.values()), null);
            w.sync();
            return null;
        });
    }

    /** The device merge of separate partials, stacked by device copies first. */
    void merge(List<DeviceTensor> outputs, List<DeviceTensor> lses, DeviceTensor out, DeviceTensor lse,
               CudaAttention owner) {
        Objects.requireNonNull(outputs, "outputs");
        Objects.requireNonNull(lses, "logSumExps");
        if (outputs.isEmpty() || outputs.size() != lses.size()) {
            throw new IllegalArgumentException("outputs (" + outputs.size() + ") and logSumExps (" + lses.size()
                    + ") must be non-empty and of the same length");
        }
        DeviceTensor first = Objects.requireNonNull(outputs.get(0), "outputs[0]");
        int[] os = first.shape();
        int[] stackedO = new int[os.length + 1];
        stackedO[0] = outputs.size();
        System.arraycopy(os, 0, stackedO, 1, os.length);
        int[] stackedL = Arrays.copyOf(stackedO, stackedO.length - 1);
        try (DeviceTensor po = owner.allocate(first.dtype(), stackedO);
             DeviceTensor pl = owner.allocate(DType.FP32, stackedL)) {
            // Every argument is checked before the first copy is queued: a bad one found part-way would leave
            // copies in flight into po/pl while they go back to the cache.
            for (int s = 0; s < outputs.size(); s++) {
                DeviceTensor o = Objects.requireNonNull(outputs.get(s), "outputs[" + s + "]");
                DeviceTensor l = Objects.requireNonNull(lses.get(s), "logSumExps[" + s + "]");
                if (!Arrays.equals(o.shape(), os) || o.dtype() != first.dtype()) {
                    throw new IllegalArgumentException("outputs[" + s + "] is " + o + " but outputs[0] is " + first);
                }
                if (!Arrays.equals(l.shape(), Arrays.copyOf(os, os.length - 1)) || l.dtype() != DType.FP32) {
                    throw new IllegalArgumentException("logSumExps[" + s + "] must be FP32 "
                            + Arrays.toString(Arrays.copyOf(os, os.length - 1)) + ", got " + l);
                }
                if (o.isClosed() || l.isClosed()) {
                    throw new IllegalArgumentException("outputs[" + s + "] or logSumExps[" + s + "] is closed");
                }
            }
            rt.workers.call("fused attention (stacking " + outputs.size() + " partials)", w -> {
                for (int s = 0; s < outputs.size(); s++) {
                    DeviceTensor o = outputs.get(s);
                    DeviceTensor l = lses.get(s);
                    JCudaDriver.cuMemcpyDtoDAsync(po.pointer().withByteOffset(s * o.byteSize()), o.pointer(),
                            o.byteSize(), w.stream);
                    JCudaDriver.cuMemcpyDtoDAsync(pl.pointer().withByteOffset(s * l.byteSize()), l.pointer(),
                            l.byteSize(), w.stream);
                }
                w.sync();
                return null;
            });
            merge(po, pl, out, lse);
        }
    }

    private void requireKernels(String what) {
        if (!rt.kernels.fusedPresent()) {
            throw new AttentionException(what + " needs the fused kernels, which this build of the kernels lacks "
                    + "(rebuild with cuda/build.sh)");
        }
    }

    private static CUdeviceptr poisoned(FlashRun run, long floats) {
        CUdeviceptr d = run.scratch(4 * floats);
        if (CudaSettings.poison()) {
            JCudaDriver.cuMemsetD32Async(d, Float.floatToRawIntBits(Float.NaN), floats, run.worker.stream);
        }
        return d;
    }

    private float[] download(FlashRun run, CUdeviceptr src, long n) {
        float[] a = new float[(int) n];
        rt.transfers.downloadFloats(run.worker, src, DType.FP32, n, FloatBuffer.wrap(a));
        return a;
    }

    /**
     * Turns a CUDA failure into an {@link AttentionException} naming the call (device out of memory into its
     * {@link org.attention4j.AttentionOutOfMemoryException} subclass).
     */
    /**
     * The one lease of every fused call: a worker borrowed for a {@link FlashRun}, given back by its
     * {@link DeviceCall#finish} (kept when {@code body} returned, else kept only if its stream still synchronises;
     * scratch freed either way), JCuda failures raised as {@link org.attention4j.AttentionException} naming
     * {@code what}.
     */
    private <T> T onRun(String what, Function<FlashRun, T> body) {
        try {
            return DeviceCall.within(new FlashRun(rt, rt.workers.borrow()), body);
        } catch (CudaException e) {
            throw CudaErrors.translate("fused attention (" + what + ")", e);
        }
    }
}

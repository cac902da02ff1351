package org.attention4j.cuda;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

import org.attention4j.KvCache;
import org.attention4j.Rope;
import org.attention4j.Tensor;

import jcuda.driver.CUdeviceptr;

/**
 * A {@link KvCache} in device memory, in the storage type of the backend's precision: keys
 * {@code [B, Hkv, capacity, D]} and values {@code [B, Hkv, capacity, D]} allocated up front (the fused decode
 * kernels need {@code Dv == D}). Appends run the append kernel on the device: from host tensors (uploaded first)
 * or from {@link DeviceTensor}s already there ({@link #append(DeviceTensor, DeviceTensor, int[])}), for example
 * the K and V projections of the new tokens. The lengths live on the host (the API's truth) and are uploaded with
 * each decode step. Made by {@link CudaAttention#newKvCache} or an engine on CUDA.
 *
 * <p>Keys are cached as given (before RoPE). For decode steps with RoPE the cache also keeps its keys rotated at
 * their positions, built on the first such step (one pass over the cache) and then extended by every append, so
 * later steps read them without rotating the cache again; a step with other RoPE settings rebuilds them.
 */
public final class DeviceKvCache extends KvCache {
    private final CudaRuntime rt;
    private final DType type;
    private final DeviceTensor keys;
    private final DeviceTensor values;
    /** The keys rotated at their positions by {@link #rotation}, allocated on first use. */
    private DeviceTensor rotated;
    /** The rotation the rotated keys were built with (positions aside: a cache's keys sit at 0, 1, ..). */
    private Rope rotation;
    private boolean rotValid;

    DeviceKvCache(CudaRuntime rt, DType type, int batch, int kvHeads, int capacity, int dim) {
        super(batch, kvHeads, capacity, dim, dim);
        this.rt = rt;
        this.type = type;
        DeviceTensor k = new DeviceTensor(rt, rt.allocator, type, new int[] {batch, kvHeads, capacity, dim});
        try {
            this.values = new DeviceTensor(rt, rt.allocator, type, new int[] {batch, kvHeads, capacity, dim});
        } catch (RuntimeException e) {
            k.close();
            throw e;
        }
        this.keys = k;
    }

    /** The element type of the cached keys and values. */
    public DType dtype() {
        return type;
    }

    /** The key storage {@code [B, Hkv, capacity, D]}. */
    DeviceTensor keys() {
        return keys;
    }

    /** The value storage {@code [B, Hkv, capacity, D]}. */
    DeviceTensor values() {
        return values;
    }

    @Override
    protected void store(Tensor kNew, Tensor vNew, int[] counts, int[] at) {
        appendCall(run -> runAppend(run, run.upload(kNew.data(), type), run.upload(vNew.data(), type), kNew.dim(2),
                counts, at));
    }

    /**
     * One append as one device call: {@code body} queues it on the call's stream, which is then synchronised;
     * a failure leaves the rotated-key cache invalid and reaches the caller as an AttentionException.
     */
    private void appendCall(java.util.function.Consumer<FlashRun> body) {
        boolean done = false;
        try {
            DeviceCall.within(new FlashRun(rt, rt.workers.borrow()), run -> {
                body.accept(run);
                run.worker.sync();
                return null;
            });
            done = true;
        } catch (jcuda.CudaException e) {
            throw CudaErrors.translate("an append to " + this, e);
        } finally {
            if (!done) {
                rotValid = false;
            }
        }
    }

    /** Appends {@code Nnew} tokens to every batch entry from device tensors {@code [B, Hkv, Nnew, D]} of {@link #dtype()}. */
    public void append(DeviceTensor kNew, DeviceTensor vNew) {
        append(kNew, vNew, null);
    }

    /**
     * Appends the first {@code counts[b]} of the {@code Nnew} tokens of device tensors {@code kNew, vNew
     * [B, Hkv, Nnew, D]} (of {@link #dtype()}) to batch entry {@code b}; {@code counts == null} appends all.
     *
     * @throws IllegalArgumentException when shapes or types do not fit or the capacity would be exceeded
     */
    public void append(DeviceTensor kNew, DeviceTensor vNew, int[] counts) {
        Objects.requireNonNull(kNew, "kNew");
        Objects.requireNonNull(vNew, "vNew");
        if (kNew.dtype() != type || vNew.dtype() != type) {
            throw new IllegalArgumentException("kNew and vNew must be " + type + " like the cache, got "
                    + kNew.dtype() + " and " + vNew.dtype());
        }
        if (kNew.isClosed() || vNew.isClosed()) {
            throw new IllegalArgumentException("kNew or vNew is closed");
        }
        synchronized (this) {
            int[] c = checkAppend(kNew.shape(), vNew.shape(), counts);
            int[] at = lengths();
            appendCall(run -> runAppend(run, kNew.pointer(), vNew.pointer(), kNew.dim(2), c, at));
            commit(c);
        }
    }

    /** Queues the append (and the rotated keys' share of it when they are kept). Holds the lock. */
    private void runAppend(FlashRun run, CUdeviceptr k, CUdeviceptr v, int nNew, int[] counts, int[] at) {
        Rope r = rotValid ? rotation : null;
        Map<Buf, CUdeviceptr> given = new EnumMap<>(Buf.class);
        given.put(Buf.K_NEW, k);
        given.put(Buf.V_NEW, v);
        given.put(Buf.K_CACHE, keys.pointer());
        given.put(Buf.V_CACHE, values.pointer());
        if (r != null) {
            given.put(Buf.K_ROT, rotated.pointer());
        }
        run.execute(FlashProgram.append(batch(), kvHeads(), nNew, capacity(), dim(), at, counts, type, r), given);
    }

    /**
     * The rotated keys for a decode step with {@code rope} (allocated on first use), and whether they are current
     * for its settings; the caller holds the lock through the step and reports with {@link #rotatedKeysBuilt} or
     * {@link #rotatedKeysLost}.
     */
    synchronized DeviceTensor rotatedKeys(Rope rope) {
        if (rotated == null) {
            rotated = new DeviceTensor(rt, rt.allocator, type, new int[] {batch(), kvHeads(), capacity(), dim()});
        }
        if (rotValid && !rope.sameRotation(rotation)) {
            rotValid = false;
        }
        return rotated;
    }

    /** Whether the rotated keys are current for {@code rope}. */
    synchronized boolean rotatedKeysValid(Rope rope) {
        return rotValid && rope.sameRotation(rotation);
    }

    /** A decode step rebuilt the rotated keys for {@code rope}: appends keep them current from now on. */
    synchronized void rotatedKeysBuilt(Rope rope) {
        rotation = rope.withPositions(null, null);
        rotValid = true;
    }

    /** A step failed part-way: the rotated keys are rebuilt next time. */
    synchronized void rotatedKeysLost() {
        rotValid = false;
    }

    @Override
    protected synchronized void release() {
        keys.close();
        values.close();
        if (rotated != null) {
            rotated.close();
        }
    }
}

package org.attention4j.cuda;

import java.util.Objects;

import org.attention4j.KvCache;
import org.attention4j.Tensor;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * A {@link KvCache} in device memory, in the storage type of the backend's precision: keys
 * {@code [B, Hkv, capacity, D]} and values {@code [B, Hkv, capacity, D]} allocated up front (the fused decode
 * kernels need {@code Dv == D}). Appends run the append kernel on the device: from host tensors (uploaded first)
 * or from {@link DeviceTensor}s already there ({@link #append(DeviceTensor, DeviceTensor, int[])}), for example
 * the K and V projections of the new tokens. The lengths live on the host (the API's truth) and are uploaded with
 * each decode step. Made by {@link CudaAttention#newKvCache} or an engine on CUDA.
 */
public final class DeviceKvCache extends KvCache {
    private final CudaRuntime rt;
    private final DType type;
    private final DeviceTensor keys;
    private final DeviceTensor values;

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
        Worker w = rt.workers.borrow();
        FlashRun run = new FlashRun(rt, w);
        boolean healthy = false;
        try {
            CUdeviceptr k = run.upload(kNew.data(), type);
            CUdeviceptr v = run.upload(vNew.data(), type);
            launchAppend(run, w, k, v, kNew.dim(2), counts, at);
            w.sync();
            healthy = true;
        } finally {
            FlashCalls.finish(rt, w, run, healthy);
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
            Worker w = rt.workers.borrow();
            FlashRun run = new FlashRun(rt, w);
            boolean healthy = false;
            try {
                launchAppend(run, w, kNew.pointer(), vNew.pointer(), kNew.dim(2), c, lengths());
                w.sync();
                healthy = true;
            } finally {
                FlashCalls.finish(rt, w, run, healthy);
            }
            commit(c);
        }
    }

    private void launchAppend(FlashRun run, Worker w, CUdeviceptr k, CUdeviceptr v, int nNew, int[] counts,
                              int[] at) {
        if (nNew == 0) {
            return;
        }
        CUdeviceptr lens = run.scratch(4L * batch());
        CUdeviceptr news = run.scratch(4L * batch());
        rt.transfers.uploadInts(w, at, lens);
        rt.transfers.uploadInts(w, counts, news);
        FlashLaunch l = FlashLaunch.append(type, batch(), kvHeads(), nNew, dim());
        KernelArgs a = FlashKernelArgs.append(k, v, keys.pointer(), values.pointer(), lens, news, batch(), kvHeads(),
                nNew, capacity(), dim());
        JCudaDriver.cuLaunchKernel(rt.flash.function(l), l.gridX(), l.gridY(), l.gridZ(), l.block(), 1, 1,
                l.sharedMem(), w.stream, Pointer.to(a.values()), null);
    }

    @Override
    protected synchronized void release() {
        keys.close();
        values.close();
    }
}

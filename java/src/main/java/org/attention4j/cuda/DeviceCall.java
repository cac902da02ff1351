package org.attention4j.cuda;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * What every device call owns: the worker it runs on and the scratch blocks it takes from the caching allocator.
 * Every block is recorded and given back, with the worker, by {@link #finish(boolean)}, which the caller runs in a
 * finally block, so a failure part-way leaks nothing. The cuBLAS path ({@link CublasRun}) and the fused path
 * ({@link FlashRun}) share this one ownership rule.
 */
abstract class DeviceCall implements AutoCloseable {
    final CudaRuntime rt;
    final Worker worker;
    private final List<CachingAllocator.Block<CUdeviceptr>> taken = new ArrayList<>();

    DeviceCall(CudaRuntime rt, Worker worker) {
        this.rt = rt;
        this.worker = worker;
    }

    /**
     * Runs {@code body} on {@code call}, then ends the call: {@link #finish(boolean) finish(true)} when
     * {@code body} returned, {@code finish(false)} when it threw, so every borrower ends its call by one rule.
     */
    static <C extends DeviceCall, T> T within(C call, java.util.function.Function<C, T> body) {
        boolean healthy = false;
        try {
            T result = body.apply(call);
            healthy = true;
            return result;
        } finally {
            call.finish(healthy);
        }
    }

    /** Device scratch for this call, given back by {@link #close()}. */
    final CUdeviceptr scratch(long bytes) {
        CachingAllocator.Block<CUdeviceptr> b = rt.allocator.allocate(Math.max(1, bytes));
        taken.add(b);
        return b.handle();
    }

    /** Uploads floats as {@code type} into new scratch. */
    final CUdeviceptr upload(float[] data, DType type) {
        CUdeviceptr d = scratch((long) data.length * type.bytes());
        rt.transfers.uploadFloats(worker, FloatBuffer.wrap(data), data.length, d, type);
        return d;
    }

    /** Adds the uploaded arrays' buffers to {@code scratch}: 4 bytes an int or float, 1 a boolean, at least 1. */
    static void sizeUploads(Map<Buf, Long> scratch, Map<Buf, int[]> ints, Map<Buf, float[]> floats,
            Map<Buf, boolean[]> booleans) {
        ints.forEach((b, a) -> scratch.put(b, 4L * Math.max(1, a.length)));
        floats.forEach((b, a) -> scratch.put(b, 4L * Math.max(1, a.length)));
        booleans.forEach((b, a) -> scratch.put(b, (long) Math.max(1, a.length)));
    }

    /**
     * The program's buffers on the device: {@code given} (the caller's), then scratch for every other one, then
     * the uploads of the small arrays into theirs.
     */
    final Map<Buf, CUdeviceptr> buffers(Map<Buf, CUdeviceptr> given, Map<Buf, Long> scratchBytes,
            Map<Buf, int[]> ints, Map<Buf, float[]> floats, Map<Buf, boolean[]> booleans) {
        Map<Buf, CUdeviceptr> mem = new EnumMap<>(Buf.class);
        mem.putAll(given);
        for (Map.Entry<Buf, Long> e : scratchBytes.entrySet()) {
            mem.put(e.getKey(), scratch(e.getValue()));
        }
        for (Map.Entry<Buf, int[]> e : ints.entrySet()) {
            if (e.getValue().length > 0) {
                rt.transfers.uploadInts(worker, e.getValue(), mem.get(e.getKey()));
            }
        }
        for (Map.Entry<Buf, float[]> e : floats.entrySet()) {
            float[] a = e.getValue();
            rt.transfers.uploadFloats(worker, FloatBuffer.wrap(a), a.length, mem.get(e.getKey()), DType.FP32);
        }
        for (Map.Entry<Buf, boolean[]> e : booleans.entrySet()) {
            rt.transfers.uploadBooleans(worker, e.getValue(), mem.get(e.getKey()));
        }
        return mem;
    }

    /** Queues a command both paths' programs share, on this call's stream, over the buffers {@code mem}. */
    final void runShared(SharedCommand c, Map<Buf, CUdeviceptr> mem) {
        if (c instanceof SharedCommand.Copy) {
            SharedCommand.Copy x = (SharedCommand.Copy) c;
            JCudaDriver.cuMemcpyDtoDAsync(mem.get(x.dst()), mem.get(x.src()), x.bytes(), worker.stream);
        } else {
            SharedCommand.Rope r = (SharedCommand.Rope) c;
            // One thread per rotated pair, the frequency table in shared memory (cuda/README.md).
            long pairs = (long) r.batch() * r.heads() * r.n() * (r.rotaryDim() / 2);
            CUdeviceptr positions = r.positions() == null ? new CUdeviceptr() : mem.get(r.positions());
            Kernels.launch(rt.kernels.rope(r.type()), Kernels.elementwiseGrid(pairs), 1, 256,
                    8 * (r.rotaryDim() / 2), worker.stream, KernelArgs.rope(mem.get(r.x()), r.batch(), r.heads(),
                            r.n(), r.dim(), r.rotaryDim(), r.style(), mem.get(r.freq()), r.factor(), r.posOffset(),
                            positions, r.positionsBatchStride()).values());
        }
    }

    /**
     * Ends the call, in a finally block: after success gives back its blocks and its worker; after a failure
     * ({@code healthy} false) only once the stream synchronises. A stream that cannot may still use the blocks, so
     * neither they nor the worker are reused (a bounded leak after a device fault, which usually leaves the
     * context unusable anyway).
     */
    final void finish(boolean healthy) {
        if (rt.workers.release(worker, healthy)) {
            close();
        }
    }

    /** Gives back every block this call took; the stream must be idle. */
    @Override
    public final void close() {
        for (CachingAllocator.Block<CUdeviceptr> b : taken) {
            rt.allocator.release(b);
        }
        taken.clear();
    }
}

package org.attention4j.cuda;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * A dense row-major tensor in device memory, of {@link DType} FP32, FP16 or BF16, for services that keep Q, K
 * and V on the GPU ({@link CudaAttention#attention(DeviceTensor, DeviceTensor, DeviceTensor,
 * org.attention4j.AttentionOptions)}). Made by {@link CudaAttention#allocate} or {@link CudaAttention#upload}.
 * Transfers and fills that fail on the device throw {@link org.attention4j.AttentionException} (device
 * out-of-memory as its subclass), never a raw JCuda exception.
 *
 * <p>AutoCloseable: {@link #close()} gives its memory back to the backend's cache and is safe to call twice. A
 * tensor that becomes unreachable without being closed is freed by a {@link Cleaner}, which logs the leak at
 * WARN. Transfers go through pinned staging buffers and are complete when the method returns; converting float32
 * to FP16/BF16 on upload rounds to nearest even. Thread-safe for concurrent reads; writing it while a call reads
 * it is the caller's race.
 */
public final class DeviceTensor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceTensor.class);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicLong LEAKS = new AtomicLong();

    private final DType dtype;
    private final int[] shape;
    private final long elements;
    private final CudaRuntime runtime;
    private final Memory<?> memory;
    private final Cleaner.Cleanable cleanable;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** The device memory and how to give it back; holds no reference to the tensor, as a Cleaner needs. */
    private static final class Memory<P> implements Runnable {
        private final CachingAllocator<P> allocator;
        private final CachingAllocator.Block<P> block;
        private final String what;
        private volatile boolean explicit;

        Memory(CachingAllocator<P> allocator, CachingAllocator.Block<P> block, String what) {
            this.allocator = allocator;
            this.block = block;
            this.what = what;
        }

        @Override
        public void run() {
            if (!explicit) {
                LEAKS.incrementAndGet();
                LOG.warn("{} was never closed; the Cleaner gives its {} bytes of device memory back. Close device "
                        + "tensors (try-with-resources) so that memory returns when you are done with it.", what,
                        block.capacity());
            }
            allocator.release(block);
        }
    }

    /** A tensor over a block of {@code allocator}; {@code runtime} is null only in tests without a device. */
    <P> DeviceTensor(CudaRuntime runtime, CachingAllocator<P> allocator, DType dtype, int[] shape) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape has a negative dimension: " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, (long) d);
        }
        this.elements = n;
        this.runtime = runtime;
        CachingAllocator.Block<P> block = allocator.allocate(Math.max(1, n * dtype.bytes()));
        this.memory = new Memory<>(allocator, block, "DeviceTensor" + dtype + Arrays.toString(shape));
        this.cleanable = CLEANER.register(this, memory);
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** The size of dimension {@code axis}; a negative axis counts from the end, as {@code Tensor.dim} does. */
    public int dim(int axis) {
        int a = axis < 0 ? shape.length + axis : axis;
        if (a < 0 || a >= shape.length) {
            throw new IllegalArgumentException("axis " + axis + " out of range for device tensor shape "
                    + Arrays.toString(shape));
        }
        return shape[a];
    }

    /** The number of elements. */
    public long elementCount() {
        return elements;
    }

    /** Bytes of data ({@code elementCount * dtype.bytes()}). */
    public long byteSize() {
        return elements * dtype.bytes();
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed.get();
    }

    /** Gives the device memory back; safe to call more than once. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            memory.explicit = true;
            cleanable.clean();
        }
    }

    /** The device pointer; the tensor must be open. */
    CUdeviceptr pointer() {
        requireOpen();
        return (CUdeviceptr) memory.block.handle();
    }

    /** How many device tensors were freed by the Cleaner instead of {@link #close()} in this JVM. */
    static long leaksDetected() {
        return LEAKS.get();
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private CudaRuntime runtime() {
        requireOpen();
        if (runtime == null) {
            throw new IllegalStateException(this + " has no CUDA device behind it");
        }
        return runtime;
    }

    /** Copies {@code src} (exactly {@link #elementCount()} floats) to the device, converting to {@link #dtype()}. */
    public void upload(float[] src) {
        Objects.requireNonNull(src, "src");
        upload(FloatBuffer.wrap(src));
    }

    /**
     * Copies the remaining floats of {@code src} (heap or direct, exactly {@link #elementCount()}) to the device,
     * converting to {@link #dtype()}; the buffer's position advances.
     */
    public void upload(FloatBuffer src) {
        Objects.requireNonNull(src, "src");
        if (src.remaining() != elements) {
            throw new IllegalArgumentException("src has " + src.remaining() + " floats remaining but " + this
                    + " holds " + elements);
        }
        CudaRuntime rt = runtime();
        rt.workers.call("a transfer of " + this, w -> {
            rt.transfers.uploadFloats(w, src, elements, pointer(), dtype);
            return null;
        });
    }

    /**
     * Copies raw bytes already in {@link #dtype()}'s format and native byte order (exactly {@link #byteSize()}
     * remaining) to the device; the buffer's position advances.
     */
    public void uploadBytes(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        if (src.remaining() != byteSize()) {
            throw new IllegalArgumentException("src has " + src.remaining() + " bytes remaining but " + this
                    + " holds " + byteSize());
        }
        CudaRuntime rt = runtime();
        rt.workers.call("a transfer of " + this, w -> {
            rt.transfers.uploadBytes(w, src.duplicate().order(ByteOrder.nativeOrder()), pointer());
            src.position(src.limit());
            return null;
        });
    }

    /** The contents as floats. */
    public float[] download() {
        if (elements > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(this + " has more elements than a Java array holds; use a FloatBuffer");
        }
        float[] out = new float[(int) elements];
        download(FloatBuffer.wrap(out));
        return out;
    }

    /** Copies the contents as floats into {@code dst} (at least {@link #elementCount()} remaining). */
    public void download(FloatBuffer dst) {
        Objects.requireNonNull(dst, "dst");
        if (dst.remaining() < elements) {
            throw new IllegalArgumentException("dst has " + dst.remaining() + " floats remaining but " + this
                    + " holds " + elements);
        }
        CudaRuntime rt = runtime();
        rt.workers.call("a transfer of " + this, w -> {
            rt.transfers.downloadFloats(w, pointer(), dtype, elements, dst);
            return null;
        });
    }

    /** Copies the raw bytes (in {@link #dtype()}'s format, native order) into {@code dst}. */
    public void downloadBytes(ByteBuffer dst) {
        Objects.requireNonNull(dst, "dst");
        if (dst.remaining() < byteSize()) {
            throw new IllegalArgumentException("dst has " + dst.remaining() + " bytes remaining but " + this
                    + " holds " + byteSize());
        }
        CudaRuntime rt = runtime();
        rt.workers.call("a transfer of " + this, w -> {
            ByteBuffer part = dst.slice(dst.position(), (int) byteSize());
            rt.transfers.downloadBytes(w, pointer(), part);
            dst.position(dst.position() + (int) byteSize());
            return null;
        });
    }

    /** Sets every element to {@code value} (rounded to the dtype), e.g. NaN to poison an output buffer. */
    public void fill(float value) {
        CudaRuntime rt = runtime();
        rt.workers.call("a fill of " + this, w -> {
            if (dtype == DType.FP32) {
                JCudaDriver.cuMemsetD32Async(pointer(), Float.floatToRawIntBits(value), elements, w.stream);
            } else {
                short bits = dtype == DType.FP16 ? HalfFloats.toHalf(value) : HalfFloats.toBfloat16(value);
                JCudaDriver.cuMemsetD16Async(pointer(), bits, elements, w.stream);
            }
            w.sync();
            return null;
        });
    }

    @Override
    public String toString() {
        return "DeviceTensor" + dtype + Arrays.toString(shape) + (closed.get() ? " (closed)" : "");
    }
}

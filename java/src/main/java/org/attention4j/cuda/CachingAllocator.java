package org.attention4j.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.attention4j.AttentionException;
import org.attention4j.AttentionOutOfMemoryException;

/**
 * A caching device allocator: requests are rounded to {@link SizeClasses size classes}, freed blocks go to a
 * lock-free free list of their class and serve the next request of that class, so that a steady stream of calls
 * of the same shapes calls the device allocator only during warm-up. Thread-safe without a global lock.
 *
 * <p>Out of memory: the cache is emptied ({@link #trim()}) and the request retried once; if the device still
 * has no room an {@link AttentionException} names the sizes. Blocks must be released only when no stream still
 * uses them (the backend synchronises its stream before releasing).
 *
 * @param <P> the raw allocation handle
 */
final class CachingAllocator<P> {

    /** One allocation handed out by the cache. */
    static final class Block<P> {
        private final P handle;
        private final long capacity;
        private final AtomicBoolean inUse = new AtomicBoolean(true);

        Block(P handle, long capacity) {
            this.handle = handle;
            this.capacity = capacity;
        }

        /** The raw handle (a device pointer on a GPU). */
        P handle() {
            return handle;
        }

        /** Bytes actually allocated: the size class. */
        long capacity() {
            return capacity;
        }
    }

    private final DeviceMemory<P> device;
    private final Map<Long, ConcurrentLinkedDeque<Block<P>>> free = new ConcurrentHashMap<>();
    private final AtomicLong bytesInUse = new AtomicLong();
    private final AtomicLong bytesCached = new AtomicLong();
    private final AtomicLong deviceAllocations = new AtomicLong();
    private final AtomicLong deviceFrees = new AtomicLong();
    private final AtomicLong cacheHits = new AtomicLong();

    CachingAllocator(DeviceMemory<P> device) {
        this.device = device;
    }

    /**
     * A block of at least {@code bytes} bytes.
     *
     * @throws AttentionException when the device has no room even after the cache was emptied
     */
    Block<P> allocate(long bytes) {
        long size = SizeClasses.classOf(bytes);
        ConcurrentLinkedDeque<Block<P>> list = free.get(size);
        Block<P> b = list == null ? null : list.pollFirst();
        if (b != null) {
            bytesCached.addAndGet(-size);
            bytesInUse.addAndGet(size);
            cacheHits.incrementAndGet();
            b.inUse.set(true);
            return b;
        }
        P handle;
        try {
            handle = device.allocate(size);
        } catch (DeviceOutOfMemoryException first) {
            long trimmed = trim();
            try {
                handle = device.allocate(size);
            } catch (DeviceOutOfMemoryException second) {
                second.addSuppressed(first);
                throw new AttentionOutOfMemoryException(outOfMemoryMessage(bytes, size, trimmed),
                        AttentionOutOfMemoryException.Memory.DEVICE, bytes, -1, second);
            }
        }
        deviceAllocations.incrementAndGet();
        bytesInUse.addAndGet(size);
        return new Block<>(handle, size);
    }

    private String outOfMemoryMessage(long requested, long size, long trimmed) {
        StringBuilder sb = new StringBuilder("CUDA out of memory: could not allocate ")
                .append(requested).append(" bytes (size class ").append(size).append(") with ")
                .append(bytesInUse.get()).append(" bytes in use by this engine, after freeing ")
                .append(trimmed).append(" cached bytes");
        long[] info = device.deviceMemoryInfo();
        if (info != null) {
            sb.append("; device reports ").append(info[0]).append(" bytes free of ").append(info[1]);
        }
        return sb.append(". Reduce the batch or sequence lengths, or lower attention4j.cuda.workspaceBytes")
                .toString();
    }

    /** Returns a block to the cache; releasing the same block twice is a bug and throws. */
    void release(Block<P> b) {
        if (!b.inUse.compareAndSet(true, false)) {
            throw new IllegalStateException("device block released twice");
        }
        bytesInUse.addAndGet(-b.capacity);
        bytesCached.addAndGet(b.capacity);
        free.computeIfAbsent(b.capacity, k -> new ConcurrentLinkedDeque<>()).offerFirst(b);
    }

    /** Frees every cached block on the device; returns the bytes freed. Blocks in use are untouched. */
    long trim() {
        long freed = 0;
        for (ConcurrentLinkedDeque<Block<P>> list : free.values()) {
            Block<P> b;
            while ((b = list.pollFirst()) != null) {
                bytesCached.addAndGet(-b.capacity);
                freed += b.capacity;
                device.free(b.handle);
                deviceFrees.incrementAndGet();
            }
        }
        return freed;
    }

    /** A snapshot of the counters. */
    AllocatorStats stats() {
        return new AllocatorStats(bytesInUse.get(), bytesCached.get(), deviceAllocations.get(), deviceFrees.get(),
                cacheHits.get());
    }
}

package org.attention4j.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A pretend device with a capacity, handing out numbered blocks; tracks what is live. */
final class FakeDeviceMemory implements DeviceMemory<Long> {
    private final long capacity;
    private final AtomicLong next = new AtomicLong(1);
    private final Map<Long, Long> live = new ConcurrentHashMap<>();
    volatile int failures;

    FakeDeviceMemory(long capacity) {
        this.capacity = capacity;
    }

    @Override
    public synchronized Long allocate(long bytes) {
        if (liveBytes() + bytes > capacity) {
            failures++;
            throw new DeviceOutOfMemoryException("fake device full", null);
        }
        long id = next.getAndIncrement();
        live.put(id, bytes);
        return id;
    }

    @Override
    public void free(Long block) {
        if (live.remove(block) == null) {
            throw new AssertionError("freeing unknown or already freed block " + block);
        }
    }

    @Override
    public long[] deviceMemoryInfo() {
        return new long[] {capacity - liveBytes(), capacity};
    }

    long liveBytes() {
        return live.values().stream().mapToLong(Long::longValue).sum();
    }
}

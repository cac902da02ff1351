package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class CachingAllocatorTest {

    @Test
    void sizeClassesCoverTheRequestWithBoundedWaste() {
        long prev = 0;
        for (long n = 1; n < (1L << 34); n = n < 4096 ? n + 1 : n + n / 7 + 1) {
            long c = SizeClasses.classOf(n);
            assertTrue(c >= n, "class " + c + " < request " + n);
            assertTrue(c >= prev, "monotone");
            assertEquals(c, SizeClasses.classOf(c), "a class is its own class");
            if (n > SizeClasses.SMALL_LIMIT) {
                assertTrue(c <= n + n / 4 + 1, "waste above a quarter for " + n + ": " + c);
            } else {
                assertTrue(c - n < SizeClasses.SMALL_STEP && c % SizeClasses.SMALL_STEP == 0);
            }
            prev = c;
        }
        assertThrows(IllegalArgumentException.class, () -> SizeClasses.classOf(0));
    }

    @Test
    void freedBlocksAreReusedAndSteadyStateAllocatesNothing() {
        FakeDeviceMemory dev = new FakeDeviceMemory(Long.MAX_VALUE);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        long[] sizes = {4000, 123_456, 5_000_000, 4000, 77};
        for (int call = 0; call < 1000; call++) {
            List<CachingAllocator.Block<Long>> held = new ArrayList<>();
            for (long s : sizes) {
                held.add(a.allocate(s));
            }
            for (CachingAllocator.Block<Long> b : held) {
                a.release(b);
            }
            if (call == 0) {
                assertEquals(sizes.length, a.stats().deviceAllocations());
            }
        }
        AllocatorStats s = a.stats();
        assertEquals(sizes.length, s.deviceAllocations(), "no device allocation after warm-up");
        assertEquals(999L * sizes.length, s.cacheHits());
        assertEquals(0, s.bytesInUse());
        assertEquals(dev.liveBytes(), s.bytesCached());

        CachingAllocator.Block<Long> b1 = a.allocate(100);
        a.release(b1);
        assertSame(b1, a.allocate(200), "same size class, same block");
    }

    @Test
    void trimGivesEverythingCachedBack() {
        FakeDeviceMemory dev = new FakeDeviceMemory(Long.MAX_VALUE);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        CachingAllocator.Block<Long> kept = a.allocate(10_000);
        a.release(a.allocate(3_000_000));
        a.release(a.allocate(500));
        long cached = a.stats().bytesCached();
        assertEquals(cached, a.trim());
        assertEquals(0, a.stats().bytesCached());
        assertEquals(kept.capacity(), dev.liveBytes(), "only the block in use remains on the device");
        assertEquals(2, a.stats().deviceFrees());
        a.release(kept);
        assertThrows(IllegalStateException.class, () -> a.release(kept), "double release");
    }

    @Test
    void outOfMemoryFreesTheCacheAndRetriesOnce() {
        FakeDeviceMemory dev = new FakeDeviceMemory(10L << 20);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        a.release(a.allocate(6L << 20));            // 6 MiB cached, so 8 MiB no longer fits
        CachingAllocator.Block<Long> big = a.allocate(8L << 20);
        assertEquals(1, dev.failures, "first attempt failed, retried after the trim");
        assertEquals(0, a.stats().bytesCached());
        org.attention4j.AttentionOutOfMemoryException e = assertThrows(
                org.attention4j.AttentionOutOfMemoryException.class, () -> a.allocate(9L << 20));
        assertEquals(org.attention4j.AttentionOutOfMemoryException.Memory.DEVICE, e.memory());
        assertEquals(9L << 20, e.requestedBytes());
        assertTrue(e.getMessage().contains(String.valueOf(9L << 20)), e.getMessage());
        assertTrue(e.getMessage().contains(big.capacity() + " bytes in use"), e.getMessage());
        assertEquals(big.capacity(), a.stats().bytesInUse(), "a failed request takes nothing");
        a.release(big);
        a.release(a.allocate(9L << 20));          // usable again once memory is back
        assertEquals(0, a.stats().bytesInUse());
    }

    @Test
    void manyThreadsNeverShareABlock() throws Exception {
        FakeDeviceMemory dev = new FakeDeviceMemory(Long.MAX_VALUE);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            java.util.Set<Long> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 2000; i++) {
                        CachingAllocator.Block<Long> b = a.allocate(1000 + (i % 3) * 600);
                        assertTrue(live.add(b.handle()), "block handed out twice");
                        live.remove(b.handle());
                        a.release(b);
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, a.stats().bytesInUse());
        assertTrue(a.stats().deviceAllocations() <= 12, "at most threads x classes blocks: "
                + a.stats().deviceAllocations());
    }
}

package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** DeviceTensor's life cycle over a fake device allocator (no GPU needed). */
class DeviceTensorTest {

    @Test
    void closeIsIdempotentAndReturnsTheMemoryOnce() {
        FakeDeviceMemory dev = new FakeDeviceMemory(Long.MAX_VALUE);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        DeviceTensor t = new DeviceTensor(null, a, DType.FP16, new int[] {2, 3, 5});
        assertEquals(30, t.elementCount());
        assertEquals(60, t.byteSize());
        assertEquals(512, a.stats().bytesInUse());
        t.close();
        t.close();
        assertTrue(t.isClosed());
        assertEquals(0, a.stats().bytesInUse());
        assertEquals(512, a.stats().bytesCached());
        assertThrows(IllegalStateException.class, t::pointer);
        assertThrows(IllegalStateException.class, () -> t.upload(new float[30]));
        assertThrows(IllegalArgumentException.class,
                () -> new DeviceTensor(null, a, DType.FP32, new int[] {2, -1}));
    }

    @Test
    void withoutADeviceTransfersRefuseClearly() {
        CachingAllocator<Long> a = new CachingAllocator<>(new FakeDeviceMemory(Long.MAX_VALUE));
        try (DeviceTensor t = new DeviceTensor(null, a, DType.FP32, new int[] {4})) {
            assertThrows(IllegalArgumentException.class, () -> t.upload(new float[3]), "wrong length first");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.upload(new float[4]));
            assertTrue(e.getMessage().contains("no CUDA device"), e.getMessage());
        }
    }

    @Test
    void anUnclosedTensorIsFreedByTheCleanerAndCountedAsALeak() throws InterruptedException {
        FakeDeviceMemory dev = new FakeDeviceMemory(Long.MAX_VALUE);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        long before = DeviceTensor.leaksDetected();
        leak(a);
        assertEquals(512, a.stats().bytesInUse());
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (a.stats().bytesInUse() != 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(0, a.stats().bytesInUse(), "the Cleaner gave the block back");
        assertEquals(before + 1, DeviceTensor.leaksDetected());
        try (DeviceTensor closed = new DeviceTensor(null, a, DType.FP32, new int[] {1})) {
            assertEquals(1, closed.elementCount());
        }
        assertEquals(before + 1, DeviceTensor.leaksDetected(), "a closed tensor is not a leak");
    }

    private static void leak(CachingAllocator<Long> a) {
        new DeviceTensor(null, a, DType.BF16, new int[] {8, 8});
    }
}

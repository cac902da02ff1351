package org.attention4j.cuda;

/**
 * A snapshot of the CUDA backend's device-memory cache, for tests, benchmarks and monitoring.
 *
 * @param bytesInUse        bytes held by live tensors and running calls (in size classes)
 * @param bytesCached       bytes freed by callers but kept for reuse
 * @param deviceAllocations how many times the device allocator ({@code cuMemAlloc}) was called, ever
 * @param deviceFrees       how many blocks were given back to the device ({@code cuMemFree}), ever
 * @param cacheHits         allocations served from the cache, ever
 */
public record AllocatorStats(long bytesInUse, long bytesCached, long deviceAllocations, long deviceFrees,
                             long cacheHits) {

    /** Bytes the cache holds on the device: in use plus cached. */
    public long bytesReserved() {
        return bytesInUse + bytesCached;
    }
}

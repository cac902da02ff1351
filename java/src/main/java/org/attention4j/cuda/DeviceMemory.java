package org.attention4j.cuda;

/**
 * The raw device allocator under {@link CachingAllocator}: {@code cuMemAlloc}/{@code cuMemFree} on a GPU, an
 * in-memory fake in tests. Kept this small so that the caching logic can be tested without a device.
 *
 * @param <P> the handle of one allocation (a device pointer on a GPU)
 */
interface DeviceMemory<P> {

    /**
     * Allocates {@code bytes} bytes.
     *
     * @throws DeviceOutOfMemoryException when the device has no room
     */
    P allocate(long bytes);

    /** Frees what {@link #allocate} returned. */
    void free(P block);

    /** Free and total bytes of the device, for messages; {@code null} when unknown. */
    default long[] deviceMemoryInfo() {
        return null;
    }
}

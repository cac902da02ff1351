package org.attention4j.cuda;

/**
 * The size classes of the caching allocator: every request is rounded up to one, so that a block freed by one
 * call fits the next call of the same shape. Small requests round up to 512 bytes (the alignment cudaMalloc
 * gives anyway); above 1 MiB there are four classes per power of two, wasting at most a quarter.
 */
final class SizeClasses {
    /** Granularity of small classes. */
    static final long SMALL_STEP = 512;
    /** Largest request served from the 512-byte classes. */
    static final long SMALL_LIMIT = 1L << 20;

    private SizeClasses() {
    }

    /** The class (the bytes actually allocated) for a request of {@code bytes} (at least 1). */
    static long classOf(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("allocation size must be >= 1 byte, got " + bytes);
        }
        if (bytes <= SMALL_LIMIT) {
            return (bytes + SMALL_STEP - 1) / SMALL_STEP * SMALL_STEP;
        }
        // 2^p <= bytes - 1 < 2^(p+1); classes at 2^p * (1 + q/4), q = 1..4.
        int p = 63 - Long.numberOfLeadingZeros(bytes - 1);
        long quarter = 1L << (p - 2);
        return (bytes + quarter - 1) / quarter * quarter;
    }
}

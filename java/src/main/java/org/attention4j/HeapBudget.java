package org.attention4j;

import java.util.function.Supplier;

/**
 * Host allocations that cannot succeed are refused before any work, and an OutOfMemoryError from a call is turned
 * into an {@link AttentionOutOfMemoryException}: everything a call allocates is its own (results, scratch), so
 * once the error unwinds the memory is garbage again and the engine is as usable as before.
 */
final class HeapBudget {
    private HeapBudget() {
    }

    /** Throws when {@code bytes} alone exceed the maximum heap, so that no work is started that cannot finish. */
    static void require(long bytes, String what) {
        long max = Runtime.getRuntime().maxMemory();
        if (max != Long.MAX_VALUE && bytes > max) {
            throw new AttentionOutOfMemoryException(what + " needs " + bytes + " bytes but the maximum Java heap is "
                    + max + " bytes (raise -Xmx, or ask for less)", AttentionOutOfMemoryException.Memory.HOST_HEAP,
                    bytes, max, null);
        }
    }

    /** Runs a call whose results take {@code bytes}, checked first, with the heap running out reported as such. */
    static <T> T run(long bytes, String what, Supplier<T> call) {
        require(bytes, what);
        try {
            return call.get();
        } catch (OutOfMemoryError e) {
            long max = Runtime.getRuntime().maxMemory();
            throw new AttentionOutOfMemoryException("Java heap exhausted in " + what + " (results alone need "
                    + bytes + " bytes, maximum heap " + max + " bytes): " + e.getMessage(),
                    AttentionOutOfMemoryException.Memory.HOST_HEAP, bytes, max, e);
        }
    }

    /** float32 bytes of {@code a * b * c * d} elements; saturates at Long.MAX_VALUE instead of wrapping. */
    static long floats(long a, long b, long c, long d) {
        long n = 4;
        for (long x : new long[] {a, b, c, d}) {
            if (x != 0 && n > Long.MAX_VALUE / x) {
                return Long.MAX_VALUE;
            }
            n *= x;
        }
        return n;
    }

    /** {@code a + b}, saturating. */
    static long plus(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }
}

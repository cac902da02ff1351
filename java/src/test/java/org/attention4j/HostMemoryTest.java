package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * Calls whose results cannot fit the heap fail with {@link AttentionOutOfMemoryException} (bytes asked, maximum
 * heap) before any work, the engine staying usable; empty problems are answered without allocating per-key
 * scratch, by every host backend alike.
 */
class HostMemoryTest {
    private static final long MAX_HEAP = Runtime.getRuntime().maxMemory();

    private static void stillWorks(AttentionEngine e) {
        Tensor q = Ref.random(1, 2, 3, 4, 11);  // (B, H, N, D)
        AttentionResult r = e.attention(q, q, q);
        assertEquals(Ref.run(q, q, q).output().data()[0], r.output().data()[0], 1e-5f);
    }

    private static void aboutTheHeap(AttentionOutOfMemoryException ex, long bytes, String... fragments) {
        assertEquals(AttentionOutOfMemoryException.Memory.HOST_HEAP, ex.memory());
        assertEquals(bytes, ex.requestedBytes(), ex.getMessage());
        assertEquals(MAX_HEAP, ex.limitBytes());
        assertTrue(ex.getMessage().contains(bytes + " bytes"), ex.getMessage());
        assertTrue(ex.getMessage().contains("maximum Java heap is " + MAX_HEAP), ex.getMessage());
        for (String f : fragments) {
            assertTrue(ex.getMessage().contains(f), "message should contain '" + f + "': " + ex.getMessage());
        }
    }

    @Test
    void weightsLargerThanTheHeapAreRefusedBeforeAnyWork() {
        // [1, n, 16384, 16384] floats: a legal Java array each time n * 2^28 < 2^31, but beyond the heap for a large n.
        int heads = (int) Math.min(7, MAX_HEAP / (4L << 28) + 1);
        long weights = 4L * heads * 16384 * 16384;
        assumeTrue(weights > MAX_HEAP, "the heap (" + MAX_HEAP + " bytes) holds 7 x 2^28 floats");
        Tensor q = Tensor.zeros(1, heads, 16384, 1);
        Tensor v = Tensor.zeros(1, heads, 16384, 1);
        long bytes = weights + 4L * heads * 16384 * 2;   // + output and log-sum-exp
        for (Backend b : new Backend[] {Backend.CPU, Backend.REFERENCE}) {
            try (AttentionEngine e = AttentionEngine.create(b)) {
                AttentionOutOfMemoryException ex = assertThrows(AttentionOutOfMemoryException.class,
                        () -> e.attention(q, q, v, AttentionOptions.builder().returnWeights(true).returnLse(true)
                                .build()));
                aboutTheHeap(ex, bytes, "attention (B=1 Hq=" + heads);
                assertTrue(ex instanceof AttentionException);
                stillWorks(e);
            }
        }
    }

    @Test
    void aHostKvCacheLargerThanTheHeapIsRefused() {
        int capacity = 1 << 30;
        long bytes = 2L * 4 * capacity;
        assumeTrue(bytes > MAX_HEAP, "the heap holds 8 GiB");
        try (AttentionEngine e = AttentionEngine.create(Backend.CPU)) {
            AttentionOutOfMemoryException ex = assertThrows(AttentionOutOfMemoryException.class,
                    () -> e.newKvCache(1, 1, capacity, 1, 1));
            aboutTheHeap(ex, bytes, "host KV cache", "capacity=" + capacity);
            try (KvCache small = e.newKvCache(1, 1, 4, 2, 2)) {
                assertEquals(0, small.length(0));
            }
            stillWorks(e);
        }
    }

    @Test
    void emptyProblemsAreAnsweredWithoutPerKeyScratch() {
        // B = 0 with Nk = 2^27 keys of D = 16: the reference's per-key rows would take 16 GiB of doubles.
        Tensor q = Tensor.zeros(0, 1, 1, 16);
        Tensor k = Tensor.zeros(0, 1, 1 << 27, 16);
        AttentionOptions o = AttentionOptions.builder().returnLse(true).returnWeights(true).build();
        for (Backend b : new Backend[] {Backend.CPU, Backend.REFERENCE}) {
            try (AttentionEngine e = AttentionEngine.create(b)) {
                AttentionResult r = e.attention(q, k, k, o);
                assertArrayEquals(new int[] {0, 1, 1, 16}, r.output().shape());
                assertArrayEquals(new int[] {0, 1, 1, 1 << 27}, r.weights().orElseThrow().shape());
                assertEquals(b, r.backend());
            }
        }
        // Nk = 0: every row sees no key, so output 0 and log-sum-exp -inf, the same on every backend.
        Tensor q2 = Ref.random(2, 2, 2, 3, 5);
        Tensor none = Tensor.zeros(2, 1, 0, 5);
        for (Backend b : new Backend[] {Backend.CPU, Backend.REFERENCE}) {
            try (AttentionEngine e = AttentionEngine.create(b)) {
                float[] poison = new float[2 * 2 * 3 * 5];
                AttentionResult r = e.attention(q2, none, none, o);
                assertArrayEquals(poison, r.output().data());
                for (float l : r.logSumExp().orElseThrow().data()) {
                    assertEquals(Float.NEGATIVE_INFINITY, l);
                }
                assertEquals(0, r.weights().orElseThrow().size());
            }
        }
        assertEquals(new org.attention4j.cpu.ReferenceBackend().compute(
                org.attention4j.spi.AttentionProblem.of(q, k, k, o)).output().size(), 0);
    }
}

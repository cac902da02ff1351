package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad input at the API: every check throws IllegalArgumentException whose message names the argument and shows
 * the shapes involved; the engine's lifecycle.
 */
class ValidationTest {

    private static final Tensor Q = Tensor.zeros(2, 4, 3, 8);
    private static final Tensor K = Tensor.zeros(2, 2, 5, 8);
    private static final Tensor V = Tensor.zeros(2, 2, 5, 6);

    /** Asserts an IAE whose message contains every fragment. */
    private static void refused(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        String msg = e.getMessage();
        for (String f : fragments) {
            assertTrue(msg != null && msg.contains(f), "message should contain '" + f + "': " + msg);
        }
    }

    private static void attend(Tensor q, Tensor k, Tensor v, AttentionOptions o) {
        try (AttentionEngine e = AttentionEngine.create(Backend.REFERENCE)) {
            e.attention(q, k, v, o);
        }
    }

    private static void attend(AttentionOptions.Builder o) {
        attend(Q, K, V, o.build());
    }

    @Test
    void wrongRanks() {
        refused(() -> attend(Tensor.zeros(4, 3, 8), K, V, null), "q", "rank 4", "[4, 3, 8]");
        refused(() -> attend(Q, Tensor.zeros(1, 2, 2, 5, 8), V, null), "k", "rank 4", "[1, 2, 2, 5, 8]");
        refused(() -> attend(Q, K, Tensor.zeros(30), null), "v", "rank 4", "[30]");
    }

    @Test
    void mismatchedDimensions() {
        refused(() -> attend(Q, Tensor.zeros(3, 2, 5, 8), Tensor.zeros(3, 2, 5, 6), null),
                "batch B", "[2, 4, 3, 8]", "[3, 2, 5, 8]");
        refused(() -> attend(Q, Tensor.zeros(2, 2, 5, 7), V, null), "head dim D", "7", "8", "[2, 2, 5, 7]");
        refused(() -> attend(Q, K, Tensor.zeros(2, 2, 4, 6), null), "v", "[2, 2, 4, 6]", "[2, 2, 5, 8]");
        refused(() -> attend(Q, K, Tensor.zeros(2, 1, 5, 6), null), "v", "[2, 1, 5, 6]");
        refused(() -> attend(Q, Tensor.zeros(2, 3, 5, 8), Tensor.zeros(2, 3, 5, 6), null),
                "Hq=4", "Hkv=3", "[2, 4, 3, 8]", "[2, 3, 5, 8]");
        refused(() -> attend(Tensor.zeros(2, 0, 3, 8), Tensor.zeros(2, 0, 5, 8), Tensor.zeros(2, 0, 5, 6), null),
                "head counts", "[2, 0, 3, 8]");
        refused(() -> attend(Tensor.zeros(2, 4, 3, 0), Tensor.zeros(2, 2, 5, 0), V, null), "head dim D",
                "[2, 4, 3, 0]");
    }

    @Test
    void kvLengths() {
        refused(() -> attend(AttentionOptions.builder().kvLengths(5)), "kvLengths", "1 entries", "B=2",
                "[2, 4, 3, 8]");
        refused(() -> attend(AttentionOptions.builder().kvLengths(5, 6)), "kvLengths[1]=6", "Nk=5", "[2, 2, 5, 8]");
        refused(() -> AttentionOptions.builder().kvLengths(1, -1), "kvLengths[1]", "-1");
        assertDoesNotThrow(() -> attend(AttentionOptions.builder().kvLengths(0, 5)));
    }

    @Test
    void masks() {
        AttentionMask bad = AttentionMask.ofBoolean(new boolean[4], 4);
        refused(() -> attend(AttentionOptions.builder().mask(bad)), "mask", "[4]", "[2, 4, 3, 5]");
        AttentionMask badHeads = AttentionMask.ofFloat(new float[2 * 3 * 3 * 5], 2, 3, 3, 5);
        refused(() -> attend(AttentionOptions.builder().mask(badHeads)), "mask", "[2, 3, 3, 5]", "[2, 4, 3, 5]");
        refused(() -> AttentionMask.ofBoolean(new boolean[6], 1, 1, 1, 2, 3), "mask", "rank", "[1, 1, 1, 2, 3]");
        refused(() -> AttentionMask.ofFloat(new float[5], 2, 3), "mask", "5", "[2, 3]", "6");
        refused(() -> AttentionMask.ofBoolean(new boolean[1]), "mask", "rank", "[]");
        // Every legal broadcast shape is accepted.
        int[][] ok = {{5}, {1, 5}, {3, 5}, {3, 1}, {2, 1, 1, 5}, {2, 4, 3, 5}, {4, 3, 5}, {1, 1, 1, 1}, {1, 4, 1, 5}};
        for (int[] s : ok) {
            int n = 1;
            for (int x : s) {
                n *= x;
            }
            int size = n;
            assertDoesNotThrow(() -> attend(AttentionOptions.builder().mask(AttentionMask.ofBoolean(new boolean[size],
                    s))), Tensor.shapeString(s));
        }
    }

    @Test
    void alibiSlopes() {
        refused(() -> attend(AttentionOptions.builder().alibiSlopes(0.5f, 0.25f)), "alibiSlopes", "2", "Hq=4",
                "[2, 4, 3, 8]");
        refused(() -> AttentionOptions.builder().alibiSlopes(0.5f, Float.NaN), "alibiSlopes[1]", "NaN");
        refused(() -> Alibi.slopes(0), "alibi", "0");
        assertDoesNotThrow(() -> attend(AttentionOptions.builder().alibiSlopes(1, 2, 3, 4)));
    }

    @Test
    void rope() {
        Tensor q7 = Tensor.zeros(2, 4, 3, 7);
        Tensor k7 = Tensor.zeros(2, 2, 5, 7);
        refused(() -> attend(q7, k7, V, AttentionOptions.builder().rope(10000, RopeStyle.HALF).build()),
                "rope", "even", "D=7", "[2, 4, 3, 7]");
        refused(() -> attend(AttentionOptions.builder().rope(new Rope(10000, RopeStyle.HALF, new int[] {0, 1}, null))),
                "rope queryPositions", "2 entries", "N=3", "B*N=6", "[2, 4, 3, 8]");
        refused(() -> attend(AttentionOptions.builder().rope(new Rope(10000, RopeStyle.HALF, null, new int[7]))),
                "rope keyPositions", "7 entries", "N=5", "B*N=10", "[2, 2, 5, 8]");
        refused(() -> new Rope(0, RopeStyle.HALF, null, null), "rope base", "0");
        refused(() -> new Rope(Double.NaN, RopeStyle.HALF, null, null), "rope base", "NaN");
        refused(() -> new Rope(10000, null, null, null), "rope style");
        assertDoesNotThrow(() -> attend(AttentionOptions.builder().rope(new Rope(10000, RopeStyle.HALF, new int[6],
                new int[10]))));
    }

    @Test
    void scaleAndWindow() {
        refused(() -> AttentionOptions.builder().scale(Double.NaN), "scale", "finite", "NaN");
        refused(() -> AttentionOptions.builder().scale(Double.POSITIVE_INFINITY), "scale", "Infinity");
        refused(() -> AttentionOptions.builder().window(-2, 0), "window", "-2");
        refused(() -> AttentionOptions.builder().window(3, -5), "window", "-5");
        assertDoesNotThrow(() -> AttentionOptions.builder().window(-1, -1).window(0, 0));
    }

    @Test
    void weightsTooLargeForAnArray() {
        // Tiny inputs whose weights [1, 1, 65536, 65536] would need 2^32 elements.
        Tensor q = Tensor.zeros(1, 1, 65536, 1);
        Tensor v = Tensor.zeros(1, 1, 65536, 1);
        refused(() -> attend(q, q, v, AttentionOptions.builder().returnWeights(true).build()),
                "weights", "[1, 1, 65536, 65536]", "4294967296");
    }

    @Test
    void tensors() {
        refused(() -> Tensor.of(new float[3], 2, 2), "data", "3", "[2, 2]", "4");
        refused(() -> Tensor.zeros(2, -1), "shape", "negative", "[2, -1]");
        refused(() -> Tensor.zeros(65536, 65536), "shape", "[65536, 65536]");
        refused(() -> Tensor.zeros(2, 3).reshape(4, 2), "6", "[4, 2]", "8");
        refused(() -> Tensor.zeros(2, 3).dim(2), "axis", "[2, 3]");
        refused(() -> Tensor.zeros(2, 3).get(1), "index", "[2, 3]");
        assertThrows(IndexOutOfBoundsException.class, () -> Tensor.zeros(2, 3).get(2, 0));
    }

    /** Asserts an IOOBE whose message contains every fragment. */
    private static void outOfRange(Executable call, String... fragments) {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(f),
                    "message should contain '" + f + "': " + e.getMessage());
        }
    }

    @Test
    void perEntryAccessorsNameTheIndexAndTheBatch() {
        try (AttentionEngine e = AttentionEngine.create(Backend.CPU);
                KvCache cache = e.newKvCache(2, 1, 4, 3, 3)) {
            for (int b : new int[] {-1, 2, Integer.MIN_VALUE}) {
                outOfRange(() -> cache.length(b), "batch entry b = " + b, "[0, B=2)");
                outOfRange(() -> ((HostKvCache) cache).keys(b), "batch entry b = " + b, "[0, B=2)");
                outOfRange(() -> ((HostKvCache) cache).values(b), "batch entry b = " + b, "[0, B=2)");
            }
            Tensor q = Tensor.zeros(2, 1, 1, 3);
            org.attention4j.spi.DecodeProblem d = org.attention4j.spi.DecodeProblem.of(q, cache,
                    AttentionOptions.DEFAULTS);
            outOfRange(() -> d.length(2), "batch entry b = 2", "[0, B=2)");
        }
        org.attention4j.spi.AttentionProblem p = org.attention4j.spi.AttentionProblem.of(Q, K, V,
                AttentionOptions.DEFAULTS);
        outOfRange(() -> p.kvLength(-1), "batch entry b = -1", "[0, B=2)");
        Tensor packed = Tensor.zeros(5, 1, 4);
        org.attention4j.spi.VarlenProblem vp = org.attention4j.spi.VarlenProblem.of(packed, packed, packed,
                new int[] {0, 2, 5}, new int[] {0, 2, 5}, AttentionOptions.DEFAULTS);
        outOfRange(() -> vp.nq(2), "sequence b = 2", "[0, B=2)");
        outOfRange(() -> vp.nk(-1), "sequence b = -1", "[0, B=2)");
        outOfRange(() -> vp.sequence(2), "sequence b = 2", "[0, B=2)");
    }

    @Test
    void backendNames() {
        refused(() -> Backend.parse("gpu"), "backend", "gpu", "auto, cpu, reference, cuda");
        refused(() -> Backend.parse(null), "backend");
        refused(() -> AttentionEngine.builder().threads(0), "threads", "0");
    }

    @Test
    void engineCloseIsIdempotentAndAClosedEngineRefusesWork() {
        Tensor q = Tensor.zeros(1, 1, 1, 2);
        for (Backend b : new Backend[] {Backend.REFERENCE, Backend.CPU}) {
            AttentionEngine e = AttentionEngine.create(b);
            assertDoesNotThrow(() -> e.attention(q, q, q));
            e.close();
            assertDoesNotThrow(e::close);
            IllegalStateException ex = assertThrows(IllegalStateException.class, () -> e.attention(q, q, q));
            assertTrue(ex.getMessage().contains("closed"), ex.getMessage());
            assertTrue(ex.getMessage().contains(b.cliName()), ex.getMessage());
        }
    }

    @Test
    void cudaAskedForExplicitlyFailsClearlyWhereItCannotRun() {
        org.junit.jupiter.api.Assumptions.assumeFalse(org.attention4j.cuda.CudaSupport.probe().usable(),
                "CUDA is usable on this machine; the refusal cannot be observed");
        AttentionException e = assertThrows(AttentionException.class, () -> AttentionEngine.create(Backend.CUDA));
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("cuda"), e.getMessage());
    }
}

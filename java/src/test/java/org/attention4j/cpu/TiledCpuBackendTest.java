package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.attention4j.testing.NaiveAttention;
import org.attention4j.testing.Tolerance;
import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Causal;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tiled CPU engine against the float64 reference. Tolerance (FlashAttention's rule): the engine's max abs error
 * must be at most twice that of a naive float32 computation of the same thing, plus 1e-6 (relative to the largest
 * value when that exceeds 1); NaN fails.
 */
class TiledCpuBackendTest {
    private static TiledCpuBackend cpu;
    private static final ReferenceBackend REF = new ReferenceBackend();

    @BeforeAll
    static void open() {
        cpu = new TiledCpuBackend(2);
    }

    @AfterAll
    static void shut() {
        cpu.close();
    }

    static Tensor random(Random r, int... shape) {
        return org.attention4j.testing.TestData.gaussian(r, shape);
    }

    private static double maxAbs(float[] x) {
        double m = 0;
        for (float f : x) {
            if (Float.isFinite(f)) {
                m = Math.max(m, Math.abs(f));
            }
        }
        return m;
    }

    /** Checks output, weights and lse of the engine against the reference with the naive-float32 tolerance. */
    static AttentionResult check(Tensor q, Tensor k, Tensor v, AttentionOptions o, String what) {
        return check(cpu, q, k, v, o, what);
    }

    /** As {@link #check(Tensor, Tensor, Tensor, AttentionOptions, String)} on the given backend. */
    static AttentionResult check(TiledCpuBackend backend, Tensor q, Tensor k, Tensor v, AttentionOptions o,
            String what) {
        AttentionProblem p = AttentionProblem.of(q, k, v, o);
        AttentionResult want = REF.compute(p);
        AttentionResult got = backend.compute(p);
        NaiveAttention naive = new NaiveAttention(p);
        compare("output", got.output().data(), want.output().data(), naive.out, what);
        if (o.returnWeights()) {
            compare("weights", got.weights().orElseThrow().data(), want.weights().orElseThrow().data(),
                    naive.weights, what);
        }
        if (o.returnLse()) {
            compare("lse", got.logSumExp().orElseThrow().data(), want.logSumExp().orElseThrow().data(), naive.lse,
                    what);
        }
        return got;
    }

    private static void compare(String name, float[] got, float[] want, float[] naive, String what) {
        // The floor is 1e-6 relative to the largest value (absolute below 1): a log-sum-exp of ~40 (ALiBi biases
        // reach that) has a last bit of 3.8e-6 alone, and outputs of a few units differ by a few ulps with the order
        // of summation.
        double floor = 1e-6 * Math.max(1, maxAbs(want));
        Tolerance.assertWithinTwiceNaive(want, got, naive, floor, name + " for " + what);
    }

    static Stream<Arguments> shapes() {
        // B, Hq, Hkv, Nq, Nk, D, Dv
        return Stream.of(
                Arguments.of(1, 1, 1, 1, 1, 1, 1),
                Arguments.of(2, 2, 2, 97, 113, 59, 59),
                Arguments.of(1, 6, 2, 113, 97, 64, 32),
                Arguments.of(1, 4, 1, 97, 1025, 64, 64),
                Arguments.of(1, 2, 1, 1025, 1023, 64, 64),
                Arguments.of(1, 2, 2, 1, 1025, 111, 111),
                Arguments.of(1, 2, 2, 1023, 1, 64, 16),
                Arguments.of(2, 1, 1, 97, 97, 1, 3),
                Arguments.of(1, 2, 2, 113, 128, 64, 111),
                Arguments.of(1, 3, 3, 129, 257, 111, 64),
                // Grouped-query heads packed into one tile (Nq * Hq/Hkv <= 64) and the head dims of real models.
                Arguments.of(1, 8, 2, 1, 1025, 128, 128),
                Arguments.of(2, 32, 8, 16, 300, 40, 40),
                Arguments.of(1, 4, 1, 3, 97, 80, 80),
                Arguments.of(1, 6, 3, 7, 130, 256, 256),
                Arguments.of(3, 12, 12, 77, 77, 40, 40),
                Arguments.of(1, 2, 1, 33, 200, 59, 59),
                // Tiles of at most 8 rows: the row-major (head-dim along the lanes) kernels, with dim tails.
                Arguments.of(2, 3, 3, 5, 333, 59, 17),
                Arguments.of(1, 1, 1, 8, 40, 16, 33),
                Arguments.of(1, 4, 2, 2, 129, 1, 1),
                // Fewer query tasks than threads and >= 2048 keys: split along the keys, merged exactly.
                Arguments.of(1, 4, 1, 1, 3000, 64, 64),
                Arguments.of(1, 1, 1, 2, 2500, 59, 33));
    }

    @ParameterizedTest(name = "B={0} Hq={1} Hkv={2} Nq={3} Nk={4} D={5} Dv={6}")
    @MethodSource("shapes")
    void matchesReferenceOnAwkwardShapes(int b, int hq, int hkv, int nq, int nk, int d, int dv) {
        Random r = new Random(31L * nq + nk + d);
        Tensor q = random(r, b, hq, nq, d);
        Tensor k = random(r, b, hkv, nk, d);
        Tensor v = random(r, b, hkv, nk, dv);
        boolean small = (long) nq * nk <= 200_000;
        AttentionOptions plain = AttentionOptions.builder().returnLse(true).returnWeights(small).build();
        check(q, k, v, plain, "no mask");
        AttentionOptions causal = AttentionOptions.builder().causal().returnLse(true).returnWeights(small).build();
        check(q, k, v, causal, "causal");
    }

    static Stream<Arguments> maskCombinations() {
        List<Arguments> all = new ArrayList<>();
        for (Causal c : Causal.values()) {
            for (boolean lengths : new boolean[] {false, true}) {
                for (String mask : new String[] {"none", "bool", "float"}) {
                    for (boolean alibi : new boolean[] {false, true}) {
                        for (boolean window : new boolean[] {false, true}) {
                            for (String rope : new String[] {"none", "half", "interleaved"}) {
                                all.add(Arguments.of(c, lengths, mask, alibi, window, rope));
                            }
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "causal={0} kvLengths={1} mask={2} alibi={3} window={4} rope={5}")
    @MethodSource("maskCombinations")
    void matchesReferenceForEveryMaskCombination(Causal causal, boolean lengths, String mask, boolean alibi,
            boolean window, String rope) {
        Random r = new Random(Arrays.hashCode(new Object[] {causal, lengths, mask, alibi, window, rope}));
        // Alternate Nq < Nk and Nq > Nk so that both diagonal alignments get exercised.
        boolean wide = r.nextBoolean();
        checkCombination(r, causal, lengths, mask, alibi, window, rope, 4, wide ? 97 : 150, wide ? 150 : 97);
    }

    /** The same combinations with a few queries per grouped-query head: the whole group is one packed tile. */
    @ParameterizedTest(name = "packed causal={0} kvLengths={1} mask={2} alibi={3} window={4} rope={5}")
    @MethodSource("maskCombinations")
    void packedGroupsMatchReferenceForEveryMaskCombination(Causal causal, boolean lengths, String mask,
            boolean alibi, boolean window, String rope) {
        Random r = new Random(7 + Arrays.hashCode(new Object[] {causal, lengths, mask, alibi, window, rope}));
        checkCombination(r, causal, lengths, mask, alibi, window, rope, 8, 1 + r.nextInt(7), 97);
    }

    /**
     * Decode-shaped calls with fewer query tasks than threads and enough keys: split along the keys and merged
     * through the log-sum-exp (shares that see no key of a row, under windows and key lengths, included).
     */
    @ParameterizedTest(name = "split causal={0} kvLengths={1} mask={2} alibi={3} window={4} rope={5}")
    @MethodSource("maskCombinations")
    void keySplitCallsMatchReferenceForEveryMaskCombination(Causal causal, boolean lengths, String mask,
            boolean alibi, boolean window, String rope) {
        Random r = new Random(11 + Arrays.hashCode(new Object[] {causal, lengths, mask, alibi, window, rope}));
        checkCombination(r, causal, lengths, mask, alibi, window, rope, 1, 4, 1, 1 + r.nextInt(3), 2100, false);
    }

    private static void checkCombination(Random r, Causal causal, boolean lengths, String mask, boolean alibi,
            boolean window, String rope, int hq, int nq, int nk) {
        checkCombination(r, causal, lengths, mask, alibi, window, rope, 2, hq, 2, nq, nk, true);
    }

    private static void checkCombination(Random r, Causal causal, boolean lengths, String mask, boolean alibi,
            boolean window, String rope, int b, int hq, int hkv, int nq, int nk, boolean weights) {
        int d = 16, dv = 8;
        Tensor q = random(r, b, hq, nq, d);
        Tensor k = random(r, b, hkv, nk, d);
        Tensor v = random(r, b, hkv, nk, dv);
        AttentionOptions.Builder o = AttentionOptions.builder().causal(causal).returnWeights(weights).returnLse(true);
        if (lengths) {
            // One entry: the keys end 1500 before the queries' diagonal, so that the first share holds every
            // visible key and, with ALiBi, every visible key is ~1500 positions away (biases near -750 in base 2,
            // which the engine counts from the nearest key in span).
            o.kvLengths(b == 2 ? new int[] {nk - 20, 60} : new int[] {nk - 1500});
        }
        if (mask.equals("bool")) {
            boolean[] m = new boolean[b * nq * nk];
            for (int i = 0; i < m.length; i++) {
                m[i] = r.nextFloat() < 0.8f;
            }
            o.mask(AttentionMask.ofBoolean(m, b, 1, nq, nk));
        } else if (mask.equals("float")) {
            float[] m = new float[hq * nq * nk];
            for (int i = 0; i < m.length; i++) {
                m[i] = r.nextFloat() < 0.1f ? Float.NEGATIVE_INFINITY : (float) r.nextGaussian();
            }
            o.mask(AttentionMask.ofFloat(m, hq, nq, nk));
        }
        if (alibi) {
            o.alibi();
        }
        if (window) {
            o.window(17, 5);
        }
        if (!rope.equals("none")) {
            o.rope(Rope.of(10000, rope.equals("half") ? RopeStyle.HALF : RopeStyle.INTERLEAVED));
        }
        check(q, k, v, o.build(), o.build().toString());
    }

    @Test
    void explicitRopePositionsAndBroadcastMasks() {
        Random r = new Random(7);
        int b = 2, nq = 70, nk = 300, d = 32;
        Tensor q = random(r, b, 4, nq, d);
        Tensor k = random(r, b, 4, nk, d);
        Tensor v = random(r, b, 4, nk, d);
        int[] qp = new int[b * nq];
        int[] kp = new int[nk];
        for (int i = 0; i < qp.length; i++) {
            qp[i] = 5 * i + 3;
        }
        for (int j = 0; j < nk; j++) {
            kp[j] = 2 * j;
        }
        float[] colBias = new float[nk];
        for (int j = 0; j < nk; j++) {
            colBias[j] = j % 7 == 0 ? Float.NEGATIVE_INFINITY : 0.1f * j % 3;
        }
        AttentionOptions o = AttentionOptions.builder()
                .rope(new Rope(500, RopeStyle.INTERLEAVED, qp, kp))
                .mask(AttentionMask.ofFloat(colBias, nk))
                .scale(0.3)
                .returnWeights(true).returnLse(true).build();
        check(q, k, v, o, "explicit positions, [Nk] float mask");
        // Sparse positions (not tabulated) must agree as well.
        int[] sparse = new int[nk];
        for (int j = 0; j < nk; j++) {
            sparse[j] = j * 100_003;
        }
        AttentionOptions o2 = AttentionOptions.builder().rope(new Rope(10000, RopeStyle.HALF, null, sparse))
                .returnLse(true).build();
        check(q, k, v, o2, "sparse key positions");
    }

    @Test
    void fullyMaskedRowsGiveZeroWeightsAndMinusInfinityLse() {
        Random r = new Random(3);
        int b = 2, h = 2, nq = 40, nk = 300;
        Tensor q = random(r, b, h, nq, 8);
        Tensor k = random(r, b, h, nk, 8);
        Tensor v = random(r, b, h, nk, 8);
        boolean[] m = new boolean[nq * nk];
        Arrays.fill(m, true);
        Arrays.fill(m, 5 * nk, 6 * nk, false);  // query row 5 sees nothing
        AttentionOptions o = AttentionOptions.builder().kvLengths(0, nk).mask(AttentionMask.ofBoolean(m, nq, nk))
                .returnWeights(true).returnLse(true).build();
        AttentionResult res = check(q, k, v, o, "kvLength 0 and an all-false mask row");
        float[] out = res.output().data();
        float[] w = res.weights().orElseThrow().data();
        float[] lse = res.logSumExp().orElseThrow().data();
        for (int hh = 0; hh < h; hh++) {
            for (int i = 0; i < nq; i++) {
                int row0 = hh * nq + i;                 // batch 0: kvLength 0
                assertEquals(Float.NEGATIVE_INFINITY, lse[row0]);
                for (int c = 0; c < 8; c++) {
                    assertEquals(0f, out[row0 * 8 + c]);
                }
                for (int j = 0; j < nk; j++) {
                    assertEquals(0f, w[row0 * nk + j]);
                }
            }
            int row5 = (h + hh) * nq + 5;               // batch 1, row 5
            assertEquals(Float.NEGATIVE_INFINITY, lse[row5]);
            assertEquals(0f, out[row5 * 8]);
        }
        // Every float mask entry -inf behaves the same way.
        float[] minf = new float[nk];
        Arrays.fill(minf, Float.NEGATIVE_INFINITY);
        AttentionResult all = cpu.compute(AttentionProblem.of(q, k, v,
                AttentionOptions.builder().mask(AttentionMask.ofFloat(minf, nk)).returnLse(true).build()));
        for (float x : all.output().data()) {
            assertEquals(0f, x);
        }
        for (float x : all.logSumExp().orElseThrow().data()) {
            assertEquals(Float.NEGATIVE_INFINITY, x);
        }
    }

    @Test
    void tilesEntirelyMaskedAreSkippedCorrectly() {
        Random r = new Random(11);
        int nq = 1025, nk = 1025;
        Tensor q = random(r, 1, 2, nq, 32);
        Tensor k = random(r, 1, 2, nk, 32);
        Tensor v = random(r, 1, 2, nk, 32);
        check(q, k, v, AttentionOptions.builder().window(3, 0).returnLse(true).build(), "window (3, 0)");
        check(q, k, v, AttentionOptions.builder().window(0, 200).causal(Causal.TOP_LEFT).returnLse(true).build(),
                "window (0, 200) top-left causal");
        check(q, k, v, AttentionOptions.builder().kvLengths(130).causal().returnLse(true).build(), "kvLength 130");
    }

    @Test
    void nonFiniteInputsPropagateToTheRowsThatSeeThem() {
        Random r = new Random(5);
        int nq = 20, nk = 150, d = 8;
        Tensor q = random(r, 1, 1, nq, d);
        Tensor k = random(r, 1, 1, nk, d);
        Tensor v = random(r, 1, 1, nk, d);
        q.data()[3 * d] = Float.NaN;                       // query row 3
        k.data()[140 * d] = Float.POSITIVE_INFINITY;       // key 140: visible only to the last causal rows
        v.data()[149 * d + 2] = Float.NaN;                 // key 149: masked by kvLength
        AttentionOptions o = AttentionOptions.builder().causal().kvLengths(145).returnWeights(true).returnLse(true)
                .build();
        AttentionResult res = check(q, k, v, o, "NaN and inf inputs");
        float[] out = res.output().data();
        assertTrue(Float.isNaN(out[3 * d]), "row 3 sees a NaN query");
        assertFalse(Float.isNaN(out[2 * d]), "row 2 is clean");
        assertTrue(Float.isNaN(out[19 * d]), "row 19 sees the infinite key");
        assertFalse(Float.isNaN(out[5 * d]), "row 5 does not see key 140");
    }

    @Test
    void manyCallersAtOnceMatchASingleThreadedEngine() throws Exception {
        Random r = new Random(9);
        List<AttentionProblem> problems = new ArrayList<>();
        for (int x = 0; x < 6; x++) {
            int nq = 50 + 37 * x, nk = 300 - 20 * x;
            AttentionOptions o = AttentionOptions.builder().causal(x % 2 == 0 ? Causal.BOTTOM_RIGHT : Causal.NONE)
                    .returnWeights(x % 3 == 0).returnLse(true).build();
            problems.add(AttentionProblem.of(random(r, 2, 4, nq, 24), random(r, 2, 2, nk, 24),
                    random(r, 2, 2, nk, 16), o));
        }
        List<AttentionResult> single = new ArrayList<>();
        try (TiledCpuBackend one = new TiledCpuBackend(1)) {
            for (AttentionProblem p : problems) {
                single.add(one.compute(p));
            }
        }
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try (TiledCpuBackend shared = new TiledCpuBackend(3)) {
            List<Future<AttentionResult>> futures = new ArrayList<>();
            for (int rep = 0; rep < 3; rep++) {
                for (AttentionProblem p : problems) {
                    futures.add(callers.submit(() -> shared.compute(p)));
                }
            }
            for (int x = 0; x < futures.size(); x++) {
                AttentionResult got = futures.get(x).get();
                AttentionResult want = single.get(x % problems.size());
                assertArrayEquals(want.output().data(), got.output().data(), "output of call " + x);
                assertArrayEquals(want.logSumExp().orElseThrow().data(), got.logSumExp().orElseThrow().data());
                if (want.weights().isPresent()) {
                    assertArrayEquals(want.weights().get().data(), got.weights().orElseThrow().data());
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void longSequenceWithoutWeightsNeedsNoQuadraticMemory() {
        // 32768^2 floats would be 4 GiB, more than the test heap: a window keeps the work small, not the memory.
        int n = 32768, d = 64;
        Random r = new Random(13);
        Tensor q = random(r, 1, 1, n, d);
        Tensor k = random(r, 1, 1, n, d);
        Tensor v = random(r, 1, 1, n, d);
        AttentionResult res = cpu.compute(AttentionProblem.of(q, k, v,
                AttentionOptions.builder().window(64, 0).returnLse(true).build()));
        for (float x : res.output().data()) {
            assertTrue(Float.isFinite(x));
        }
        // Spot-check the last row against the reference on the 65 keys it sees.
        int i = n - 1;
        Tensor qi = Tensor.of(Arrays.copyOfRange(q.data(), i * d, (i + 1) * d), 1, 1, 1, d);
        Tensor ki = Tensor.of(Arrays.copyOfRange(k.data(), (i - 64) * d, (i + 1) * d), 1, 1, 65, d);
        Tensor vi = Tensor.of(Arrays.copyOfRange(v.data(), (i - 64) * d, (i + 1) * d), 1, 1, 65, d);
        float[] want = REF.compute(AttentionProblem.of(qi, ki, vi, AttentionOptions.DEFAULTS)).output().data();
        float[] got = Arrays.copyOfRange(res.output().data(), i * d, (i + 1) * d);
        double err = Tolerance.maxError(want, got, "last row");
        assertTrue(err < 1e-5, "last row error " + err);
    }

    @Test
    void closeIsIdempotentAndAClosedBackendRefusesWork() {
        TiledCpuBackend b = new TiledCpuBackend(2);
        Random r = new Random(1);
        AttentionProblem p = AttentionProblem.of(random(r, 1, 1, 4, 4), random(r, 1, 1, 4, 4), random(r, 1, 1, 4, 4),
                null);
        b.compute(p);
        b.close();
        b.close();
        assertThrows(IllegalStateException.class, () -> b.compute(p));
        assertThrows(IllegalArgumentException.class, () -> new TiledCpuBackend(0));
    }

    @Test
    void workerThreadsAreNamedDaemons() {
        try (TiledCpuBackend b = new TiledCpuBackend(2)) {
            Random r = new Random(2);
            b.compute(AttentionProblem.of(random(r, 1, 2, 300, 8), random(r, 1, 2, 300, 8), random(r, 1, 2, 300, 8),
                    null));
            boolean found = Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().startsWith("attention4j-cpu-") && t.isDaemon());
            assertTrue(found, "a daemon thread named attention4j-cpu-*");
        }
    }
}

package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Edge cases of options and shapes, CPU against the reference: option combinations at tile-sized shapes, huge
 * windows, a NaN value behind an underflowing weight, and calls racing a close.
 */
class OptionEdgeCasesTest {

    private static void assertNear(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            boolean same = want[i] == Float.NEGATIVE_INFINITY && got[i] == Float.NEGATIVE_INFINITY
                    || Float.isNaN(want[i]) && Float.isNaN(got[i]);
            if (same) {
                continue;
            }
            double d = Math.abs((double) want[i] - got[i]);
            if (!(d <= tol)) {
                fail(what + "[" + i + "]: want " + want[i] + " got " + got[i]);
            }
        }
    }

    private static AttentionOptions randomOptions(SplittableRandom r, int b, int hq, int nq, int nk) {
        AttentionOptions.Builder o = AttentionOptions.builder().returnWeights(true).returnLse(true);
        switch (r.nextInt(3)) {
            case 1: o.causal(); break;
            case 2: o.causal(Causal.TOP_LEFT); break;
            default: break;
        }
        if (r.nextBoolean()) {
            int[] kl = new int[b];
            for (int i = 0; i < b; i++) {
                kl[i] = r.nextInt(nk + 1);
            }
            o.kvLengths(kl);
        }
        if (r.nextInt(3) == 0) {
            int[] choices = {-1, 0, 1, 3, 1000, Integer.MAX_VALUE};
            o.window(choices[r.nextInt(choices.length)], choices[r.nextInt(choices.length)]);
        }
        if (r.nextInt(3) == 0) {
            o.alibi();
        }
        if (r.nextInt(3) == 0) {
            // Random broadcast shape of rank 1..4.
            int rank = 1 + r.nextInt(4);
            int[] full = {b, hq, nq, nk};
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) {
                int f = full[4 - rank + i];
                shape[i] = r.nextBoolean() ? f : 1;
            }
            int n = 1;
            for (int s : shape) {
                n *= s;
            }
            if (r.nextBoolean()) {
                boolean[] m = new boolean[n];
                for (int i = 0; i < n; i++) {
                    m[i] = r.nextInt(4) != 0;
                }
                o.mask(AttentionMask.ofBoolean(m, shape));
            } else {
                float[] m = new float[n];
                for (int i = 0; i < n; i++) {
                    int c = r.nextInt(40);
                    m[i] = c < 8 ? Float.NEGATIVE_INFINITY : c == 8 ? Float.NaN : c == 9 ? Float.POSITIVE_INFINITY
                            : (float) r.nextDouble(-2, 2);
                }
                o.mask(AttentionMask.ofFloat(m, shape));
            }
        }
        if (r.nextInt(3) == 0) {
            RopeStyle style = r.nextBoolean() ? RopeStyle.HALF : RopeStyle.INTERLEAVED;
            double base = r.nextBoolean() ? 10000 : 7.5;
            if (r.nextBoolean()) {
                o.rope(base, style);
            } else {
                o.rope(new Rope(base, style, positions(r, r.nextBoolean() ? nq : b * nq),
                        positions(r, r.nextBoolean() ? nk : b * nk)));
            }
        }
        if (r.nextInt(4) == 0) {
            o.scale(r.nextDouble(-3, 3));
        }
        return o.build();
    }

    private static int[] positions(SplittableRandom r, int n) {
        int[] p = new int[n];
        int kind = r.nextInt(3);
        for (int i = 0; i < n; i++) {
            p[i] = kind == 0 ? i - 3 : kind == 1 ? r.nextInt(-50, 50) : r.nextInt(Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return p;
    }

    @Test
    void tileSizedOptionCombinationsCpuMatchesReference() {
        SplittableRandom r = new SplittableRandom(99);
        try (AttentionEngine cpu = AttentionEngine.builder().backend(Backend.CPU).threads(2).build();
             AttentionEngine ref = AttentionEngine.create(Backend.REFERENCE)) {
            for (int it = 0; it < 40; it++) {
                int b = 1 + r.nextInt(2);
                int hkv = 1 + r.nextInt(2);
                int hq = hkv * (1 + r.nextInt(2));
                int nq = 1 + r.nextInt(140);
                int nk = 1 + r.nextInt(260);
                int d = 2 * (1 + r.nextInt(9));
                int dv = 1 + r.nextInt(9);
                Tensor q = Ref.random(r.nextLong(), b, hq, nq, d);
                Tensor k = Ref.random(r.nextLong(), b, hkv, nk, d);
                Tensor v = Ref.random(r.nextLong(), b, hkv, nk, dv);
                if (r.nextInt(4) == 0) {
                    v.data()[r.nextInt(v.size())] = Float.NaN;   // propagates to exactly the rows that see it
                }
                AttentionOptions o = randomOptions(r, b, hq, nq, nk);
                String what = "it " + it + " " + java.util.Arrays.toString(new int[] {b, hq, hkv, nq, nk, d, dv})
                        + " " + o;
                AttentionResult want = ref.attention(q, k, v, o);
                AttentionResult got = cpu.attention(q, k, v, o);
                assertNear(want.output().data(), got.output().data(), 5e-5, what + " out");
                assertNear(want.weights().orElseThrow().data(), got.weights().orElseThrow().data(), 5e-5,
                        what + " weights");
                assertNear(want.logSumExp().orElseThrow().data(), got.logSumExp().orElseThrow().data(), 5e-4,
                        what + " lse");
            }
        }
    }

    @Test
    void randomOptionCombinationsCpuMatchesReference() {
        SplittableRandom r = new SplittableRandom(20261124);
        try (AttentionEngine cpu = AttentionEngine.builder().backend(Backend.CPU).threads(2).build();
             AttentionEngine ref = AttentionEngine.create(Backend.REFERENCE)) {
            for (int it = 0; it < 400; it++) {
                int b = r.nextInt(3);
                int hkv = 1 + r.nextInt(2);
                int hq = hkv * (1 + r.nextInt(3));
                int nq = r.nextInt(6);
                int nk = r.nextInt(7);
                int d = 2 * (1 + r.nextInt(3));
                int dv = r.nextInt(5);   // Dv = 0 included
                Tensor q = Ref.random(r.nextLong(), b, hq, nq, d);
                Tensor k = Ref.random(r.nextLong(), b, hkv, nk, d);
                Tensor v = Ref.random(r.nextLong(), b, hkv, nk, dv);
                AttentionOptions o = randomOptions(r, b, hq, nq, nk);
                String what = "it " + it + " " + java.util.Arrays.toString(new int[] {b, hq, hkv, nq, nk, d, dv})
                        + " " + o;
                AttentionResult want = ref.attention(q, k, v, o);
                AttentionResult got = cpu.attention(q, k, v, o);
                assertNear(want.output().data(), got.output().data(), 2e-5, what + " out");
                assertNear(want.weights().orElseThrow().data(), got.weights().orElseThrow().data(), 2e-5,
                        what + " weights");
                assertNear(want.logSumExp().orElseThrow().data(), got.logSumExp().orElseThrow().data(), 2e-5,
                        what + " lse");
            }
        }
    }

    /** A window side of Integer.MAX_VALUE means "everything on that side", not an int overflow. */
    @Test
    void hugeWindowSidesEqualUnbounded() {
        Tensor q = Ref.random(1, 1, 2, 4, 4);
        Tensor k = Ref.random(2, 1, 2, 6, 4);
        Tensor v = Ref.random(3, 1, 2, 6, 3);
        for (Backend be : new Backend[] {Backend.REFERENCE, Backend.CPU}) {
            try (AttentionEngine e = AttentionEngine.create(be)) {
                AttentionResult want = e.attention(q, k, v, AttentionOptions.builder().returnLse(true).build());
                for (int[] w : new int[][] {{0, Integer.MAX_VALUE}, {Integer.MAX_VALUE, 0},
                        {Integer.MAX_VALUE, Integer.MAX_VALUE}}) {
                    AttentionOptions o = AttentionOptions.builder().window(w[0], w[1]).returnLse(true).build();
                    AttentionResult got = e.attention(q, k, v, o);
                    AttentionResult ref = e.attention(q, k, v, AttentionOptions.builder()
                            .window(w[0] == Integer.MAX_VALUE ? -1 : w[0], w[1] == Integer.MAX_VALUE ? -1 : w[1])
                            .returnLse(true).build());
                    assertNear(ref.output().data(), got.output().data(), 1e-6, be + " window " + w[0] + "," + w[1]);
                    assertNear(ref.logSumExp().orElseThrow().data(), got.logSumExp().orElseThrow().data(), 1e-6,
                            be + " window lse " + w[0] + "," + w[1]);
                }
                assertTrue(want.output().size() > 0);
            }
        }
    }

    /** Nq > Nk puts the diagonal below zero; a huge left side must not wrap around. */
    @Test
    void hugeLeftWindowWithNegativeDiagonal() {
        Tensor q = Ref.random(4, 1, 1, 6, 4);
        Tensor k = Ref.random(5, 1, 1, 2, 4);
        Tensor v = Ref.random(6, 1, 1, 2, 3);
        for (Backend be : new Backend[] {Backend.REFERENCE, Backend.CPU}) {
            try (AttentionEngine e = AttentionEngine.create(be)) {
                AttentionResult a = e.attention(q, k, v, AttentionOptions.builder().window(Integer.MAX_VALUE, 0)
                        .build());
                AttentionResult b = e.attention(q, k, v, AttentionOptions.builder().window(-1, 0).build());
                assertNear(b.output().data(), a.output().data(), 1e-6, be.toString());
            }
        }
    }

    /**
     * A visible key whose value is NaN makes its row NaN even when its weight underflows (IEEE 0 * NaN), as in the
     * reference; a masked one does not.
     */
    @Test
    void nanValueOfAVisibleKeyWithAnUnderflowingWeightStillPropagates() {
        Tensor q = Tensor.of(new float[] {1f, 1f}, 1, 1, 2, 1);
        Tensor k = Tensor.of(new float[] {0f, -200f, 0f}, 1, 1, 3, 1);
        Tensor v = Tensor.of(new float[] {1f, Float.NaN, Float.NaN}, 1, 1, 3, 1);
        // Both rows see keys 0 and 1; key 2 (also NaN) is masked for both.
        boolean[] allowed = {true, true, false, true, true, false};
        AttentionOptions o = AttentionOptions.builder().scale(1.0)
                .mask(AttentionMask.ofBoolean(allowed, 2, 3)).build();
        for (Backend be : new Backend[] {Backend.REFERENCE, Backend.CPU}) {
            try (AttentionEngine e = AttentionEngine.create(be)) {
                float[] out = e.attention(q, k, v, o).output().data();
                assertTrue(Float.isNaN(out[0]), be + ": row 0 sees key 1 (weight e^-200) whose value is NaN");
                assertTrue(Float.isNaN(out[1]), be + ": row 1 sees key 1 too");
            }
        }
        AttentionOptions masked = AttentionOptions.builder().scale(1.0).kvLengths(1).build();
        for (Backend be : new Backend[] {Backend.REFERENCE, Backend.CPU}) {
            try (AttentionEngine e = AttentionEngine.create(be)) {
                float[] out = e.attention(q, k, v, masked).output().data();
                assertEquals(1f, out[0], be + ": masked NaN keys do not leak");
            }
        }
    }

    @Test
    void concurrentCallsWhileClosingFailCleanly() throws Exception {
        Tensor q = Ref.random(7, 2, 4, 200, 32);
        Tensor k = Ref.random(8, 2, 4, 300, 32);
        Tensor v = Ref.random(9, 2, 4, 300, 32);
        for (int round = 0; round < 5; round++) {
            AttentionEngine e = AttentionEngine.builder().backend(Backend.CPU).threads(2).build();
            ExecutorService ex = Executors.newFixedThreadPool(8);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Throwable>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                fs.add(ex.submit(() -> {
                    start.await();
                    try {
                        for (int i = 0; i < 20; i++) {
                            e.attention(q, k, v, AttentionOptions.builder().causal().build());
                        }
                        return null;
                    } catch (IllegalStateException | AttentionException ok) {
                        return null;
                    } catch (Throwable bad) {
                        return bad;
                    }
                }));
            }
            start.countDown();
            Thread.sleep(20 + 10 * round);
            e.close();
            for (Future<Throwable> f : fs) {
                Throwable t = f.get(60, TimeUnit.SECONDS);
                if (t != null) {
                    throw new AssertionError("unexpected exception from a call racing close()", t);
                }
            }
            ex.shutdown();
            assertTrue(ex.awaitTermination(10, TimeUnit.SECONDS));
            assertThrows(IllegalStateException.class, () -> e.attention(q, k, v));
        }
    }
}

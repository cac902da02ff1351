package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.attention4j.testing.Visibility;
import org.attention4j.cpu.ReferenceBackend;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link AttentionMerge}: attention over keys split into disjoint shards, merged, equals attention over all keys.
 * The full call uses the built-in masks (causal, window, key lengths, ALiBi, RoPE); each shard gets the same
 * semantics through an explicit float mask (the ALiBi bias where visible, -inf elsewhere) and explicit RoPE
 * positions, so nothing but the merge differs between the two.
 */
class AttentionMergeTest {

    @ParameterizedTest(name = "{0}: {1} shards, B={2} Hq={3} Hkv={4} Nq={5} Nk={6} D={7} options #{8}")
    @CsvSource({
            "REFERENCE, 2, 2, 4, 2, 7, 19, 8, 0",
            "REFERENCE, 3, 1, 2, 1, 1, 33, 6, 1",
            "REFERENCE, 5, 2, 3, 3, 11, 13, 4, 2",     // more shards than some rows have keys; empty shards
            "REFERENCE, 4, 3, 2, 1, 9, 9, 16, 3",
            "CPU, 2, 2, 4, 2, 7, 19, 8, 1",
            "CPU, 3, 2, 4, 4, 17, 40, 10, 2",
            "CPU, 5, 1, 8, 2, 5, 97, 6, 3",
            "CPU, 4, 2, 2, 2, 12, 6, 4, 0",            // Nq > Nk: top rows see nothing under causal
    })
    void shardsMergeIntoTheWhole(Backend backend, int shards, int b, int hq, int hkv, int nq, int nk, int d,
                                 int which) {
        long seed = 31L * shards + 7L * nk + which;
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor q = Ref.random(seed, b, hq, nq, d);
        Tensor k = Ref.random(seed + 1, b, hkv, nk, d);
        Tensor v = Ref.random(seed + 2, b, hkv, nk, d + 1);
        int[] lens = new int[b];
        for (int i = 0; i < b; i++) {
            lens[i] = i == 1 ? 0 : rnd.nextInt(nk + 1);     // entry 1: every row fully masked
        }
        AttentionOptions.Builder o = AttentionOptions.builder().returnLse(true);
        switch (which) {
            case 0:
                o.causal();
                break;
            case 1:
                o.causal(Causal.TOP_LEFT).alibi().kvLengths(lens);
                break;
            case 2:
                o.window(3, 1).rope(10000, RopeStyle.HALF).kvLengths(lens);
                break;
            default:
                o.causal().alibi().rope(500, RopeStyle.INTERLEAVED).window(5, -1).scale(0.7);
        }
        AttentionOptions full = o.build();
        int[] cuts = cuts(rnd, nk, shards);
        try (AttentionEngine e = AttentionEngine.create(backend)) {
            // The whole, from the float64 oracle whatever the engine under test.
            AttentionResult whole = new ReferenceBackend().compute(AttentionProblem.of(q, k, v, full));
            List<AttentionResult> parts = new ArrayList<>();
            for (int s = 0; s < shards; s++) {
                parts.add(e.attention(q, Ref.sliceKeys(k, cuts[s], cuts[s + 1]), Ref.sliceKeys(v, cuts[s], cuts[s + 1]),
                        shardOptions(full, b, hq, nq, nk, cuts[s], cuts[s + 1])));
            }
            AttentionResult merged = AttentionMerge.merge(parts);
            String what = backend + " cuts " + Arrays.toString(cuts) + " " + full;
            Ref.assertClose(whole.output().data(), merged.output().data(), 1e-5, what + " output");
            float[] wl = whole.logSumExp().orElseThrow().data();
            float[] ml = merged.logSumExp().orElseThrow().data();
            boolean sawEmptyRow = false;
            for (int i = 0; i < wl.length; i++) {
                if (wl[i] == Float.NEGATIVE_INFINITY) {
                    sawEmptyRow = true;
                    assertEquals(Float.NEGATIVE_INFINITY, ml[i], what + " lse[" + i + "] of an empty row");
                } else {
                    assertTrue(Math.abs(wl[i] - ml[i]) <= 1e-5 * (1 + Math.abs(wl[i])), what + " lse[" + i + "] "
                            + ml[i] + " vs " + wl[i]);
                }
            }
            assertEquals(backend, merged.backend());
            if (full.kvLengths() != null && b > 1) {
                assertTrue(sawEmptyRow, "batch entry 1 has no keys: its rows must be empty");
            }
        }
    }

    /** Shard boundaries 0 = c0 <= c1 <= ... <= c_shards = nk, with an empty shard whenever there are > 2. */
    private static int[] cuts(SplittableRandom rnd, int nk, int shards) {
        int[] c = new int[shards + 1];
        for (int s = 1; s < shards; s++) {
            c[s] = rnd.nextInt(nk + 1);
        }
        c[shards] = nk;
        Arrays.sort(c);
        if (shards > 2) {
            c[1] = c[2];        // shard 1 empty
        }
        return c;
    }

    /** The full call's semantics restricted to keys {@code from..to-1}, through an explicit mask and positions. */
    static AttentionOptions shardOptions(AttentionOptions full, int b, int hq, int nq, int nk, int from, int to) {
        int n = to - from, off = nk - nq;
        float[] slopes = full.alibi() ? Alibi.slopes(hq) : null;
        float[] mask = new float[b * hq * nq * n];
        int[] lens = full.kvLengths();
        for (int bb = 0; bb < b; bb++) {
            for (int h = 0; h < hq; h++) {
                for (int i = 0; i < nq; i++) {
                    for (int jj = 0; jj < n; jj++) {
                        int j = from + jj;
                        boolean vis = Visibility.visible(full.causal().ordinal(), full.windowLeft(),
                                full.windowRight(), lens == null ? nk : lens[bb], i, j, off);
                        float bias = slopes == null ? 0 : -slopes[h] * Visibility.distance(i, j, off);
                        mask[((bb * hq + h) * nq + i) * n + jj] = vis ? bias : Float.NEGATIVE_INFINITY;
                    }
                }
            }
        }
        AttentionOptions.Builder o = AttentionOptions.builder().returnLse(true)
                .mask(AttentionMask.ofFloat(mask, b, hq, nq, n));
        if (full.scale() != null) {
            o.scale(full.scale());
        }
        if (full.rope() != null) {
            int[] qp = new int[nq];
            int[] kp = new int[n];
            for (int i = 0; i < nq; i++) {
                qp[i] = off + i;
            }
            for (int j = 0; j < n; j++) {
                kp[j] = from + j;
            }
            o.rope(new Rope(full.rope().base(), full.rope().style(), qp, kp));
        }
        return o.build();
    }

    @Test
    void twoHandComputedShards() {
        // Row 0: shard A has lse log(2) and output 1, shard B lse log(6) and output 3: weights 1/4, 3/4.
        // Row 1: shard A saw nothing (-inf, output garbage) and B everything.
        // Row 2: neither saw anything.
        Tensor oa = Tensor.of(new float[] {1, Float.NaN, 5}, 3, 1);
        Tensor la = Tensor.of(new float[] {(float) Math.log(2), Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 3);
        Tensor ob = Tensor.of(new float[] {3, 7, 9}, 3, 1);
        Tensor lb = Tensor.of(new float[] {(float) Math.log(6), 0.5f, Float.NEGATIVE_INFINITY}, 3);
        AttentionMerge.Partial m = AttentionMerge.merge(new Tensor[] {oa, ob}, new Tensor[] {la, lb});
        Ref.assertClose(new double[] {2.5, 7, 0}, m.output().data(), 1e-6, "output");
        Ref.assertClose(new double[] {Math.log(8), 0.5}, Arrays.copyOf(m.logSumExp().data(), 2), 1e-6, "lse");
        assertEquals(Float.NEGATIVE_INFINITY, m.logSumExp().data()[2]);
        assertEquals(List.of(3, 1), List.of(m.output().dim(0), m.output().dim(1)));
    }

    @Test
    void nanPropagatesToItsRowOnly() {
        Tensor o1 = Tensor.of(new float[] {1, 2}, 2, 1);
        Tensor l1 = Tensor.of(new float[] {Float.NaN, 0}, 2);
        Tensor o2 = Tensor.of(new float[] {Float.NaN, 4}, 2, 1);
        Tensor l2 = Tensor.of(new float[] {0, Float.NEGATIVE_INFINITY}, 2);
        AttentionMerge.Partial m = AttentionMerge.merge(new Tensor[] {o1, o2}, new Tensor[] {l1, l2});
        assertTrue(Float.isNaN(m.output().data()[0]));
        assertTrue(Float.isNaN(m.logSumExp().data()[0]));
        assertEquals(2f, m.output().data()[1]);
        assertEquals(0f, m.logSumExp().data()[1]);
        // A NaN output in a shard that contributes is not hidden.
        Tensor l3 = Tensor.of(new float[] {0, 0}, 2);
        AttentionMerge.Partial n = AttentionMerge.merge(new Tensor[] {o2, o1}, new Tensor[] {l3, l3});
        assertTrue(Float.isNaN(n.output().data()[0]));
        assertEquals(3f, n.output().data()[1], 1e-6f);
    }

    @Test
    void badInputNamesTheShapes() {
        Tensor o = Tensor.zeros(2, 3, 4, 5);
        Tensor l = Tensor.zeros(2, 3, 4);
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> AttentionMerge.merge(new Tensor[] {o, Tensor.zeros(2, 3, 4, 6)}, new Tensor[] {l, l}));
        assertTrue(x.getMessage().contains("outputs[1]") && x.getMessage().contains("[2, 3, 4, 6]"), x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> AttentionMerge.merge(new Tensor[] {o, o}, new Tensor[] {l, Tensor.zeros(2, 3, 5)}));
        assertTrue(x.getMessage().contains("logSumExps[1]") && x.getMessage().contains("[2, 3, 4]"), x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> AttentionMerge.merge(new Tensor[] {o}, new Tensor[] {l, l}));
        assertTrue(x.getMessage().contains("1 entries") && x.getMessage().contains("2"), x.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AttentionMerge.merge(new Tensor[0], new Tensor[0]));
        assertThrows(IllegalArgumentException.class, () -> AttentionMerge.merge(List.of()));
        AttentionResult noLse = new AttentionResult(o, null, null, Backend.CPU);
        x = assertThrows(IllegalArgumentException.class, () -> AttentionMerge.merge(List.of(noLse)));
        assertTrue(x.getMessage().contains("partials[0]") && x.getMessage().contains("returnLse"), x.getMessage());
    }
}

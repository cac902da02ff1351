package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.attention4j.cpu.ReferenceBackend;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link AttentionOptions.Builder#startPositions}: a sequence cut into blocks of queries and shards of keys, each
 * piece computed with the start positions of its queries and keys in the whole sequence and the pieces of each
 * query block merged with {@link AttentionMerge}, gives the whole call: causal, window, ALiBi and RoPE count in
 * global positions, with nothing rebuilt as masks by the caller (compare {@code AttentionMergeTest}).
 */
class StartPositionsTest {

    /** The options of case {@code which}, all position rules in some combination. */
    private static AttentionOptions.Builder options(int which) {
        AttentionOptions.Builder o = AttentionOptions.builder().returnLse(true);
        switch (which) {
            case 0:
                return o.causal();
            case 1:
                return o.causal().alibi();
            case 2:
                return o.window(5, 2).rope(10000, RopeStyle.HALF);
            case 3:
                return o.causal().alibi().rope(500, RopeStyle.INTERLEAVED).window(9, -1).scale(0.7);
            case 4:
                return o.rope(Rope.of(10000, RopeStyle.HALF).withRotaryDim(4)).window(-1, 3).alibi();
            default:
                return o;
        }
    }

    @ParameterizedTest(name = "{0}: B={1} Hq={2} Hkv={3} Nq={4} Nk={5} D={6}, {7} query blocks x {8} key shards, "
            + "options #{9}")
    @CsvSource({
            "REFERENCE, 2, 4, 2, 19, 19, 8, 2, 3, 0",
            "REFERENCE, 1, 2, 1, 7, 33, 6, 3, 2, 3",      // fewer queries than keys: bottom-right as a whole
            "REFERENCE, 2, 3, 3, 13, 13, 5, 1, 5, 4",     // more shards than some rows see keys; empty shards
            "CPU, 2, 4, 2, 97, 97, 59, 3, 4, 0",
            "CPU, 1, 8, 2, 113, 113, 64, 2, 3, 1",
            "CPU, 2, 4, 4, 77, 130, 40, 2, 3, 2",
            "CPU, 1, 2, 1, 65, 65, 16, 4, 2, 3",
            "CPU, 2, 2, 2, 33, 33, 8, 1, 1, 4",           // one piece: start positions of the whole are a no-op
            "CPU, 1, 4, 4, 1, 200, 32, 1, 4, 3",          // decode-shaped: one query against sharded keys
    })
    void piecesWithStartPositionsMergeIntoTheWhole(Backend backend, int b, int hq, int hkv, int nq, int nk, int d,
            int blocks, int shards, int which) {
        long seed = 101L * nq + 7L * nk + which;
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor q = Ref.random(seed, b, hq, nq, d);
        Tensor k = Ref.random(seed + 1, b, hkv, nk, d);
        Tensor v = Ref.random(seed + 2, b, hkv, nk, d + 3);
        AttentionOptions full = options(which).build();
        int[] qCuts = cuts(rnd, nq, blocks);
        int[] kCuts = cuts(rnd, nk, shards);
        String what = backend + " query blocks " + Arrays.toString(qCuts) + ", key shards " + Arrays.toString(kCuts)
                + ", " + full;
        AttentionResult whole = new ReferenceBackend().compute(AttentionProblem.of(q, k, v, full));
        float[] wantOut = whole.output().data();
        float[] wantLse = whole.logSumExp().orElseThrow().data();
        int dv = d + 3;
        try (AttentionEngine e = AttentionEngine.create(backend)) {
            for (int qb = 0; qb < blocks; qb++) {
                int q0 = qCuts[qb];
                int q1 = qCuts[qb + 1];
                if (q0 == q1) {
                    continue;
                }
                List<AttentionResult> parts = new ArrayList<>();
                for (int s = 0; s < shards; s++) {
                    int k0 = kCuts[s];
                    int k1 = kCuts[s + 1];
                    AttentionOptions piece = full.toBuilder().startPositions(nk - nq + q0, k0).build();
                    parts.add(e.attention(Ref.sliceKeys(q, q0, q1), Ref.sliceKeys(k, k0, k1), Ref.sliceKeys(v, k0, k1),
                            piece));
                }
                AttentionResult merged = AttentionMerge.merge(parts);
                float[] out = merged.output().data();
                float[] lse = merged.logSumExp().orElseThrow().data();
                int rows = q1 - q0;
                for (int bh = 0; bh < b * hq; bh++) {
                    for (int i = 0; i < rows; i++) {
                        int wr = bh * nq + q0 + i;
                        int gr = bh * rows + i;
                        for (int c = 0; c < dv; c++) {
                            float w = wantOut[wr * dv + c];
                            float g = out[gr * dv + c];
                            assertTrue(Math.abs(w - g) <= 2e-5 * (1 + Math.abs(w)),
                                    what + ": output row " + wr + " col " + c + ": " + g + " vs " + w);
                        }
                        if (wantLse[wr] == Float.NEGATIVE_INFINITY) {
                            assertEquals(Float.NEGATIVE_INFINITY, lse[gr], what + ": lse of an empty row " + wr);
                        } else {
                            assertTrue(Math.abs(wantLse[wr] - lse[gr]) <= 2e-5 * (1 + Math.abs(wantLse[wr])),
                                    what + ": lse row " + wr + ": " + lse[gr] + " vs " + wantLse[wr]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void theDefaultStartsAreBottomRightSoGivingThemChangesNothing() {
        Tensor q = Ref.random(5, 2, 4, 21, 16);
        Tensor k = Ref.random(6, 2, 2, 50, 16);
        Tensor v = Ref.random(7, 2, 2, 50, 16);
        AttentionOptions plain = AttentionOptions.builder().causal().alibi().window(6, 1).rope(10000, RopeStyle.HALF)
                .returnLse(true).build();
        for (Backend backend : new Backend[] {Backend.CPU, Backend.REFERENCE}) {
            try (AttentionEngine e = AttentionEngine.create(backend)) {
                AttentionResult a = e.attention(q, k, v, plain);
                AttentionResult s = e.attention(q, k, v, plain.toBuilder().startPositions(50 - 21, 0).build());
                assertArrayEquals(a.output().data(), s.output().data(), backend + " output");
                assertArrayEquals(a.logSumExp().orElseThrow().data(), s.logSumExp().orElseThrow().data(),
                        backend + " lse");
                // Shifting both starts by the same amount moves nothing but RoPE, which is relative: scores agree.
                AttentionResult shifted = e.attention(q, k, v, plain.toBuilder().startPositions(50 - 21 + 1000, 1000)
                        .build());
                Ref.assertClose(a.output().data(), shifted.output().data(), 2e-5, backend + " shifted output");
            }
        }
    }

    @Test
    void perEntryStartsApplyToTheirOwnEntry() {
        // Entry 0 is the first shard of its sequence, entry 1 the second: per-entry starts equal two calls.
        Tensor q = Ref.random(11, 2, 2, 9, 8);
        Tensor k = Ref.random(12, 2, 2, 30, 8);
        Tensor v = Ref.random(13, 2, 2, 30, 8);
        AttentionOptions.Builder o = AttentionOptions.builder().causal().alibi().rope(100, RopeStyle.HALF);
        try (AttentionEngine e = AttentionEngine.create(Backend.CPU)) {
            float[] both = e.attention(q, k, v, o.startPositions(new int[] {40, 55}, new int[] {20, 30}).build())
                    .output().data();
            for (int b = 0; b < 2; b++) {
                AttentionOptions one = o.startPositions(new int[] {b == 0 ? 40 : 55}, new int[] {b == 0 ? 20 : 30})
                        .build();
                float[] single = e.attention(entry(q, b), entry(k, b), entry(v, b), one).output().data();
                float[] part = Arrays.copyOfRange(both, b * single.length, (b + 1) * single.length);
                assertArrayEquals(single, part, "entry " + b);
            }
        }
    }

    @Test
    void packedSequencesTakeTheirStartsPerSequence() {
        // Two packed sequences of 5 and 8 queries over 12 and 20 keys, with starts per sequence, against the
        // same calls made one sequence at a time.
        int[] cuQ = {0, 5, 13};
        int[] cuK = {0, 12, 32};
        int[] qs = {30, 7};
        int[] ks = {20, 0};
        Tensor q = Ref.random(21, 13, 4, 16);
        Tensor k = Ref.random(22, 32, 2, 16);
        Tensor v = Ref.random(23, 32, 2, 16);
        AttentionOptions.Builder o = AttentionOptions.builder().causal().alibi().window(10, -1).rope(1000,
                RopeStyle.INTERLEAVED).returnLse(true);
        for (Backend backend : new Backend[] {Backend.CPU, Backend.REFERENCE}) {
            try (AttentionEngine e = AttentionEngine.create(backend)) {
                AttentionResult packed = e.attentionVarlen(q, k, v, cuQ, cuK, o.startPositions(qs, ks).build());
                for (int s = 0; s < 2; s++) {
                    Tensor qb = packedToDense(q, cuQ[s], cuQ[s + 1]);
                    Tensor kb = packedToDense(k, cuK[s], cuK[s + 1]);
                    Tensor vb = packedToDense(v, cuK[s], cuK[s + 1]);
                    AttentionResult one = e.attention(qb, kb, vb, o.startPositions(qs[s], ks[s]).build());
                    int n = cuQ[s + 1] - cuQ[s];
                    for (int h = 0; h < 4; h++) {
                        for (int i = 0; i < n; i++) {
                            for (int c = 0; c < 16; c++) {
                                float want = one.output().data()[(h * n + i) * 16 + c];
                                float got = packed.output().data()[((cuQ[s] + i) * 4 + h) * 16 + c];
                                assertTrue(Math.abs(want - got) <= 1e-5 * (1 + Math.abs(want)),
                                        backend + " sequence " + s + " head " + h + " row " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void badStartsAreRefusedNamingTheArgument() {
        AttentionOptions.Builder o = AttentionOptions.builder();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.startPositions(-1, 0));
        assertTrue(e.getMessage().contains("queryStarts[0]=-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> o.startPositions(new int[] {1, 2}, new int[] {3}));
        assertTrue(e.getMessage().contains("same length"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AttentionOptions.builder().causal(Causal.TOP_LEFT).startPositions(4, 0).build());
        assertTrue(e.getMessage().contains("TOP_LEFT"), e.getMessage());

        Tensor q = Ref.random(1, 2, 1, 4, 8);
        Tensor k = Ref.random(2, 2, 1, 6, 8);
        AttentionOptions three = AttentionOptions.builder().startPositions(new int[] {0, 1, 2}, new int[] {0, 0, 0})
                .build();
        e = assertThrows(IllegalArgumentException.class, () -> AttentionProblem.of(q, k, k, three));
        assertTrue(e.getMessage().contains("queryStarts has 3 entries; expected 1 (for all) or B=2"), e.getMessage());
        AttentionOptions far = AttentionOptions.builder().startPositions(Integer.MAX_VALUE - 2, 0).build();
        e = assertThrows(IllegalArgumentException.class, () -> AttentionProblem.of(q, k, k, far));
        assertTrue(e.getMessage().contains("would pass"), e.getMessage());

        try (AttentionEngine engine = AttentionEngine.create(Backend.CPU);
             KvCache cache = engine.newKvCache(2, 1, 8, 8, 8)) {
            e = assertThrows(IllegalArgumentException.class, () -> engine.decode(q, cache,
                    AttentionOptions.builder().startPositions(0, 0).build()));
            assertTrue(e.getMessage().contains("start positions do not apply to decode"), e.getMessage());
        }
        assertTrue(AttentionOptions.builder().startPositions(3, 1).build().toString().contains("starts=(q 3, k 1)"));
    }

    /** Boundaries 0 = c0 <= ... <= c_n = total, with an empty piece whenever there are more than two. */
    private static int[] cuts(SplittableRandom rnd, int total, int pieces) {
        int[] c = new int[pieces + 1];
        for (int s = 1; s < pieces; s++) {
            c[s] = rnd.nextInt(total + 1);
        }
        c[pieces] = total;
        Arrays.sort(c);
        if (pieces > 2) {
            c[1] = c[2];
        }
        return c;
    }

    /** Batch entry {@code b} of a [B, H, N, X] tensor as [1, H, N, X]. */
    private static Tensor entry(Tensor t, int b) {
        int per = t.dim(1) * t.dim(2) * t.dim(3);
        return Tensor.of(Arrays.copyOfRange(t.data(), b * per, (b + 1) * per), 1, t.dim(1), t.dim(2), t.dim(3));
    }

    /** Rows {@code from..to-1} of a packed [total, H, X] tensor as [1, H, n, X]. */
    private static Tensor packedToDense(Tensor t, int from, int to) {
        int h = t.dim(1);
        int x = t.dim(2);
        int n = to - from;
        float[] out = new float[h * n * x];
        for (int i = 0; i < n; i++) {
            for (int hh = 0; hh < h; hh++) {
                System.arraycopy(t.data(), ((from + i) * h + hh) * x, out, (hh * n + i) * x, x);
            }
        }
        return Tensor.of(out, 1, h, n, x);
    }
}

package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link AttentionEngine#attentionVarlen}: packed sequences give, row for row, what {@link AttentionEngine#attention}
 * gives on each sequence alone (built here from the packed data independently of the library's own slicing),
 * each aligned on its own diagonal.
 */
class VarlenTest {

    @ParameterizedTest(name = "{0} Hq={1} Hkv={2} D={3} options #{4}")
    @CsvSource({
            "REFERENCE, 4, 2, 8, 0",
            "REFERENCE, 2, 1, 6, 1",
            "REFERENCE, 3, 3, 4, 2",
            "REFERENCE, 4, 1, 10, 3",
            "CPU, 4, 2, 8, 0",
            "CPU, 2, 2, 6, 1",
            "CPU, 6, 3, 4, 2",
            "CPU, 4, 4, 16, 3",
    })
    void packedEqualsPerSequence(Backend backend, int hq, int hkv, int d, int which) {
        // Sequences of different lengths, Nq != Nk, an empty query set and a sequence without keys.
        int[] nq = {5, 1, 0, 13, 4, 7};
        int[] nk = {9, 17, 3, 13, 0, 2};
        int[] cuQ = offsets(nq);
        int[] cuK = offsets(nk);
        long seed = 100L * which + hq + d;
        Tensor q = Ref.random(seed, cuQ[nq.length], hq, d);
        Tensor k = Ref.random(seed + 1, cuK[nk.length], hkv, d);
        Tensor v = Ref.random(seed + 2, cuK[nk.length], hkv, d + 2);
        int[] qPos = null;
        int[] kPos = null;
        AttentionOptions.Builder o = AttentionOptions.builder().returnLse(true);
        switch (which) {
            case 0:
                o.causal().rope(10000, RopeStyle.HALF);
                break;
            case 1:
                o.causal(Causal.TOP_LEFT).alibi().scale(0.4);
                break;
            case 2:
                o.window(2, 0).alibi();
                break;
            default: {
                qPos = new int[cuQ[nq.length]];
                kPos = new int[cuK[nk.length]];
                for (int i = 0; i < qPos.length; i++) {
                    qPos[i] = 3 * i + 1;
                }
                for (int j = 0; j < kPos.length; j++) {
                    kPos[j] = 2 * j;
                }
                o.causal().rope(new Rope(500, RopeStyle.INTERLEAVED, qPos, kPos));
            }
        }
        AttentionOptions opts = o.build();
        try (AttentionEngine e = AttentionEngine.create(backend)) {
            AttentionResult r = e.attentionVarlen(q, k, v, cuQ, cuK, opts);
            assertEquals(Arrays.asList(cuQ[nq.length], hq, d + 2), Arrays.asList(r.output().dim(0),
                    r.output().dim(1), r.output().dim(2)));
            float[] lse = r.logSumExp().orElseThrow().data();
            assertEquals(cuQ[nq.length] * hq, lse.length);
            boolean sawEmptyRow = false;
            for (int b = 0; b < nq.length; b++) {
                if (nq[b] == 0) {
                    continue;
                }
                AttentionOptions.Builder ob = opts.toBuilder();
                if (qPos != null) {
                    ob.rope(new Rope(500, RopeStyle.INTERLEAVED, Arrays.copyOfRange(qPos, cuQ[b], cuQ[b + 1]),
                            Arrays.copyOfRange(kPos, cuK[b], cuK[b + 1])));
                }
                AttentionResult want = e.attention(seq(q, cuQ[b], nq[b]), seq(k, cuK[b], nk[b]),
                        seq(v, cuK[b], nk[b]), ob.build());
                String what = backend + " sequence " + b + " " + opts;
                float[] wo = want.output().data();
                float[] wl = want.logSumExp().orElseThrow().data();
                for (int i = 0; i < nq[b]; i++) {
                    for (int h = 0; h < hq; h++) {
                        int row = (cuQ[b] + i) * hq + h;
                        float[] got = Arrays.copyOfRange(r.output().data(), row * (d + 2), (row + 1) * (d + 2));
                        float[] exp = Arrays.copyOfRange(wo, (h * nq[b] + i) * (d + 2), (h * nq[b] + i + 1) * (d + 2));
                        Ref.assertClose(exp, got, 1e-6, what + " row " + i + " head " + h);
                        assertEquals(wl[h * nq[b] + i], lse[row], 1e-6f, what + " lse row " + i + " head " + h);
                        sawEmptyRow |= lse[row] == Float.NEGATIVE_INFINITY;
                    }
                }
            }
            if (which != 2) {
                assertTrue(sawEmptyRow, "sequence 4 has no keys: its rows are empty");
            }
        }
    }

    @Test
    void eachSequenceUsesItsOwnDiagonal() {
        // Two sequences, causal bottom-right: sequence 0 (Nq=2, Nk=4) lets its first query see keys 0..2;
        // sequence 1 (Nq=3, Nk=1) lets only its last query see its single key.
        int d = 2;
        Tensor q = Ref.filled(0, 5, 1, d);
        Tensor k = Ref.filled(0, 5, 1, d);
        Tensor v = Tensor.zeros(5, 1, 1);
        for (int j = 0; j < 5; j++) {
            v.data()[j] = 1 << j;       // each key's value identifies it
        }
        try (AttentionEngine e = AttentionEngine.create(Backend.REFERENCE)) {
            AttentionResult r = e.attentionVarlen(q, k, v, new int[] {0, 2, 5}, new int[] {0, 4, 5},
                    AttentionOptions.builder().causal().returnLse(true).build());
            // Equal scores: the output is the mean of the visible keys' values.
            Ref.assertClose(new double[] {(1 + 2 + 4) / 3.0, (1 + 2 + 4 + 8) / 4.0, 0, 0, 16}, r.output().data(),
                    1e-6, "outputs");
            float[] lse = r.logSumExp().orElseThrow().data();
            assertEquals(Float.NEGATIVE_INFINITY, lse[2]);
            assertEquals(Float.NEGATIVE_INFINITY, lse[3]);
            assertEquals(0f, lse[4], 1e-6f);
        }
    }

    @Test
    void badOffsetsAndOptionsNameTheProblem() {
        Tensor q = Tensor.zeros(6, 2, 4);
        Tensor k = Tensor.zeros(8, 1, 4);
        Tensor v = Tensor.zeros(8, 1, 3);
        AttentionOptions none = AttentionOptions.DEFAULTS;
        try (AttentionEngine e = AttentionEngine.create(Backend.REFERENCE)) {
            bad(() -> e.attentionVarlen(q, k, v, new int[] {1, 6}, new int[] {0, 8}, none), "cuSeqlensQ[0] must be 0");
            bad(() -> e.attentionVarlen(q, k, v, new int[] {0, 4, 3, 6}, new int[] {0, 2, 5, 8}, none),
                    "must not decrease");
            bad(() -> e.attentionVarlen(q, k, v, new int[] {0, 5}, new int[] {0, 8}, none), "totalQ");
            bad(() -> e.attentionVarlen(q, k, v, new int[] {0, 6}, new int[] {0, 7}, none), "totalK");
            bad(() -> e.attentionVarlen(q, k, v, new int[] {0, 3, 6}, new int[] {0, 8}, none), "B+1");
            bad(() -> e.attentionVarlen(q, k, v, new int[] {0}, new int[] {0}, none), "B+1 >= 2");
            bad(() -> e.attentionVarlen(Tensor.zeros(1, 6, 2, 4), k, v, new int[] {0, 6}, new int[] {0, 8}, none),
                    "rank 3");
            bad(() -> e.attentionVarlen(q, k, Tensor.zeros(7, 1, 3), new int[] {0, 6}, new int[] {0, 8}, none),
                    "[totalK, Hkv, Dv]");
            bad(() -> e.attentionVarlen(Tensor.zeros(6, 3, 4), Tensor.zeros(8, 2, 4), Tensor.zeros(8, 2, 3),
                    new int[] {0, 6}, new int[] {0, 8}, none), "not a multiple");
            bad(() -> e.attentionVarlen(q, k, v, new int[] {0, 6}, new int[] {0, 8},
                    AttentionOptions.builder().kvLengths(3).build()), "kvLengths");
            bad(() -> e.attentionVarlen(q, k, v, new int[] {0, 6}, new int[] {0, 8},
                    AttentionOptions.builder().returnWeights(true).build()), "weights");
            bad(() -> e.attentionVarlen(q, k, v, new int[] {0, 6}, new int[] {0, 8},
                    AttentionOptions.builder().mask(AttentionMask.ofBoolean(new boolean[1], 1)).build()), "mask");
            bad(() -> e.attentionVarlen(q, k, v, new int[] {0, 6}, new int[] {0, 8}, AttentionOptions.builder()
                    .rope(new Rope(1e4, RopeStyle.HALF, new int[3], null)).build()), "totalQ=6");
        }
    }

    private static void bad(Executable call, String fragment) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, call);
        assertTrue(x.getMessage().contains(fragment), "message '" + x.getMessage() + "' lacks '" + fragment + "'");
        assertFalse(x.getMessage().isBlank());
    }

    static int[] offsets(int[] lengths) {
        int[] cu = new int[lengths.length + 1];
        for (int b = 0; b < lengths.length; b++) {
            cu[b + 1] = cu[b] + lengths[b];
        }
        return cu;
    }

    /** Rows {@code from..from+n-1} of a packed {@code [total, H, X]} tensor as {@code [1, H, n, X]}, by get/set. */
    static Tensor seq(Tensor packed, int from, int n) {
        int h = packed.dim(1), x = packed.dim(2);
        Tensor t = Tensor.zeros(1, h, n, x);
        for (int i = 0; i < n; i++) {
            for (int hh = 0; hh < h; hh++) {
                for (int c = 0; c < x; c++) {
                    t.set(packed.get(from + i, hh, c), 0, hh, i, c);
                }
            }
        }
        return t;
    }
}

package org.attention4j;

import static org.attention4j.Ref.assertClose;
import static org.attention4j.Ref.pattern;
import static org.attention4j.Ref.weightRow;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The semantics of the issue, pinned by cases small enough to compute by hand, run on the reference backend
 * (whose semantics are the spec).
 */
class ReferenceSemanticsTest {

    private static final double EPS = 1e-6;

    /** Zero queries/keys: every score is 0, so the weights are uniform over exactly the visible keys. */
    private static AttentionResult uniform(int b, int hq, int nq, int nk, AttentionOptions.Builder o) {
        return Ref.run(Tensor.zeros(b, hq, nq, 1), Tensor.zeros(b, hq, nk, 1), Tensor.zeros(b, hq, nk, 1), o);
    }

    @Test
    void softmaxOfThreeKnownScores() {
        // D = 1, q = 1, keys 0, 1, 2, scale 1: scores 0, 1, 2. V = identity so the output is the weights.
        Tensor q = Tensor.of(new float[] {1}, 1, 1, 1, 1);
        Tensor k = Tensor.of(new float[] {0, 1, 2}, 1, 1, 3, 1);
        Tensor v = Tensor.of(new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, 1, 1, 3, 3);
        AttentionResult r = Ref.run(q, k, v, AttentionOptions.builder().scale(1.0));
        double z = 1 + Math.E + Math.E * Math.E;
        double[] p = {1 / z, Math.E / z, Math.E * Math.E / z};
        assertClose(p, Ref.weights(r), EPS, "weights");
        assertClose(p, r.output().data(), EPS, "output");
        assertClose(new double[] {Math.log(z)}, Ref.lse(r), EPS, "lse");
        assertArrayEquals(new int[] {1, 1, 1, 3}, r.output().shape());
    }

    @Test
    void largeLogitsStayFinite() {
        // Scores 1000 and 999: exp overflows without max subtraction.
        Tensor q = Tensor.of(new float[] {1000}, 1, 1, 1, 1);
        Tensor k = Tensor.of(new float[] {1, 0.999f}, 1, 1, 2, 1);
        Tensor v = Tensor.of(new float[] {1, 0}, 1, 1, 2, 1);
        AttentionResult r = Ref.run(q, k, v, AttentionOptions.builder().scale(1.0));
        double s1 = 1000.0 * 0.999f;
        double[] p = Ref.softmax(1000, s1);
        assertClose(p, Ref.weights(r), EPS, "weights");
        assertClose(new double[] {1000 + Math.log(1 + Math.exp(s1 - 1000))}, Ref.lse(r), 1e-3, "lse");
    }

    @Test
    void defaultScaleIsOneOverSqrtDAndExplicitScaleReplacesIt() {
        // D = 4, q = k0 = (1,1,1,1), k1 = 0: q.k0 = 4, default scale 1/2 -> scores 2 and 0.
        Tensor q = Ref.filled(1, 1, 1, 1, 4);
        Tensor k = Tensor.of(new float[] {1, 1, 1, 1, 0, 0, 0, 0}, 1, 1, 2, 4);
        Tensor v = Tensor.of(new float[] {1, 0}, 1, 1, 2, 1);
        assertClose(Ref.softmax(2, 0), Ref.weights(Ref.run(q, k, v)), EPS, "default scale");
        assertClose(Ref.softmax(4 * 0.1, 0), Ref.weights(Ref.run(q, k, v, AttentionOptions.builder().scale(0.1))),
                EPS, "scale 0.1");
        assertClose(Ref.softmax(-4, 0), Ref.weights(Ref.run(q, k, v, AttentionOptions.builder().scale(-1))),
                EPS, "negative scale");
        assertClose(new double[] {0.5, 0.5}, Ref.weights(Ref.run(q, k, v, AttentionOptions.builder().scale(0))),
                EPS, "scale 0 is uniform");
    }

    @Test
    void groupedQueryHeadsReadKvHeadHOverGroup() {
        // Hq = 6, Hkv = 2: heads 0..2 read kv head 0, heads 3..5 read kv head 1. One key each: output = its value.
        Tensor q = Ref.random(1, 1, 6, 2, 3);
        Tensor k = Ref.random(2, 1, 2, 1, 3);
        Tensor v = Tensor.of(new float[] {10, 11, 20, 21}, 1, 2, 1, 2);
        AttentionResult r = Ref.run(q, k, v);
        float[] o = r.output().data();
        for (int h = 0; h < 6; h++) {
            float base = h < 3 ? 10 : 20;
            for (int i = 0; i < 2; i++) {
                assertEquals(base, o[(h * 2 + i) * 2], "head " + h + " query " + i);
                assertEquals(base + 1, o[(h * 2 + i) * 2 + 1], "head " + h + " query " + i);
            }
        }
        // With several keys: the same as multi-head attention over K/V repeated per group.
        Tensor k2 = Ref.random(3, 2, 2, 5, 4);
        Tensor v2 = Ref.random(4, 2, 2, 5, 3);
        Tensor q2 = Ref.random(5, 2, 6, 4, 4);
        AttentionResult gqa = Ref.run(q2, k2, v2);
        AttentionResult mha = Ref.run(q2, repeatHeads(k2, 3), repeatHeads(v2, 3));
        assertArrayEquals(mha.output().data(), gqa.output().data());
        assertArrayEquals(Ref.weights(mha), Ref.weights(gqa));
    }

    private static Tensor repeatHeads(Tensor t, int group) {
        int[] s = t.shape();
        Tensor out = Tensor.zeros(s[0], s[1] * group, s[2], s[3]);
        int block = s[2] * s[3];
        for (int b = 0; b < s[0]; b++) {
            for (int h = 0; h < s[1] * group; h++) {
                System.arraycopy(t.data(), (b * s[1] + h / group) * block, out.data(), (b * s[1] * group + h) * block,
                        block);
            }
        }
        return out;
    }

    @Test
    void causalBottomRightVersusTopLeftWithFewerQueriesThanKeys() {
        // Nq = 2, Nk = 4. Bottom-right: j <= i + 2 -> q0 sees {0,1,2}, q1 sees {0,1,2,3}.
        AttentionResult br = uniform(1, 1, 2, 4, AttentionOptions.builder().causal());
        assertEquals("1110", pattern(weightRow(br, 0)));
        assertEquals("1111", pattern(weightRow(br, 1)));
        assertClose(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0, 0}, weightRow(br, 0), EPS, "br row 0");
        assertClose(new double[] {0.25, 0.25, 0.25, 0.25}, weightRow(br, 1), EPS, "br row 1");
        // Top-left: j <= i -> q0 sees {0}, q1 sees {0,1}.
        AttentionResult tl = uniform(1, 1, 2, 4, AttentionOptions.builder().causal(Causal.TOP_LEFT));
        assertClose(new double[] {1, 0, 0, 0}, weightRow(tl, 0), EPS, "tl row 0");
        assertClose(new double[] {0.5, 0.5, 0, 0}, weightRow(tl, 1), EPS, "tl row 1");
        // Square: both alignments agree.
        AttentionResult a = uniform(1, 1, 3, 3, AttentionOptions.builder().causal());
        AttentionResult b = uniform(1, 1, 3, 3, AttentionOptions.builder().causal(Causal.TOP_LEFT));
        assertArrayEquals(Ref.weights(a), Ref.weights(b));
        assertEquals("100", pattern(weightRow(a, 0)));
        assertEquals("110", pattern(weightRow(a, 1)));
        assertEquals("111", pattern(weightRow(a, 2)));
    }

    @Test
    void causalBottomRightWithMoreQueriesThanKeysLeavesEmptyRows() {
        // Nq = 4, Nk = 2: j <= i - 2 -> q0, q1 see nothing; q2 sees {0}; q3 sees {0,1}.
        AttentionResult r = uniform(1, 1, 4, 2, AttentionOptions.builder().causal());
        assertEquals("00", pattern(weightRow(r, 0)));
        assertEquals("00", pattern(weightRow(r, 1)));
        assertEquals("10", pattern(weightRow(r, 2)));
        assertEquals("11", pattern(weightRow(r, 3)));
        float[] lse = Ref.lse(r);
        assertEquals(Float.NEGATIVE_INFINITY, lse[0]);
        assertEquals(Float.NEGATIVE_INFINITY, lse[1]);
        assertEquals(0f, lse[2], 1e-7, "log(1)");
        assertEquals((float) Math.log(2), lse[3], 1e-7);
    }

    @Test
    void kvLengthsMaskThePaddingPerBatch() {
        AttentionResult r = uniform(3, 1, 1, 4, AttentionOptions.builder().kvLengths(3, 1, 0));
        assertClose(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0, 0}, weightRow(r, 0), EPS, "batch 0");
        assertClose(new double[] {1, 0, 0, 0}, weightRow(r, 1), EPS, "batch 1");
        assertClose(new double[] {0, 0, 0, 0}, weightRow(r, 2), 0, "batch 2 (no key)");
        assertEquals(Float.NEGATIVE_INFINITY, Ref.lse(r)[2]);
        // Full length is the same as no lengths.
        assertArrayEquals(Ref.weights(uniform(1, 1, 2, 4, AttentionOptions.builder())),
                Ref.weights(uniform(1, 1, 2, 4, AttentionOptions.builder().kvLengths(4))));
    }

    @Test
    void slidingWindowOnTheAlignedDiagonal() {
        // Square 5 x 5, window (1, 0): i - 1 <= j <= i.
        AttentionResult r = uniform(1, 1, 5, 5, AttentionOptions.builder().window(1, 0));
        String[] expect = {"10000", "11000", "01100", "00110", "00011"};
        for (int i = 0; i < 5; i++) {
            assertEquals(expect[i], pattern(weightRow(r, i)), "window (1,0) row " + i);
        }
        // (-1, 1): unbounded left, one to the right.
        r = uniform(1, 1, 5, 5, AttentionOptions.builder().window(-1, 1));
        String[] e2 = {"11000", "11100", "11110", "11111", "11111"};
        for (int i = 0; i < 5; i++) {
            assertEquals(e2[i], pattern(weightRow(r, i)), "window (-1,1) row " + i);
        }
        // (0, 0): only the diagonal. (-1, -1): no window at all.
        r = uniform(1, 1, 3, 3, AttentionOptions.builder().window(0, 0));
        assertEquals("100", pattern(weightRow(r, 0)));
        assertEquals("010", pattern(weightRow(r, 1)));
        assertEquals("001", pattern(weightRow(r, 2)));
        r = uniform(1, 1, 3, 3, AttentionOptions.builder().window(-1, -1));
        assertEquals("111", pattern(weightRow(r, 0)));
        // Nq = 2, Nk = 4 (offset 2), window (1, 1): q0 sees 1..3, q1 sees 2..4 -> 2..3.
        r = uniform(1, 1, 2, 4, AttentionOptions.builder().window(1, 1));
        assertEquals("0111", pattern(weightRow(r, 0)));
        assertEquals("0011", pattern(weightRow(r, 1)));
        // Window and causal combine: (2, -1) with causal -> i - 2 <= j <= i.
        r = uniform(1, 1, 4, 4, AttentionOptions.builder().window(2, -1).causal());
        assertEquals("1000", pattern(weightRow(r, 0)));
        assertEquals("1110", pattern(weightRow(r, 2)));
        assertEquals("0111", pattern(weightRow(r, 3)));
    }

    @Test
    void booleanMaskBroadcastsFromEveryShape() {
        int b = 2, h = 2, nq = 2, nk = 3;
        // [Nk]: the same keys for everyone.
        AttentionResult r = uniform(b, h, nq, nk, AttentionOptions.builder()
                .mask(AttentionMask.ofBoolean(new boolean[] {true, false, true}, nk)));
        for (int row = 0; row < b * h * nq; row++) {
            assertEquals("101", pattern(weightRow(r, row)), "[Nk] row " + row);
        }
        // [Nq, Nk]: per query, shared by batch and heads.
        r = uniform(b, h, nq, nk, AttentionOptions.builder()
                .mask(AttentionMask.ofBoolean(new boolean[] {true, false, false, false, true, true}, nq, nk)));
        for (int row = 0; row < b * h * nq; row++) {
            assertEquals(row % 2 == 0 ? "100" : "011", pattern(weightRow(r, row)), "[Nq,Nk] row " + row);
        }
        // [B, 1, 1, Nk]: per batch (padding masks).
        r = uniform(b, h, nq, nk, AttentionOptions.builder()
                .mask(AttentionMask.ofBoolean(new boolean[] {true, true, false, false, false, true}, b, 1, 1, nk)));
        for (int row = 0; row < b * h * nq; row++) {
            assertEquals(row < h * nq ? "110" : "001", pattern(weightRow(r, row)), "[B,1,1,Nk] row " + row);
        }
        // [B, Hq, Nq, Nk]: every row its own; row index = ((b*H)+h)*Nq + i, key j visible when (row + j) % 3 != 0.
        boolean[] full = new boolean[b * h * nq * nk];
        for (int row = 0; row < b * h * nq; row++) {
            for (int j = 0; j < nk; j++) {
                full[row * nk + j] = (row + j) % 3 != 0;
            }
        }
        r = uniform(b, h, nq, nk, AttentionOptions.builder().mask(AttentionMask.ofBoolean(full, b, h, nq, nk)));
        for (int row = 0; row < b * h * nq; row++) {
            StringBuilder e = new StringBuilder();
            for (int j = 0; j < nk; j++) {
                e.append((row + j) % 3 != 0 ? '1' : '0');
            }
            assertEquals(e.toString(), pattern(weightRow(r, row)), "[B,Hq,Nq,Nk] row " + row);
        }
        // [Hq, 1, Nk] (rank 3): per head.
        r = uniform(b, h, nq, nk, AttentionOptions.builder()
                .mask(AttentionMask.ofBoolean(new boolean[] {true, false, false, false, false, true}, h, 1, nk)));
        for (int row = 0; row < b * h * nq; row++) {
            int head = (row / nq) % h;
            assertEquals(head == 0 ? "100" : "001", pattern(weightRow(r, row)), "[Hq,1,Nk] row " + row);
        }
    }

    @Test
    void floatMaskIsAddedAndMinusInfinityMasks() {
        // Zero scores plus [0, ln 2, -inf]: weights 1/3, 2/3, 0.
        AttentionResult r = uniform(1, 1, 2, 3, AttentionOptions.builder()
                .mask(AttentionMask.ofFloat(new float[] {0, (float) Math.log(2), Float.NEGATIVE_INFINITY}, 3)));
        for (int row = 0; row < 2; row++) {
            assertClose(new double[] {1 / 3.0, 2 / 3.0, 0}, weightRow(r, row), EPS, "row " + row);
        }
        assertClose(new double[] {Math.log(3), Math.log(3)}, Ref.lse(r), EPS, "lse = log(1 + 2)");
        // A row masked entirely by -inf is an empty row, not NaN.
        float ninf = Float.NEGATIVE_INFINITY;
        r = uniform(1, 1, 2, 2, AttentionOptions.builder()
                .mask(AttentionMask.ofFloat(new float[] {ninf, ninf, 0, 5}, 2, 2)));
        assertClose(new double[] {0, 0}, weightRow(r, 0), 0, "masked row");
        assertEquals(Float.NEGATIVE_INFINITY, Ref.lse(r)[0]);
        assertClose(Ref.softmax(0, 5), weightRow(r, 1), EPS, "row 1");
        // Float mask on top of real scores: shifts them.
        Tensor q = Tensor.of(new float[] {1}, 1, 1, 1, 1);
        Tensor k = Tensor.of(new float[] {1, 2}, 1, 1, 2, 1);
        Tensor v = Tensor.zeros(1, 1, 2, 1);
        r = Ref.run(q, k, v, AttentionOptions.builder().scale(1)
                .mask(AttentionMask.ofFloat(new float[] {0.5f, -3f}, 1, 1, 1, 2)));
        assertClose(Ref.softmax(1.5, -1), Ref.weights(r), EPS, "scores + mask");
    }

    @Test
    void alibiSlopesFollowThePaperForPowersOfTwoAndOthers() {
        float[] s8 = Alibi.slopes(8);
        for (int h = 0; h < 8; h++) {
            assertEquals(Math.pow(2, -(h + 1)), s8[h], 0, "8 heads, head " + h);
        }
        // 6 heads: the 4-head slopes 2^-2, 2^-4, 2^-6, 2^-8, then every other one of the 8-head slopes
        // (2^-1, 2^-3, ...) until there are 6.
        assertArrayEquals(new float[] {0.25f, 0.0625f, 0.015625f, 0.00390625f, 0.5f, 0.125f}, Alibi.slopes(6));
        // 12 heads: 2^-1..2^-8, then 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5 from the 16-head slopes.
        float[] s12 = Alibi.slopes(12);
        for (int h = 0; h < 8; h++) {
            assertEquals((float) Math.pow(2, -(h + 1)), s12[h], "12 heads, head " + h);
        }
        for (int h = 8; h < 12; h++) {
            assertEquals((float) Math.pow(2, -(0.5 + (h - 8))), s12[h], 1e-7, "12 heads, head " + h);
        }
        // 1 and 2 heads: 2^-8; 2^-4, 2^-8. 3 heads: 2^-4, 2^-8, then 2^-2.
        assertArrayEquals(new float[] {0.00390625f}, Alibi.slopes(1));
        assertArrayEquals(new float[] {0.0625f, 0.00390625f}, Alibi.slopes(2));
        assertArrayEquals(new float[] {0.0625f, 0.00390625f, 0.25f}, Alibi.slopes(3));
    }

    @Test
    void alibiBiasIsMinusSlopeTimesDistanceToTheAlignedDiagonal() {
        // Nq = 2, Nk = 4, offset 2, zero scores, slope 1: q0 bias -|2 - j| = -2,-1,0,-1; q1 -|3 - j| = -3,-2,-1,0.
        AttentionResult r = uniform(1, 1, 2, 4, AttentionOptions.builder().alibiSlopes(1f));
        assertClose(Ref.softmax(-2, -1, 0, -1), weightRow(r, 0), EPS, "row 0");
        assertClose(Ref.softmax(-3, -2, -1, 0), weightRow(r, 1), EPS, "row 1");
        // Default slopes per head: head 0 of 2 heads has slope 2^-4.
        r = uniform(1, 2, 1, 3, AttentionOptions.builder().alibi());
        assertClose(Ref.softmax(-2 / 16.0, -1 / 16.0, 0), weightRow(r, 0), EPS, "head 0");
        assertClose(Ref.softmax(-2 / 256.0, -1 / 256.0, 0), weightRow(r, 1), EPS, "head 1");
        // ALiBi is a bias, not a mask: with causal it is zero on the diagonal and the future stays hidden.
        r = uniform(1, 1, 3, 3, AttentionOptions.builder().alibiSlopes(0.5f).causal());
        assertClose(Ref.softmax(-1, -0.5, 0), weightRow(r, 2), EPS, "causal row 2");
        assertClose(new double[] {1, 0, 0}, weightRow(r, 0), EPS, "causal row 0");
    }

    @Test
    void ropeWithTwoDimsIsAPlainRotation() {
        // D = 2, theta_0 = 1: q = (1, 0) at position m becomes (cos m, sin m); k = (0, 1) at 0 stays. One key, so
        // lse = score = scale * q'.k = sin m (scale 1). The sign pins the direction of rotation.
        Tensor v = Tensor.zeros(1, 1, 1, 1);
        Tensor q = Tensor.of(new float[] {1, 0}, 1, 1, 1, 2);
        Tensor k = Tensor.of(new float[] {0, 1}, 1, 1, 1, 2);
        for (int m : new int[] {0, 1, 2, 5, -3}) {
            Rope rope = new Rope(10000, RopeStyle.HALF, new int[] {m}, new int[] {0});
            AttentionResult r = Ref.run(q, k, v, AttentionOptions.builder().scale(1).rope(rope));
            assertClose(new double[] {Math.sin(m)}, Ref.lse(r), EPS, "sin(" + m + ")");
        }
        // Both at the same position: the rotation cancels (q.k = 0 for these vectors; use q = k = (0.6, 0.8)).
        Tensor u = Tensor.of(new float[] {0.6f, 0.8f}, 1, 1, 1, 2);
        Rope same = new Rope(10000, RopeStyle.INTERLEAVED, new int[] {7}, new int[] {7});
        AttentionResult r = Ref.run(u, u, v, AttentionOptions.builder().scale(1).rope(same));
        assertClose(new double[] {1.0}, Ref.lse(r), EPS, "|u|^2");
        // Default positions with Nq = 1, Nk = 3: the query sits at 2, keys at 0, 1, 2.
        Tensor k3 = Tensor.of(new float[] {1, 0, 1, 0, 1, 0}, 1, 1, 3, 2);
        r = Ref.run(Tensor.of(new float[] {1, 0}, 1, 1, 1, 2), k3, Tensor.zeros(1, 1, 3, 1),
                AttentionOptions.builder().scale(1).rope(10000, RopeStyle.HALF));
        // score_j = cos((2 - j) * 1)
        assertClose(Ref.softmax(Math.cos(2), Math.cos(1), 1), Ref.weights(r), EPS, "default positions");
    }

    @Test
    void ropeHalfAndInterleavedPairDifferentElements() {
        // D = 4, base 100: theta_0 = 1, theta_1 = 100^(-1/2) = 0.1. q = (1, 2, 3, 4) at position 1; head c has one
        // key e_c at position 0 (unrotated), so lse[head c] = q'[c] with scale 1.
        Tensor q = Tensor.zeros(1, 4, 1, 4);
        Tensor k = Tensor.zeros(1, 4, 1, 4);
        for (int h = 0; h < 4; h++) {
            for (int c = 0; c < 4; c++) {
                q.set(c + 1, 0, h, 0, c);
            }
            k.set(1, 0, h, 0, h);
        }
        Tensor v = Tensor.zeros(1, 4, 1, 1);
        double c1 = Math.cos(1), s1 = Math.sin(1), c2 = Math.cos(0.1), s2 = Math.sin(0.1);
        // Half: pairs (0, 2) by angle 1 and (1, 3) by angle 0.1.
        double[] half = {1 * c1 - 3 * s1, 2 * c2 - 4 * s2, 3 * c1 + 1 * s1, 4 * c2 + 2 * s2};
        // Interleaved: pairs (0, 1) by angle 1 and (2, 3) by angle 0.1.
        double[] inter = {1 * c1 - 2 * s1, 2 * c1 + 1 * s1, 3 * c2 - 4 * s2, 4 * c2 + 3 * s2};
        for (RopeStyle style : RopeStyle.values()) {
            Rope rope = new Rope(100, style, new int[] {1}, new int[] {0});
            AttentionResult r = Ref.run(q, k, v, AttentionOptions.builder().scale(1).rope(rope));
            assertClose(style == RopeStyle.HALF ? half : inter, Ref.lse(r), 1e-5, style.toString());
        }
    }

    @Test
    void ropePositionsPerBatch() {
        // B * N positions: batch 0 query at 0, batch 1 query at 1; D = 2 as above -> sin(0), sin(1).
        Tensor q = Tensor.of(new float[] {1, 0, 1, 0}, 2, 1, 1, 2);
        Tensor k = Tensor.of(new float[] {0, 1, 0, 1}, 2, 1, 1, 2);
        Rope rope = new Rope(10000, RopeStyle.HALF, new int[] {0, 1}, new int[] {0, 0});
        AttentionResult r = Ref.run(q, k, Tensor.zeros(2, 1, 1, 1), AttentionOptions.builder().scale(1).rope(rope));
        assertClose(new double[] {0, Math.sin(1)}, Ref.lse(r), EPS, "per-batch positions");
    }

    @Test
    void emptyKeySetGivesZerosAndMinusInfinity() {
        AttentionResult r = Ref.run(Ref.random(1, 1, 2, 3, 4), Tensor.zeros(1, 2, 0, 4), Tensor.zeros(1, 2, 0, 5));
        assertArrayEquals(new int[] {1, 2, 3, 5}, r.output().shape());
        assertClose(new float[30], r.output().data(), 0, "output");
        for (float l : Ref.lse(r)) {
            assertEquals(Float.NEGATIVE_INFINITY, l);
        }
    }
}

package org.attention4j;

import static org.attention4j.Ref.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Properties that hold for any input, checked on the reference backend with random inputs. */
class ReferencePropertiesTest {

    private static final double TOL = 2e-6;

    @Test
    void rowsOfWeightsSumToOneUnderEveryMask() {
        int b = 2, hq = 4, hkv = 2, nq = 5, nk = 9, d = 6;
        Tensor q = Ref.random(11, b, hq, nq, d);
        Tensor k = Ref.random(12, b, hkv, nk, d);
        Tensor v = Ref.random(13, b, hkv, nk, 3);
        boolean[] pad = new boolean[nk];
        for (int j = 0; j < nk; j++) {
            pad[j] = j % 4 != 1;
        }
        List<AttentionOptions.Builder> variants = List.of(
                AttentionOptions.builder(),
                AttentionOptions.builder().causal(),
                AttentionOptions.builder().causal(Causal.TOP_LEFT).kvLengths(7, 9),
                AttentionOptions.builder().window(2, 1).alibi(),
                AttentionOptions.builder().mask(AttentionMask.ofBoolean(pad, nk)).rope(500, RopeStyle.INTERLEAVED),
                AttentionOptions.builder().mask(AttentionMask.ofFloat(Ref.random(14, nq, nk))).scale(3.0));
        for (int n = 0; n < variants.size(); n++) {
            AttentionResult r = Ref.run(q, k, v, variants.get(n));
            float[] w = Ref.weights(r);
            for (int row = 0; row < b * hq * nq; row++) {
                double sum = 0;
                for (int j = 0; j < nk; j++) {
                    float x = w[row * nk + j];
                    assertTrue(x >= 0 && x <= 1, "weight in [0, 1], variant " + n);
                    sum += x;
                }
                assertEquals(1.0, sum, 1e-6, "variant " + n + " row " + row);
            }
        }
    }

    @Test
    void ropeScoresDependOnlyOnRelativePosition() {
        int nq = 4, nk = 6, d = 8;
        Tensor q = Ref.random(21, 1, 2, nq, d);
        Tensor k = Ref.random(22, 1, 2, nk, d);
        Tensor v = Ref.random(23, 1, 2, nk, 5);
        for (RopeStyle style : RopeStyle.values()) {
            int[] qp = {2, 3, 4, 5};
            int[] kp = {0, 1, 2, 3, 4, 5};
            AttentionResult base = Ref.run(q, k, v, AttentionOptions.builder().rope(new Rope(10000, style, qp, kp)));
            // The default positions are exactly these (queries bottom-right).
            AttentionResult dflt = Ref.run(q, k, v, AttentionOptions.builder().rope(10000, style));
            assertClose(Ref.weights(base), Ref.weights(dflt), 0, style + " default positions");
            for (int shift : new int[] {1, 37, 1000}) {
                int[] qs = qp.clone(), ks = kp.clone();
                for (int i = 0; i < qs.length; i++) {
                    qs[i] += shift;
                }
                for (int j = 0; j < ks.length; j++) {
                    ks[j] += shift;
                }
                AttentionResult moved = Ref.run(q, k, v,
                        AttentionOptions.builder().rope(new Rope(10000, style, qs, ks)));
                assertClose(Ref.weights(base), Ref.weights(moved), 1e-5, style + " shift " + shift);
                assertClose(Ref.lse(base), Ref.lse(moved), 1e-5, style + " lse shift " + shift);
            }
            // A different relative offset changes the weights: the test can fail.
            int[] qo = qp.clone();
            qo[0] += 1;
            AttentionResult other = Ref.run(q, k, v, AttentionOptions.builder().rope(new Rope(10000, style, qo, kp)));
            assertTrue(Math.abs(Ref.weights(other)[0] - Ref.weights(base)[0]) > 1e-4, "relative offset matters");
        }
    }

    @Test
    void maskingAKeyEqualsRemovingIt() {
        int b = 2, h = 3, nq = 4, nk = 7, d = 5, drop = 2;
        Tensor q = Ref.random(31, b, h, nq, d);
        Tensor k = Ref.random(32, b, h, nk, d);
        Tensor v = Ref.random(33, b, h, nk, 4);
        boolean[] keep = new boolean[nk];
        java.util.Arrays.fill(keep, true);
        keep[drop] = false;
        AttentionResult masked = Ref.run(q, k, v, AttentionOptions.builder().mask(AttentionMask.ofBoolean(keep, nk)));
        AttentionResult removed = Ref.run(q, Ref.dropKey(k, drop), Ref.dropKey(v, drop));
        assertClose(removed.output().data(), masked.output().data(), TOL, "output");
        assertClose(Ref.lse(removed), Ref.lse(masked), TOL, "lse");
        // The same through a -inf float mask, and the tail through kvLengths.
        float[] bias = new float[nk];
        bias[drop] = Float.NEGATIVE_INFINITY;
        AttentionResult fm = Ref.run(q, k, v, AttentionOptions.builder().mask(AttentionMask.ofFloat(bias, nk)));
        assertClose(removed.output().data(), fm.output().data(), TOL, "float -inf mask");
        AttentionResult len = Ref.run(q, k, v, AttentionOptions.builder().kvLengths(5, 5));
        AttentionResult cut = Ref.run(q, Ref.sliceKeys(k, 0, 5), Ref.sliceKeys(v, 0, 5));
        assertClose(cut.output().data(), len.output().data(), TOL, "kvLengths");
    }

    @Test
    void lseMergesTwoKeyShardsIntoTheWhole() {
        int b = 2, h = 2, nq = 5, nk = 11, d = 8, dv = 3;
        Tensor q = Ref.random(41, b, h, nq, d);
        Tensor k = Ref.random(42, b, h, nk, d);
        Tensor v = Ref.random(43, b, h, nk, dv);
        for (int s : new int[] {1, 4, 10}) {
            AttentionResult whole = Ref.run(q, k, v);
            AttentionResult r1 = Ref.run(q, Ref.sliceKeys(k, 0, s), Ref.sliceKeys(v, 0, s));
            AttentionResult r2 = Ref.run(q, Ref.sliceKeys(k, s, nk), Ref.sliceKeys(v, s, nk));
            float[] l1 = Ref.lse(r1), l2 = Ref.lse(r2), o1 = r1.output().data(), o2 = r2.output().data();
            double[] merged = new double[o1.length];
            double[] lse = new double[l1.length];
            for (int row = 0; row < l1.length; row++) {
                double m = Math.max(l1[row], l2[row]);
                double e1 = Math.exp(l1[row] - m), e2 = Math.exp(l2[row] - m);
                lse[row] = m + Math.log(e1 + e2);
                for (int c = 0; c < dv; c++) {
                    merged[row * dv + c] = (e1 * o1[row * dv + c] + e2 * o2[row * dv + c]) / (e1 + e2);
                }
            }
            assertClose(merged, whole.output().data(), TOL, "merged output, split " + s);
            assertClose(lse, Ref.lse(whole), TOL, "merged lse, split " + s);
        }
    }

    @Test
    void fullyMaskedRowsGiveZeroOutputZeroWeightsAndMinusInfinity() {
        Tensor q = Ref.random(51, 1, 2, 3, 4);
        Tensor k = Ref.random(52, 1, 2, 3, 4);
        Tensor v = Ref.random(53, 1, 2, 3, 2);
        List<AttentionOptions.Builder> allMasked = List.of(
                AttentionOptions.builder().mask(AttentionMask.ofBoolean(new boolean[3], 3)),
                AttentionOptions.builder().kvLengths(0),
                AttentionOptions.builder().mask(AttentionMask.ofFloat(Ref.filled(Float.NEGATIVE_INFINITY, 3, 3))),
                AttentionOptions.builder().window(0, 0).mask(AttentionMask.ofFloat(new float[] {
                    Float.NEGATIVE_INFINITY, 0, 0, 0, Float.NEGATIVE_INFINITY, 0, 0, 0, Float.NEGATIVE_INFINITY}, 3, 3)));
        for (int n = 0; n < allMasked.size(); n++) {
            AttentionResult r = Ref.run(q, k, v, allMasked.get(n));
            for (float x : r.output().data()) {
                assertEquals(0f, x, "output, variant " + n);
            }
            for (float x : Ref.weights(r)) {
                assertEquals(0f, x, "weights, variant " + n);
            }
            for (float x : Ref.lse(r)) {
                assertEquals(Float.NEGATIVE_INFINITY, x, "lse, variant " + n);
            }
        }
    }

    @Test
    void nanInOneKeyRowPoisonsOnlyTheRowsThatSeeIt() {
        int n = 5, d = 4, bad = 3;
        Tensor q = Ref.random(61, 1, 1, n, d);
        Tensor k = Ref.random(62, 1, 1, n, d);
        Tensor v = Ref.random(63, 1, 1, n, 2);
        k.set(Float.NaN, 0, 0, bad, 1);
        // Causal: queries before the bad key never see it.
        AttentionResult r = Ref.run(q, k, v, AttentionOptions.builder().causal());
        float[] o = r.output().data();
        for (int i = 0; i < n; i++) {
            boolean sees = i >= bad;
            for (int c = 0; c < 2; c++) {
                assertEquals(sees, Float.isNaN(o[i * 2 + c]), "query " + i + " output");
            }
            assertEquals(sees, Float.isNaN(Ref.lse(r)[i]), "query " + i + " lse");
        }
        // Masked out by a boolean mask or by kvLengths: nobody sees it, nothing is NaN.
        boolean[] keep = {true, true, true, false, true};
        for (AttentionOptions.Builder o2 : List.of(
                AttentionOptions.builder().mask(AttentionMask.ofBoolean(keep, n)),
                AttentionOptions.builder().kvLengths(bad))) {
            AttentionResult m = Ref.run(q, k, v, o2);
            for (float x : m.output().data()) {
                assertFalse(Float.isNaN(x), "masked NaN key must not leak");
            }
        }
        // NaN in V poisons the output of rows that see it but not their weights.
        Tensor v2 = v.copy();
        v2.set(Float.NaN, 0, 0, bad, 0);
        AttentionResult rv = Ref.run(q, Ref.random(62, 1, 1, n, d), v2, AttentionOptions.builder().causal());
        for (int i = 0; i < n; i++) {
            assertEquals(i >= bad, Float.isNaN(rv.output().data()[i * 2]), "V NaN, query " + i);
            assertFalse(Float.isNaN(rv.output().data()[i * 2 + 1]), "other value column stays finite");
            assertFalse(Float.isNaN(Ref.lse(rv)[i]), "scores are finite");
        }
    }

    @Test
    void resultShapesFollowTheInputs() {
        AttentionResult r = Ref.run(Ref.random(71, 2, 6, 3, 5), Ref.random(72, 2, 3, 7, 5), Ref.random(73, 2, 3, 7, 4));
        assertEquals("[2, 6, 3, 4]", Tensor.shapeString(r.output().shape()));
        assertEquals("[2, 6, 3, 7]", Tensor.shapeString(r.weights().orElseThrow().shape()));
        assertEquals("[2, 6, 3]", Tensor.shapeString(r.logSumExp().orElseThrow().shape()));
        assertEquals(Backend.REFERENCE, r.backend());
        try (AttentionEngine e = AttentionEngine.create(Backend.REFERENCE)) {
            AttentionResult plain = e.attention(Ref.random(1, 1, 1, 1, 2), Ref.random(2, 1, 1, 1, 2),
                    Ref.random(3, 1, 1, 1, 2));
            assertTrue(plain.weights().isEmpty() && plain.logSumExp().isEmpty(), "optional outputs only on request");
        }
    }
}

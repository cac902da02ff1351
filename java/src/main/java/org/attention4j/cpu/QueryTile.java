package org.attention4j.cpu;

import java.util.Arrays;

/**
 * One unit of parallel work: query rows {@code [i0, i1)} of one (batch, query head), against the key/value layout
 * of its kv head. FlashAttention's forward pass on the CPU: for each key tile {@code Kj} of {@code Bc} keys and
 * each query row, the scores {@code S = Qi Kj^T} (in base-2 units), the running max {@code m} and sum {@code l},
 * a rescale of the accumulator when {@code m} grows, and {@code O += P Vj}. Tiles that a row cannot see (causal,
 * window, key lengths) are skipped. With weights asked for, a second pass recomputes each tile's scores and
 * writes {@code 2^(s - m) / l}, so no {@code Nq x Nk} buffer exists otherwise.
 */
final class QueryTile {
    private QueryTile() {
    }

    static void run(CallState cs, KvLayout kv, int b, int h, int i0, int i1) {
        int rows = i1 - i0;
        int d = cs.d;
        int dv = cs.dv;
        int bc = cs.bc;
        int heads = cs.heads;
        float[] q = cs.p.q().data();

        // Qi, rotated when asked and scaled by scale*log2(e) so that the scores come out in base 2.
        float[] qt = new float[rows * d];
        double[] scratch = new double[d];
        for (int r = 0; r < rows; r++) {
            int src = ((b * heads + h) * cs.nq + i0 + r) * d;
            if (cs.rope != null) {
                cs.rope.rotate(q, src, cs.p.queryPosition(b, i0 + r), cs.qScale, qt, r * d, scratch);
            } else {
                for (int c = 0; c < d; c++) {
                    qt[r * d + c] = (float) (q[src + c] * cs.qScale);
                }
            }
        }

        int[] lo = new int[rows];
        int[] hi = new int[rows];
        int tileLo = Integer.MAX_VALUE;
        int tileHi = 0;
        for (int r = 0; r < rows; r++) {
            lo[r] = cs.lo(i0 + r);
            hi[r] = cs.hi(b, i0 + r);
            if (lo[r] < hi[r]) {
                tileLo = Math.min(tileLo, lo[r] / bc);
                tileHi = Math.max(tileHi, (hi[r] - 1) / bc + 1);
            }
        }

        float[] m = new float[rows];
        float[] l = new float[rows];
        boolean[] poisoned = new boolean[rows];
        float[][] o = new float[rows][dv];
        Arrays.fill(m, Float.NEGATIVE_INFINITY);
        float[] s = new float[bc];
        float[] e = new float[bc];
        boolean rules = cs.hasElementRules();

        for (int t = tileLo; t < tileHi; t++) {
            int j0 = t * bc;
            float[][] kt = kv.kt[t];
            for (int r = 0; r < rows; r++) {
                int a = Math.max(lo[r] - j0, 0);
                int z = Math.min(hi[r] - j0, bc);
                if (poisoned[r] || a >= z) {
                    continue;
                }
                Kernels.scores(qt, r * d, kt, s, bc, d);
                if (rules) {
                    cs.applyElementRules(s, a, z, b, h, i0 + r, j0);
                }
                float tileMax = Kernels.max(s, a, z);
                if (tileMax == Float.NEGATIVE_INFINITY) {
                    continue;
                }
                if (!(tileMax < Float.POSITIVE_INFINITY)) {
                    // NaN or +inf among the visible scores: the whole row is NaN, as in exact arithmetic.
                    poisoned[r] = true;
                    continue;
                }
                Arrays.fill(s, 0, a, Float.NEGATIVE_INFINITY);
                Arrays.fill(s, z, bc, Float.NEGATIVE_INFINITY);
                float mOld = m[r];
                float mNew = Math.max(mOld, tileMax);
                FastExp.exp2Shifted(s, e, bc, mNew);
                float rowSum = Kernels.sum(s, a, z);
                if (mNew != mOld) {
                    float alpha = mOld == Float.NEGATIVE_INFINITY ? 0f : FastExp.exp2(mOld - mNew);
                    l[r] *= alpha;
                    Kernels.scale(o[r], dv, alpha);
                    m[r] = mNew;
                }
                l[r] += rowSum;
                if (kv.valuesNonFinite) {
                    Kernels.accumulateSkippingZeros(s, a, z, kv.v, j0, o[r], dv);
                } else {
                    Kernels.accumulate(s, a, z, kv.v, j0, o[r], dv);
                }
            }
        }

        for (int r = 0; r < rows; r++) {
            int row = (b * heads + h) * cs.nq + i0 + r;
            int ob = row * dv;
            float lse;
            if (poisoned[r]) {
                Arrays.fill(cs.out, ob, ob + dv, Float.NaN);
                lse = Float.NaN;
            } else if (m[r] == Float.NEGATIVE_INFINITY) {
                lse = Float.NEGATIVE_INFINITY;   // no visible key: output stays 0
            } else {
                float inv = 1f / l[r];
                for (int c = 0; c < dv; c++) {
                    cs.out[ob + c] = o[r][c] * inv;
                }
                lse = (float) (m[r] / CallState.LOG2E + Math.log(l[r]));
            }
            if (cs.lse != null) {
                cs.lse[row] = lse;
            }
        }

        if (cs.weights != null) {
            writeWeights(cs, kv, b, h, i0, rows, qt, lo, hi, tileLo, tileHi, m, l, poisoned, s, e);
        }
    }

    private static void writeWeights(CallState cs, KvLayout kv, int b, int h, int i0, int rows, float[] qt, int[] lo,
            int[] hi, int tileLo, int tileHi, float[] m, float[] l, boolean[] poisoned, float[] s, float[] e) {
        int bc = cs.bc;
        int d = cs.d;
        boolean rules = cs.hasElementRules();
        for (int t = tileLo; t < tileHi; t++) {
            int j0 = t * bc;
            for (int r = 0; r < rows; r++) {
                int a = Math.max(lo[r] - j0, 0);
                int z = Math.min(hi[r] - j0, bc);
                if (a >= z || (m[r] == Float.NEGATIVE_INFINITY && !poisoned[r])) {
                    continue;
                }
                Kernels.scores(qt, r * d, kv.kt[t], s, bc, d);
                if (rules) {
                    cs.applyElementRules(s, a, z, b, h, i0 + r, j0);
                }
                int wb = ((b * cs.heads + h) * cs.nq + i0 + r) * cs.nk + j0;
                if (poisoned[r]) {
                    for (int jj = a; jj < z; jj++) {
                        cs.weights[wb + jj] = s[jj] == Float.NEGATIVE_INFINITY ? 0f : Float.NaN;
                    }
                    continue;
                }
                Arrays.fill(s, 0, a, Float.NEGATIVE_INFINITY);
                Arrays.fill(s, z, bc, Float.NEGATIVE_INFINITY);
                FastExp.exp2Shifted(s, e, bc, m[r]);
                Kernels.scale(s, bc, 1f / l[r]);
                System.arraycopy(s, a, cs.weights, wb + a, z - a);
            }
        }
    }
}

package org.attention4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The few-row kernels of {@link VectorTileOps}: with vectors along the head dim instead of along the rows, for
 * tiles of at most {@link #MAX_ROWS} rows (decoding: one or a few new queries per head, the grouped-query heads of
 * a group packed together), where rows along the lanes would leave most lanes idle. The queries and the
 * accumulator are row-major ({@code q[r * D + c]}, {@code o[r * Dv + c]}); K and V are read in place, each key's
 * row once per tile for all rows. Scores still land in the key-major {@code p[jj][r]} tile, so masks and the
 * online softmax are shared with the other kernels.
 */
final class VectorRowKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Tiles of up to this many rows take these kernels. */
    static final int MAX_ROWS = 8;

    private VectorRowKernels() {
    }

    /** {@code p[jj][r] = q[r, :] . k[ko[jj], :]} for {@code r < rows}, {@code jj < cnt}. */
    static void scores(float[] q, int rows, float[] k, int[] ko, int cnt, int d, float[][] p) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            scoresByRow4(q, r, k, ko, cnt, d, p);
        }
        for (; r + 2 <= rows; r += 2) {
            scoresByRow2(q, r, k, ko, cnt, d, p);
        }
        for (; r < rows; r++) {
            scoresByRow1(q, r, k, ko, cnt, d, p);
        }
    }

    /** {@code o[r, c] += sum_x p[keys[x]][r] * v[vo[x] + c]} for {@code r < rows}, {@code c < dv}. */
    static void accumulate(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o, int rows, int dv) {
        if (count == 0) {
            return;
        }
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            accumulateByRow4(p, keys, vo, count, v, o, r, dv);
        }
        for (; r + 2 <= rows; r += 2) {
            accumulateByRow2(p, keys, vo, count, v, o, r, dv);
        }
        for (; r < rows; r++) {
            accumulateByRow1(p, keys, vo, count, v, o, r, dv);
        }
    }

    private static void scoresByRow4(float[] q, int r0, float[] k, int[] ko, int cnt, int d, float[][] p) {
        int full = d - d % L;
        int qb0 = (r0 + 0) * d;
        int qb1 = (r0 + 1) * d;
        int qb2 = (r0 + 2) * d;
        int qb3 = (r0 + 3) * d;
        for (int jj = 0; jj < cnt; jj++) {
            int o = ko[jj];
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            for (int c = 0; c < full; c += L) {
                FloatVector w = FloatVector.fromArray(S, k, o + c);
                a0 = FloatVector.fromArray(S, q, qb0 + c).fma(w, a0);
                a1 = FloatVector.fromArray(S, q, qb1 + c).fma(w, a1);
                a2 = FloatVector.fromArray(S, q, qb2 + c).fma(w, a2);
                a3 = FloatVector.fromArray(S, q, qb3 + c).fma(w, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (int c = full; c < d; c++) {
                float w = k[o + c];
                s0 = Math.fma(q[qb0 + c], w, s0);
                s1 = Math.fma(q[qb1 + c], w, s1);
                s2 = Math.fma(q[qb2 + c], w, s2);
                s3 = Math.fma(q[qb3 + c], w, s3);
            }
            float[] pj = p[jj];
            pj[r0 + 0] = s0;
            pj[r0 + 1] = s1;
            pj[r0 + 2] = s2;
            pj[r0 + 3] = s3;
        }
    }

    private static void scoresByRow2(float[] q, int r0, float[] k, int[] ko, int cnt, int d, float[][] p) {
        int full = d - d % L;
        int qb0 = (r0 + 0) * d;
        int qb1 = (r0 + 1) * d;
        for (int jj = 0; jj < cnt; jj++) {
            int o = ko[jj];
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            for (int c = 0; c < full; c += L) {
                FloatVector w = FloatVector.fromArray(S, k, o + c);
                a0 = FloatVector.fromArray(S, q, qb0 + c).fma(w, a0);
                a1 = FloatVector.fromArray(S, q, qb1 + c).fma(w, a1);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            for (int c = full; c < d; c++) {
                float w = k[o + c];
                s0 = Math.fma(q[qb0 + c], w, s0);
                s1 = Math.fma(q[qb1 + c], w, s1);
            }
            float[] pj = p[jj];
            pj[r0 + 0] = s0;
            pj[r0 + 1] = s1;
        }
    }

    private static void scoresByRow1(float[] q, int r0, float[] k, int[] ko, int cnt, int d, float[][] p) {
        int full = d - d % L;
        int qb0 = (r0 + 0) * d;
        for (int jj = 0; jj < cnt; jj++) {
            int o = ko[jj];
            FloatVector a0 = FloatVector.zero(S);
            for (int c = 0; c < full; c += L) {
                FloatVector w = FloatVector.fromArray(S, k, o + c);
                a0 = FloatVector.fromArray(S, q, qb0 + c).fma(w, a0);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            for (int c = full; c < d; c++) {
                float w = k[o + c];
                s0 = Math.fma(q[qb0 + c], w, s0);
            }
            float[] pj = p[jj];
            pj[r0 + 0] = s0;
        }
    }

    private static void accumulateByRow4(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o,
            int r0, int dv) {
        int c = 0;
        int ob0 = (r0 + 0) * dv;
        int ob1 = (r0 + 1) * dv;
        int ob2 = (r0 + 2) * dv;
        int ob3 = (r0 + 3) * dv;
        for (; c + 4 * L <= dv; c += 4 * L) {
            FloatVector a00 = FloatVector.fromArray(S, o, ob0 + c + 0 * L);
            FloatVector a01 = FloatVector.fromArray(S, o, ob0 + c + 1 * L);
            FloatVector a02 = FloatVector.fromArray(S, o, ob0 + c + 2 * L);
            FloatVector a03 = FloatVector.fromArray(S, o, ob0 + c + 3 * L);
            FloatVector a10 = FloatVector.fromArray(S, o, ob1 + c + 0 * L);
            FloatVector a11 = FloatVector.fromArray(S, o, ob1 + c + 1 * L);
            FloatVector a12 = FloatVector.fromArray(S, o, ob1 + c + 2 * L);
            FloatVector a13 = FloatVector.fromArray(S, o, ob1 + c + 3 * L);
            FloatVector a20 = FloatVector.fromArray(S, o, ob2 + c + 0 * L);
            FloatVector a21 = FloatVector.fromArray(S, o, ob2 + c + 1 * L);
            FloatVector a22 = FloatVector.fromArray(S, o, ob2 + c + 2 * L);
            FloatVector a23 = FloatVector.fromArray(S, o, ob2 + c + 3 * L);
            FloatVector a30 = FloatVector.fromArray(S, o, ob3 + c + 0 * L);
            FloatVector a31 = FloatVector.fromArray(S, o, ob3 + c + 1 * L);
            FloatVector a32 = FloatVector.fromArray(S, o, ob3 + c + 2 * L);
            FloatVector a33 = FloatVector.fromArray(S, o, ob3 + c + 3 * L);
            for (int x = 0; x < count; x++) {
                float[] px = p[keys[x]];
                int vb = vo[x] + c;
                FloatVector w0 = FloatVector.fromArray(S, v, vb + 0 * L);
                FloatVector w1 = FloatVector.fromArray(S, v, vb + 1 * L);
                FloatVector w2 = FloatVector.fromArray(S, v, vb + 2 * L);
                FloatVector w3 = FloatVector.fromArray(S, v, vb + 3 * L);
                FloatVector e0 = FloatVector.broadcast(S, px[r0 + 0]);
                a00 = w0.fma(e0, a00);
                a01 = w1.fma(e0, a01);
                a02 = w2.fma(e0, a02);
                a03 = w3.fma(e0, a03);
                FloatVector e1 = FloatVector.broadcast(S, px[r0 + 1]);
                a10 = w0.fma(e1, a10);
                a11 = w1.fma(e1, a11);
                a12 = w2.fma(e1, a12);
                a13 = w3.fma(e1, a13);
                FloatVector e2 = FloatVector.broadcast(S, px[r0 + 2]);
                a20 = w0.fma(e2, a20);
                a21 = w1.fma(e2, a21);
                a22 = w2.fma(e2, a22);
                a23 = w3.fma(e2, a23);
                FloatVector e3 = FloatVector.broadcast(S, px[r0 + 3]);
                a30 = w0.fma(e3, a30);
                a31 = w1.fma(e3, a31);
                a32 = w2.fma(e3, a32);
                a33 = w3.fma(e3, a33);
            }
            a00.intoArray(o, ob0 + c + 0 * L);
            a01.intoArray(o, ob0 + c + 1 * L);
            a02.intoArray(o, ob0 + c + 2 * L);
            a03.intoArray(o, ob0 + c + 3 * L);
            a10.intoArray(o, ob1 + c + 0 * L);
            a11.intoArray(o, ob1 + c + 1 * L);
            a12.intoArray(o, ob1 + c + 2 * L);
            a13.intoArray(o, ob1 + c + 3 * L);
            a20.intoArray(o, ob2 + c + 0 * L);
            a21.intoArray(o, ob2 + c + 1 * L);
            a22.intoArray(o, ob2 + c + 2 * L);
            a23.intoArray(o, ob2 + c + 3 * L);
            a30.intoArray(o, ob3 + c + 0 * L);
            a31.intoArray(o, ob3 + c + 1 * L);
            a32.intoArray(o, ob3 + c + 2 * L);
            a33.intoArray(o, ob3 + c + 3 * L);
        }
        for (; c + L <= dv; c += L) {
            FloatVector a0 = FloatVector.fromArray(S, o, ob0 + c);
            FloatVector a1 = FloatVector.fromArray(S, o, ob1 + c);
            FloatVector a2 = FloatVector.fromArray(S, o, ob2 + c);
            FloatVector a3 = FloatVector.fromArray(S, o, ob3 + c);
            for (int x = 0; x < count; x++) {
                float[] px = p[keys[x]];
                FloatVector w = FloatVector.fromArray(S, v, vo[x] + c);
                a0 = w.fma(FloatVector.broadcast(S, px[r0 + 0]), a0);
                a1 = w.fma(FloatVector.broadcast(S, px[r0 + 1]), a1);
                a2 = w.fma(FloatVector.broadcast(S, px[r0 + 2]), a2);
                a3 = w.fma(FloatVector.broadcast(S, px[r0 + 3]), a3);
            }
            a0.intoArray(o, ob0 + c);
            a1.intoArray(o, ob1 + c);
            a2.intoArray(o, ob2 + c);
            a3.intoArray(o, ob3 + c);
        }
        for (; c < dv; c++) {
            float t0 = o[ob0 + c];
            float t1 = o[ob1 + c];
            float t2 = o[ob2 + c];
            float t3 = o[ob3 + c];
            for (int x = 0; x < count; x++) {
                float[] px = p[keys[x]];
                float w = v[vo[x] + c];
                t0 = Math.fma(px[r0 + 0], w, t0);
                t1 = Math.fma(px[r0 + 1], w, t1);
                t2 = Math.fma(px[r0 + 2], w, t2);
                t3 = Math.fma(px[r0 + 3], w, t3);
            }
            o[ob0 + c] = t0;
            o[ob1 + c] = t1;
            o[ob2 + c] = t2;
            o[ob3 + c] = t3;
        }
    }

    private static void accumulateByRow2(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o,
            int r0, int dv) {
        int c = 0;
        int ob0 = (r0 + 0) * dv;
        int ob1 = (r0 + 1) * dv;
        for (; c + 4 * L <= dv; c += 4 * L) {
            FloatVector a00 = FloatVector.fromArray(S, o, ob0 + c + 0 * L);
            FloatVector a01 = FloatVector.fromArray(S, o, ob0 + c + 1 * L);
            FloatVector a02 = FloatVector.fromArray(S, o, ob0 + c + 2 * L);
            FloatVector a03 = FloatVector.fromArray(S, o, ob0 + c + 3 * L);
            FloatVector a10 = FloatVector.fromArray(S, o, ob1 + c + 0 * L);
            FloatVector a11 = FloatVector.fromArray(S, o, ob1 + c + 1 * L);
            FloatVector a12 = FloatVector.fromArray(S, o, ob1 + c + 2 * L);
            FloatVector a13 = FloatVector.fromArray(S, o, ob1 + c + 3 * L);
            for (int x = 0; x < count; x++) {
                float[] px = p[keys[x]];
                int vb = vo[x] + c;
                FloatVector w0 = FloatVector.fromArray(S, v, vb + 0 * L);
                FloatVector w1 = FloatVector.fromArray(S, v, vb + 1 * L);
                FloatVector w2 = FloatVector.fromArray(S, v, vb + 2 * L);
                FloatVector w3 = FloatVector.fromArray(S, v, vb + 3 * L);
                FloatVector e0 = FloatVector.broadcast(S, px[r0 + 0]);
                a00 = w0.fma(e0, a00);
                a01 = w1.fma(e0, a01);
                a02 = w2.fma(e0, a02);
                a03 = w3.fma(e0, a03);
                FloatVector e1 = FloatVector.broadcast(S, px[r0 + 1]);
                a10 = w0.fma(e1, a10);
                a11 = w1.fma(e1, a11);
                a12 = w2.fma(e1, a12);
                a13 = w3.fma(e1, a13);
            }
            a00.intoArray(o, ob0 + c + 0 * L);
            a01.intoArray(o, ob0 + c + 1 * L);
            a02.intoArray(o, ob0 + c + 2 * L);
            a03.intoArray(o, ob0 + c + 3 * L);
            a10.intoArray(o, ob1 + c + 0 * L);
            a11.intoArray(o, ob1 + c + 1 * L);
            a12.intoArray(o, ob1 + c + 2 * L);
            a13.intoArray(o, ob1 + c + 3 * L);
        }
        for (; c + L <= dv; c += L) {
            FloatVector a0 = FloatVector.fromArray(S, o, ob0 + c);
            FloatVector a1 = FloatVector.fromArray(S, o, ob1 + c);
            for (int x = 0; x < count; x++) {
                float[] px = p[keys[x]];
                FloatVector w = FloatVector.fromArray(S, v, vo[x] + c);
                a0 = w.fma(FloatVector.broadcast(S, px[r0 + 0]), a0);
                a1 = w.fma(FloatVector.broadcast(S, px[r0 + 1]), a1);
            }
            a0.intoArray(o, ob0 + c);
            a1.intoArray(o, ob1 + c);
        }
        for (; c < dv; c++) {
            float t0 = o[ob0 + c];
            float t1 = o[ob1 + c];
            for (int x = 0; x < count; x++) {
                float[] px = p[keys[x]];
                float w = v[vo[x] + c];
                t0 = Math.fma(px[r0 + 0], w, t0);
                t1 = Math.fma(px[r0 + 1], w, t1);
            }
            o[ob0 + c] = t0;
            o[ob1 + c] = t1;
        }
    }

    private static void accumulateByRow1(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o,
            int r0, int dv) {
        int c = 0;
        int ob0 = (r0 + 0) * dv;
        for (; c + 4 * L <= dv; c += 4 * L) {
            FloatVector a00 = FloatVector.fromArray(S, o, ob0 + c + 0 * L);
            FloatVector a01 = FloatVector.fromArray(S, o, ob0 + c + 1 * L);
            FloatVector a02 = FloatVector.fromArray(S, o, ob0 + c + 2 * L);
            FloatVector a03 = FloatVector.fromArray(S, o, ob0 + c + 3 * L);
            for (int x = 0; x < count; x++) {
                float[] px = p[keys[x]];
                int vb = vo[x] + c;
                FloatVector w0 = FloatVector.fromArray(S, v, vb + 0 * L);
                FloatVector w1 = FloatVector.fromArray(S, v, vb + 1 * L);
                FloatVector w2 = FloatVector.fromArray(S, v, vb + 2 * L);
                FloatVector w3 = FloatVector.fromArray(S, v, vb + 3 * L);
                FloatVector e0 = FloatVector.broadcast(S, px[r0 + 0]);
                a00 = w0.fma(e0, a00);
                a01 = w1.fma(e0, a01);
                a02 = w2.fma(e0, a02);
                a03 = w3.fma(e0, a03);
            }
            a00.intoArray(o, ob0 + c + 0 * L);
            a01.intoArray(o, ob0 + c + 1 * L);
            a02.intoArray(o, ob0 + c + 2 * L);
            a03.intoArray(o, ob0 + c + 3 * L);
        }
        for (; c + L <= dv; c += L) {
            FloatVector a0 = FloatVector.fromArray(S, o, ob0 + c);
            for (int x = 0; x < count; x++) {
                float[] px = p[keys[x]];
                FloatVector w = FloatVector.fromArray(S, v, vo[x] + c);
                a0 = w.fma(FloatVector.broadcast(S, px[r0 + 0]), a0);
            }
            a0.intoArray(o, ob0 + c);
        }
        for (; c < dv; c++) {
            float t0 = o[ob0 + c];
            for (int x = 0; x < count; x++) {
                float[] px = p[keys[x]];
                float w = v[vo[x] + c];
                t0 = Math.fma(px[r0 + 0], w, t0);
            }
            o[ob0 + c] = t0;
        }
    }
}

package org.attention4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast kind of {@link TileOps}: register-blocked micro-kernels on the Java Vector API. Loaded only when
 * {@code jdk.incubator.vector} is readable ({@link SimdSupport}); nothing else refers to this class directly.
 *
 * <p>Rows run along the vector lanes ({@code L} of them: 16 with AVX-512, 8 with AVX2). The two GEMM-like steps
 * keep a block of two row vectors by eight keys (scores) or eight value columns (accumulator) in sixteen registers
 * for the whole reduction, so each step of the reduction is two vector loads, eight broadcasts and sixteen FMAs,
 * instead of the scalar kind's load and store of a score row after every six FMAs. The softmax statistics and the
 * exponential are element-wise over rows, so they vectorise with no horizontal reduction at all.
 */
final class VectorTileOps extends TileOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float MAGIC = 0x1.8p23f;
    private static final float LN2 = 0.6931471805599453f;

    @Override
    int lanes() {
        return L;
    }

    @Override
    String describe() {
        return "vector (" + S.vectorBitSize() + "-bit, " + L + " float lanes)";
    }

    // ---- S = Qi Kj^T -------------------------------------------------------------------------------------------
    // Blocks of R row vectors by K keys (scoresRxK) or C value columns (accumulateRxC): R*K accumulators live in
    // registers for the whole reduction. The widest block (2 x 8: 16 accumulators) needs AVX-512's 32 registers;
    // with 16 registers (AVX2) the 2 x 4 block is the widest that does not spill.

    /** Widest key/column block: 8 where the machine has 32 vector registers (512-bit species), else 4. */
    private static final int WIDE = L >= 16 ? 8 : 4;

    @Override
    void scores(float[][] qt, float[] k, int[] ko, float[][] p, int cnt, int n, int d) {
        int r = 0;
        if (WIDE == 8) {
            for (; r + 4 * L <= n; r += 4 * L) {
                int jj = 0;
                for (; jj + 4 <= cnt; jj += 4) {
                    scores4x4(qt, k, ko, p, jj, r, d);
                }
                for (; jj < cnt; jj++) {
                    scores2x1(qt, k, ko, p, jj, r, d);
                    scores2x1(qt, k, ko, p, jj, r + 2 * L, d);
                }
            }
        }
        for (; r + 2 * L <= n; r += 2 * L) {
            int jj = 0;
            if (WIDE == 8) {
                for (; jj + 8 <= cnt; jj += 8) {
                    scores2x8(qt, k, ko, p, jj, r, d);
                }
            }
            for (; jj + 4 <= cnt; jj += 4) {
                scores2x4(qt, k, ko, p, jj, r, d);
            }
            for (; jj < cnt; jj++) {
                scores2x1(qt, k, ko, p, jj, r, d);
            }
        }
        for (; r < n; r += L) {
            int jj = 0;
            for (; jj + 8 <= cnt; jj += 8) {
                scores1x8(qt, k, ko, p, jj, r, d);
            }
            for (; jj + 4 <= cnt; jj += 4) {
                scores1x4(qt, k, ko, p, jj, r, d);
            }
            for (; jj < cnt; jj++) {
                scores1x1(qt, k, ko, p, jj, r, d);
            }
        }
    }

    private static void scores4x4(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
        int o0 = ko[jj + 0];
        int o1 = ko[jj + 1];
        int o2 = ko[jj + 2];
        int o3 = ko[jj + 3];
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S);
        FloatVector a21 = FloatVector.zero(S);
        FloatVector a22 = FloatVector.zero(S);
        FloatVector a23 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S);
        FloatVector a31 = FloatVector.zero(S);
        FloatVector a32 = FloatVector.zero(S);
        FloatVector a33 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            float[] q = qt[c];
            FloatVector x0 = FloatVector.fromArray(S, q, r);
            FloatVector x1 = FloatVector.fromArray(S, q, r + 1 * L);
            FloatVector x2 = FloatVector.fromArray(S, q, r + 2 * L);
            FloatVector x3 = FloatVector.fromArray(S, q, r + 3 * L);
            FloatVector w = FloatVector.broadcast(S, k[o0 + c]);
            a00 = x0.fma(w, a00);
            a10 = x1.fma(w, a10);
            a20 = x2.fma(w, a20);
            a30 = x3.fma(w, a30);
            w = FloatVector.broadcast(S, k[o1 + c]);
            a01 = x0.fma(w, a01);
            a11 = x1.fma(w, a11);
            a21 = x2.fma(w, a21);
            a31 = x3.fma(w, a31);
            w = FloatVector.broadcast(S, k[o2 + c]);
            a02 = x0.fma(w, a02);
            a12 = x1.fma(w, a12);
            a22 = x2.fma(w, a22);
            a32 = x3.fma(w, a32);
            w = FloatVector.broadcast(S, k[o3 + c]);
            a03 = x0.fma(w, a03);
            a13 = x1.fma(w, a13);
            a23 = x2.fma(w, a23);
            a33 = x3.fma(w, a33);
        }
        a00.intoArray(p[jj + 0], r);
        a10.intoArray(p[jj + 0], r + 1 * L);
        a20.intoArray(p[jj + 0], r + 2 * L);
        a30.intoArray(p[jj + 0], r + 3 * L);
        a01.intoArray(p[jj + 1], r);
        a11.intoArray(p[jj + 1], r + 1 * L);
        a21.intoArray(p[jj + 1], r + 2 * L);
        a31.intoArray(p[jj + 1], r + 3 * L);
        a02.intoArray(p[jj + 2], r);
        a12.intoArray(p[jj + 2], r + 1 * L);
        a22.intoArray(p[jj + 2], r + 2 * L);
        a32.intoArray(p[jj + 2], r + 3 * L);
        a03.intoArray(p[jj + 3], r);
        a13.intoArray(p[jj + 3], r + 1 * L);
        a23.intoArray(p[jj + 3], r + 2 * L);
        a33.intoArray(p[jj + 3], r + 3 * L);
    }

    private static void scores2x8(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
        int o0 = ko[jj + 0];
        int o1 = ko[jj + 1];
        int o2 = ko[jj + 2];
        int o3 = ko[jj + 3];
        int o4 = ko[jj + 4];
        int o5 = ko[jj + 5];
        int o6 = ko[jj + 6];
        int o7 = ko[jj + 7];
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a04 = FloatVector.zero(S);
        FloatVector a05 = FloatVector.zero(S);
        FloatVector a06 = FloatVector.zero(S);
        FloatVector a07 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        FloatVector a14 = FloatVector.zero(S);
        FloatVector a15 = FloatVector.zero(S);
        FloatVector a16 = FloatVector.zero(S);
        FloatVector a17 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            float[] q = qt[c];
            FloatVector x0 = FloatVector.fromArray(S, q, r);
            FloatVector x1 = FloatVector.fromArray(S, q, r + 1 * L);
            FloatVector w = FloatVector.broadcast(S, k[o0 + c]);
            a00 = x0.fma(w, a00);
            a10 = x1.fma(w, a10);
            w = FloatVector.broadcast(S, k[o1 + c]);
            a01 = x0.fma(w, a01);
            a11 = x1.fma(w, a11);
            w = FloatVector.broadcast(S, k[o2 + c]);
            a02 = x0.fma(w, a02);
            a12 = x1.fma(w, a12);
            w = FloatVector.broadcast(S, k[o3 + c]);
            a03 = x0.fma(w, a03);
            a13 = x1.fma(w, a13);
            w = FloatVector.broadcast(S, k[o4 + c]);
            a04 = x0.fma(w, a04);
            a14 = x1.fma(w, a14);
            w = FloatVector.broadcast(S, k[o5 + c]);
            a05 = x0.fma(w, a05);
            a15 = x1.fma(w, a15);
            w = FloatVector.broadcast(S, k[o6 + c]);
            a06 = x0.fma(w, a06);
            a16 = x1.fma(w, a16);
            w = FloatVector.broadcast(S, k[o7 + c]);
            a07 = x0.fma(w, a07);
            a17 = x1.fma(w, a17);
        }
        a00.intoArray(p[jj + 0], r);
        a10.intoArray(p[jj + 0], r + 1 * L);
        a01.intoArray(p[jj + 1], r);
        a11.intoArray(p[jj + 1], r + 1 * L);
        a02.intoArray(p[jj + 2], r);
        a12.intoArray(p[jj + 2], r + 1 * L);
        a03.intoArray(p[jj + 3], r);
        a13.intoArray(p[jj + 3], r + 1 * L);
        a04.intoArray(p[jj + 4], r);
        a14.intoArray(p[jj + 4], r + 1 * L);
        a05.intoArray(p[jj + 5], r);
        a15.intoArray(p[jj + 5], r + 1 * L);
        a06.intoArray(p[jj + 6], r);
        a16.intoArray(p[jj + 6], r + 1 * L);
        a07.intoArray(p[jj + 7], r);
        a17.intoArray(p[jj + 7], r + 1 * L);
    }

    private static void scores2x4(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
        int o0 = ko[jj + 0];
        int o1 = ko[jj + 1];
        int o2 = ko[jj + 2];
        int o3 = ko[jj + 3];
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            float[] q = qt[c];
            FloatVector x0 = FloatVector.fromArray(S, q, r);
            FloatVector x1 = FloatVector.fromArray(S, q, r + 1 * L);
            FloatVector w = FloatVector.broadcast(S, k[o0 + c]);
            a00 = x0.fma(w, a00);
            a10 = x1.fma(w, a10);
            w = FloatVector.broadcast(S, k[o1 + c]);
            a01 = x0.fma(w, a01);
            a11 = x1.fma(w, a11);
            w = FloatVector.broadcast(S, k[o2 + c]);
            a02 = x0.fma(w, a02);
            a12 = x1.fma(w, a12);
            w = FloatVector.broadcast(S, k[o3 + c]);
            a03 = x0.fma(w, a03);
            a13 = x1.fma(w, a13);
        }
        a00.intoArray(p[jj + 0], r);
        a10.intoArray(p[jj + 0], r + 1 * L);
        a01.intoArray(p[jj + 1], r);
        a11.intoArray(p[jj + 1], r + 1 * L);
        a02.intoArray(p[jj + 2], r);
        a12.intoArray(p[jj + 2], r + 1 * L);
        a03.intoArray(p[jj + 3], r);
        a13.intoArray(p[jj + 3], r + 1 * L);
    }

    private static void scores2x1(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
        int o0 = ko[jj + 0];
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            float[] q = qt[c];
            FloatVector x0 = FloatVector.fromArray(S, q, r);
            FloatVector x1 = FloatVector.fromArray(S, q, r + 1 * L);
            FloatVector w = FloatVector.broadcast(S, k[o0 + c]);
            a00 = x0.fma(w, a00);
            a10 = x1.fma(w, a10);
        }
        a00.intoArray(p[jj + 0], r);
        a10.intoArray(p[jj + 0], r + 1 * L);
    }

    private static void scores1x8(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
        int o0 = ko[jj + 0];
        int o1 = ko[jj + 1];
        int o2 = ko[jj + 2];
        int o3 = ko[jj + 3];
        int o4 = ko[jj + 4];
        int o5 = ko[jj + 5];
        int o6 = ko[jj + 6];
        int o7 = ko[jj + 7];
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a04 = FloatVector.zero(S);
        FloatVector a05 = FloatVector.zero(S);
        FloatVector a06 = FloatVector.zero(S);
        FloatVector a07 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            float[] q = qt[c];
            FloatVector x0 = FloatVector.fromArray(S, q, r);
            FloatVector w = FloatVector.broadcast(S, k[o0 + c]);
            a00 = x0.fma(w, a00);
            w = FloatVector.broadcast(S, k[o1 + c]);
            a01 = x0.fma(w, a01);
            w = FloatVector.broadcast(S, k[o2 + c]);
            a02 = x0.fma(w, a02);
            w = FloatVector.broadcast(S, k[o3 + c]);
            a03 = x0.fma(w, a03);
            w = FloatVector.broadcast(S, k[o4 + c]);
            a04 = x0.fma(w, a04);
            w = FloatVector.broadcast(S, k[o5 + c]);
            a05 = x0.fma(w, a05);
            w = FloatVector.broadcast(S, k[o6 + c]);
            a06 = x0.fma(w, a06);
            w = FloatVector.broadcast(S, k[o7 + c]);
            a07 = x0.fma(w, a07);
        }
        a00.intoArray(p[jj + 0], r);
        a01.intoArray(p[jj + 1], r);
        a02.intoArray(p[jj + 2], r);
        a03.intoArray(p[jj + 3], r);
        a04.intoArray(p[jj + 4], r);
        a05.intoArray(p[jj + 5], r);
        a06.intoArray(p[jj + 6], r);
        a07.intoArray(p[jj + 7], r);
    }

    private static void scores1x4(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
        int o0 = ko[jj + 0];
        int o1 = ko[jj + 1];
        int o2 = ko[jj + 2];
        int o3 = ko[jj + 3];
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            float[] q = qt[c];
            FloatVector x0 = FloatVector.fromArray(S, q, r);
            FloatVector w = FloatVector.broadcast(S, k[o0 + c]);
            a00 = x0.fma(w, a00);
            w = FloatVector.broadcast(S, k[o1 + c]);
            a01 = x0.fma(w, a01);
            w = FloatVector.broadcast(S, k[o2 + c]);
            a02 = x0.fma(w, a02);
            w = FloatVector.broadcast(S, k[o3 + c]);
            a03 = x0.fma(w, a03);
        }
        a00.intoArray(p[jj + 0], r);
        a01.intoArray(p[jj + 1], r);
        a02.intoArray(p[jj + 2], r);
        a03.intoArray(p[jj + 3], r);
    }

    private static void scores1x1(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
        int o0 = ko[jj + 0];
        FloatVector a00 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            float[] q = qt[c];
            FloatVector x0 = FloatVector.fromArray(S, q, r);
            FloatVector w = FloatVector.broadcast(S, k[o0 + c]);
            a00 = x0.fma(w, a00);
        }
        a00.intoArray(p[jj + 0], r);
    }

    // ---- O += P Vj ---------------------------------------------------------------------------------------------

    @Override
    void accumulate(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot, int n, int dv) {
        if (count == 0) {
            return;
        }
        int r = 0;
        for (; r + 2 * L <= n; r += 2 * L) {
            int c = 0;
            if (WIDE == 8) {
                for (; c + 8 <= dv; c += 8) {
                    accumulate2x8(p, keys, vo, count, v, ot, r, c);
                }
            }
            for (; c + 4 <= dv; c += 4) {
                accumulate2x4(p, keys, vo, count, v, ot, r, c);
            }
            for (; c < dv; c++) {
                accumulate2x1(p, keys, vo, count, v, ot, r, c);
            }
        }
        for (; r < n; r += L) {
            int c = 0;
            for (; c + 8 <= dv; c += 8) {
                accumulate1x8(p, keys, vo, count, v, ot, r, c);
            }
            for (; c + 4 <= dv; c += 4) {
                accumulate1x4(p, keys, vo, count, v, ot, r, c);
            }
            for (; c < dv; c++) {
                accumulate1x1(p, keys, vo, count, v, ot, r, c);
            }
        }
    }

    private static void accumulate2x8(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
            int r, int c) {
        FloatVector a00 = FloatVector.fromArray(S, ot[c + 0], r);
        FloatVector a10 = FloatVector.fromArray(S, ot[c + 0], r + 1 * L);
        FloatVector a01 = FloatVector.fromArray(S, ot[c + 1], r);
        FloatVector a11 = FloatVector.fromArray(S, ot[c + 1], r + 1 * L);
        FloatVector a02 = FloatVector.fromArray(S, ot[c + 2], r);
        FloatVector a12 = FloatVector.fromArray(S, ot[c + 2], r + 1 * L);
        FloatVector a03 = FloatVector.fromArray(S, ot[c + 3], r);
        FloatVector a13 = FloatVector.fromArray(S, ot[c + 3], r + 1 * L);
        FloatVector a04 = FloatVector.fromArray(S, ot[c + 4], r);
        FloatVector a14 = FloatVector.fromArray(S, ot[c + 4], r + 1 * L);
        FloatVector a05 = FloatVector.fromArray(S, ot[c + 5], r);
        FloatVector a15 = FloatVector.fromArray(S, ot[c + 5], r + 1 * L);
        FloatVector a06 = FloatVector.fromArray(S, ot[c + 6], r);
        FloatVector a16 = FloatVector.fromArray(S, ot[c + 6], r + 1 * L);
        FloatVector a07 = FloatVector.fromArray(S, ot[c + 7], r);
        FloatVector a17 = FloatVector.fromArray(S, ot[c + 7], r + 1 * L);
        for (int x = 0; x < count; x++) {
            float[] px = p[keys[x]];
            int o = vo[x] + c;
            FloatVector e0 = FloatVector.fromArray(S, px, r);
            FloatVector e1 = FloatVector.fromArray(S, px, r + 1 * L);
            FloatVector w = FloatVector.broadcast(S, v[o + 0]);
            a00 = e0.fma(w, a00);
            a10 = e1.fma(w, a10);
            w = FloatVector.broadcast(S, v[o + 1]);
            a01 = e0.fma(w, a01);
            a11 = e1.fma(w, a11);
            w = FloatVector.broadcast(S, v[o + 2]);
            a02 = e0.fma(w, a02);
            a12 = e1.fma(w, a12);
            w = FloatVector.broadcast(S, v[o + 3]);
            a03 = e0.fma(w, a03);
            a13 = e1.fma(w, a13);
            w = FloatVector.broadcast(S, v[o + 4]);
            a04 = e0.fma(w, a04);
            a14 = e1.fma(w, a14);
            w = FloatVector.broadcast(S, v[o + 5]);
            a05 = e0.fma(w, a05);
            a15 = e1.fma(w, a15);
            w = FloatVector.broadcast(S, v[o + 6]);
            a06 = e0.fma(w, a06);
            a16 = e1.fma(w, a16);
            w = FloatVector.broadcast(S, v[o + 7]);
            a07 = e0.fma(w, a07);
            a17 = e1.fma(w, a17);
        }
        a00.intoArray(ot[c + 0], r);
        a10.intoArray(ot[c + 0], r + 1 * L);
        a01.intoArray(ot[c + 1], r);
        a11.intoArray(ot[c + 1], r + 1 * L);
        a02.intoArray(ot[c + 2], r);
        a12.intoArray(ot[c + 2], r + 1 * L);
        a03.intoArray(ot[c + 3], r);
        a13.intoArray(ot[c + 3], r + 1 * L);
        a04.intoArray(ot[c + 4], r);
        a14.intoArray(ot[c + 4], r + 1 * L);
        a05.intoArray(ot[c + 5], r);
        a15.intoArray(ot[c + 5], r + 1 * L);
        a06.intoArray(ot[c + 6], r);
        a16.intoArray(ot[c + 6], r + 1 * L);
        a07.intoArray(ot[c + 7], r);
        a17.intoArray(ot[c + 7], r + 1 * L);
    }

    private static void accumulate2x4(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
            int r, int c) {
        FloatVector a00 = FloatVector.fromArray(S, ot[c + 0], r);
        FloatVector a10 = FloatVector.fromArray(S, ot[c + 0], r + 1 * L);
        FloatVector a01 = FloatVector.fromArray(S, ot[c + 1], r);
        FloatVector a11 = FloatVector.fromArray(S, ot[c + 1], r + 1 * L);
        FloatVector a02 = FloatVector.fromArray(S, ot[c + 2], r);
        FloatVector a12 = FloatVector.fromArray(S, ot[c + 2], r + 1 * L);
        FloatVector a03 = FloatVector.fromArray(S, ot[c + 3], r);
        FloatVector a13 = FloatVector.fromArray(S, ot[c + 3], r + 1 * L);
        for (int x = 0; x < count; x++) {
            float[] px = p[keys[x]];
            int o = vo[x] + c;
            FloatVector e0 = FloatVector.fromArray(S, px, r);
            FloatVector e1 = FloatVector.fromArray(S, px, r + 1 * L);
            FloatVector w = FloatVector.broadcast(S, v[o + 0]);
            a00 = e0.fma(w, a00);
            a10 = e1.fma(w, a10);
            w = FloatVector.broadcast(S, v[o + 1]);
            a01 = e0.fma(w, a01);
            a11 = e1.fma(w, a11);
            w = FloatVector.broadcast(S, v[o + 2]);
            a02 = e0.fma(w, a02);
            a12 = e1.fma(w, a12);
            w = FloatVector.broadcast(S, v[o + 3]);
            a03 = e0.fma(w, a03);
            a13 = e1.fma(w, a13);
        }
        a00.intoArray(ot[c + 0], r);
        a10.intoArray(ot[c + 0], r + 1 * L);
        a01.intoArray(ot[c + 1], r);
        a11.intoArray(ot[c + 1], r + 1 * L);
        a02.intoArray(ot[c + 2], r);
        a12.intoArray(ot[c + 2], r + 1 * L);
        a03.intoArray(ot[c + 3], r);
        a13.intoArray(ot[c + 3], r + 1 * L);
    }

    private static void accumulate2x1(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
            int r, int c) {
        FloatVector a00 = FloatVector.fromArray(S, ot[c + 0], r);
        FloatVector a10 = FloatVector.fromArray(S, ot[c + 0], r + 1 * L);
        for (int x = 0; x < count; x++) {
            float[] px = p[keys[x]];
            int o = vo[x] + c;
            FloatVector e0 = FloatVector.fromArray(S, px, r);
            FloatVector e1 = FloatVector.fromArray(S, px, r + 1 * L);
            FloatVector w = FloatVector.broadcast(S, v[o + 0]);
            a00 = e0.fma(w, a00);
            a10 = e1.fma(w, a10);
        }
        a00.intoArray(ot[c + 0], r);
        a10.intoArray(ot[c + 0], r + 1 * L);
    }

    private static void accumulate1x8(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
            int r, int c) {
        FloatVector a00 = FloatVector.fromArray(S, ot[c + 0], r);
        FloatVector a01 = FloatVector.fromArray(S, ot[c + 1], r);
        FloatVector a02 = FloatVector.fromArray(S, ot[c + 2], r);
        FloatVector a03 = FloatVector.fromArray(S, ot[c + 3], r);
        FloatVector a04 = FloatVector.fromArray(S, ot[c + 4], r);
        FloatVector a05 = FloatVector.fromArray(S, ot[c + 5], r);
        FloatVector a06 = FloatVector.fromArray(S, ot[c + 6], r);
        FloatVector a07 = FloatVector.fromArray(S, ot[c + 7], r);
        for (int x = 0; x < count; x++) {
            float[] px = p[keys[x]];
            int o = vo[x] + c;
            FloatVector e0 = FloatVector.fromArray(S, px, r);
            FloatVector w = FloatVector.broadcast(S, v[o + 0]);
            a00 = e0.fma(w, a00);
            w = FloatVector.broadcast(S, v[o + 1]);
            a01 = e0.fma(w, a01);
            w = FloatVector.broadcast(S, v[o + 2]);
            a02 = e0.fma(w, a02);
            w = FloatVector.broadcast(S, v[o + 3]);
            a03 = e0.fma(w, a03);
            w = FloatVector.broadcast(S, v[o + 4]);
            a04 = e0.fma(w, a04);
            w = FloatVector.broadcast(S, v[o + 5]);
            a05 = e0.fma(w, a05);
            w = FloatVector.broadcast(S, v[o + 6]);
            a06 = e0.fma(w, a06);
            w = FloatVector.broadcast(S, v[o + 7]);
            a07 = e0.fma(w, a07);
        }
        a00.intoArray(ot[c + 0], r);
        a01.intoArray(ot[c + 1], r);
        a02.intoArray(ot[c + 2], r);
        a03.intoArray(ot[c + 3], r);
        a04.intoArray(ot[c + 4], r);
        a05.intoArray(ot[c + 5], r);
        a06.intoArray(ot[c + 6], r);
        a07.intoArray(ot[c + 7], r);
    }

    private static void accumulate1x4(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
            int r, int c) {
        FloatVector a00 = FloatVector.fromArray(S, ot[c + 0], r);
        FloatVector a01 = FloatVector.fromArray(S, ot[c + 1], r);
        FloatVector a02 = FloatVector.fromArray(S, ot[c + 2], r);
        FloatVector a03 = FloatVector.fromArray(S, ot[c + 3], r);
        for (int x = 0; x < count; x++) {
            float[] px = p[keys[x]];
            int o = vo[x] + c;
            FloatVector e0 = FloatVector.fromArray(S, px, r);
            FloatVector w = FloatVector.broadcast(S, v[o + 0]);
            a00 = e0.fma(w, a00);
            w = FloatVector.broadcast(S, v[o + 1]);
            a01 = e0.fma(w, a01);
            w = FloatVector.broadcast(S, v[o + 2]);
            a02 = e0.fma(w, a02);
            w = FloatVector.broadcast(S, v[o + 3]);
            a03 = e0.fma(w, a03);
        }
        a00.intoArray(ot[c + 0], r);
        a01.intoArray(ot[c + 1], r);
        a02.intoArray(ot[c + 2], r);
        a03.intoArray(ot[c + 3], r);
    }

    private static void accumulate1x1(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
            int r, int c) {
        FloatVector a00 = FloatVector.fromArray(S, ot[c + 0], r);
        for (int x = 0; x < count; x++) {
            float[] px = p[keys[x]];
            int o = vo[x] + c;
            FloatVector e0 = FloatVector.fromArray(S, px, r);
            FloatVector w = FloatVector.broadcast(S, v[o + 0]);
            a00 = e0.fma(w, a00);
        }
        a00.intoArray(ot[c + 0], r);
    }

    // ---- online softmax ----------------------------------------------------------------------------------------

    @Override
    void rowMax(float[][] p, int cnt, float[] tileMax, int n) {
        for (int r = 0; r < n; r += L) {
            FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int jj = 0; jj < cnt; jj++) {
                mx = mx.max(FloatVector.fromArray(S, p[jj], r));
            }
            mx.intoArray(tileMax, r);
        }
    }

    @Override
    void rescale(float[] m, float[] tileMax, float[] shift, float[] alpha, float[] scratch, float[] l,
            float[][] ot, int n, int dv) {
        for (int r = 0; r < n; r += L) {
            FloatVector old = FloatVector.fromArray(S, m, r);
            FloatVector mNew = old.max(FloatVector.fromArray(S, tileMax, r));
            FloatVector sh = mNew.max(-Float.MAX_VALUE);
            FloatVector a = exp2(old.sub(sh));
            sh.intoArray(shift, r);
            mNew.intoArray(m, r);
            a.intoArray(alpha, r);
            FloatVector.fromArray(S, l, r).mul(a).intoArray(l, r);
            for (int c = 0; c < dv; c++) {
                FloatVector.fromArray(S, ot[c], r).mul(a).intoArray(ot[c], r);
            }
        }
    }

    @Override
    void expAndSum(float[][] p, int cnt, float[] shift, float[] l, float[] scratch, int n) {
        for (int r = 0; r < n; r += L) {
            FloatVector sh = FloatVector.fromArray(S, shift, r);
            FloatVector sum = FloatVector.fromArray(S, l, r);
            for (int jj = 0; jj < cnt; jj++) {
                FloatVector e = exp2(FloatVector.fromArray(S, p[jj], r).sub(sh));
                e.intoArray(p[jj], r);
                sum = sum.add(e);
            }
            sum.intoArray(l, r);
        }
    }

    @Override
    void exp2Shifted(float[] s, float[] shift, float[] scratch, int n) {
        for (int r = 0; r < n; r += L) {
            exp2(FloatVector.fromArray(S, s, r).sub(FloatVector.fromArray(S, shift, r))).intoArray(s, r);
        }
    }

    @Override
    void multiplyInto(float[] x, float[] f, int n) {
        for (int r = 0; r < n; r += L) {
            FloatVector.fromArray(S, x, r).mul(FloatVector.fromArray(S, f, r)).intoArray(x, r);
        }
    }

    /** {@code {0, s, 2s, ..}}: lane offsets of a column of a row-major block with rows of {@code s} floats. */
    private static int[] strideMap(int s) {
        int[] map = new int[L];
        for (int i = 0; i < L; i++) {
            map[i] = i * s;
        }
        return map;
    }

    @Override
    void transposeIn(float[] st, int n, int d, double scale, float[][] qt) {
        // Gathers, one column of L rows each: a scalar transpose costs ~6 cycles an element here (as much as the
        // scores of a 200-key tile), the gather about one. The scale is applied as hi + lo (float), which rounds
        // like the double product but for a last-bit tie.
        float hi = (float) scale;
        float lo = (float) (scale - hi);
        int[] map = strideMap(d);
        int r = 0;
        for (; r + L <= n; r += L) {
            for (int c = 0; c < d; c++) {
                FloatVector x = FloatVector.fromArray(S, st, r * d + c, map, 0);
                x.fma(FloatVector.broadcast(S, hi), x.mul(lo)).intoArray(qt[c], r);
            }
        }
        for (; r < n; r++) {
            for (int c = 0; c < d; c++) {
                qt[c][r] = (float) (st[r * d + c] * scale);
            }
        }
        int np = (n + L - 1) / L * L;
        for (int c = 0; c < d; c++) {
            java.util.Arrays.fill(qt[c], n, np, 0f);
        }
    }

    @Override
    void transposeOut(float[][] ot, float[] inv, int n, int dv, float[] st) {
        int[] map = strideMap(dv);
        int r = 0;
        for (; r + L <= n; r += L) {
            FloatVector f = FloatVector.fromArray(S, inv, r);
            for (int c = 0; c < dv; c++) {
                FloatVector.fromArray(S, ot[c], r).mul(f).intoArray(st, r * dv + c, map, 0);
            }
        }
        for (; r < n; r++) {
            for (int c = 0; c < dv; c++) {
                st[r * dv + c] = ot[c][r] * inv[r];
            }
        }
    }

    @Override
    int maxRowMajorRows() {
        return VectorRowKernels.MAX_ROWS;
    }

    @Override
    void scoresByRow(float[] q, int rows, float[] k, int[] ko, int cnt, int d, float[][] p) {
        VectorRowKernels.scores(q, rows, k, ko, cnt, d, p);
    }

    @Override
    void accumulateByRow(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o, int rows, int dv) {
        VectorRowKernels.accumulate(p, keys, vo, count, v, o, rows, dv);
    }

    @Override
    boolean allFinite(float[] x, int from, int to) {
        // x * 0 is 0 for every finite x and NaN for NaN or an infinity; NaN survives the sums.
        FloatVector acc = FloatVector.zero(S);
        int i = from;
        for (; i + L <= to; i += L) {
            acc = acc.add(FloatVector.fromArray(S, x, i).mul(0f));
        }
        float tail = 0f;
        for (; i < to; i++) {
            tail += x[i] * 0f;
        }
        return acc.reduceLanes(VectorOperators.ADD) + tail == 0f;
    }

    @Override
    void addInto(float[] l, float[] s, int n) {
        for (int r = 0; r < n; r += L) {
            FloatVector.fromArray(S, l, r).add(FloatVector.fromArray(S, s, r)).intoArray(l, r);
        }
    }

    /**
     * {@code 2^x} for {@code x <= 0} (softmax exponents): {@code x = k + f} with {@code k} rounded to nearest and
     * {@code |f| <= 1/2}, the Cephes minimax polynomial for {@code e^(f ln2)} (relative error about 1e-7), and
     * {@code 2^k} built in the exponent bits. Arguments below -126.5 (the normal range ends at 2^-126) give 0,
     * so {@code -inf} gives exactly 0; NaN gives NaN.
     */
    static FloatVector exp2(FloatVector x) {
        FloatVector xc = x.max(-127f);
        // Adding 1.5*2^23 rounds to an integer and leaves it in the low mantissa bits: k without a float-to-int
        // conversion, which JDK 17 does not intrinsify (it costs ten times the whole polynomial there).
        FloatVector km = xc.add(MAGIC);
        FloatVector k = km.sub(MAGIC);
        FloatVector t = xc.sub(k).mul(LN2);
        FloatVector p = t.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(t, FloatVector.broadcast(S, 8.3334519073e-3f));
        p = p.fma(t, FloatVector.broadcast(S, 4.1665795894e-2f));
        p = p.fma(t, FloatVector.broadcast(S, 1.6666665459e-1f));
        p = p.fma(t, FloatVector.broadcast(S, 5.0000001201e-1f));
        p = p.mul(t).fma(t, t).add(1f);
        // The low 9 bits of km's pattern are k mod 512; shifted into the exponent field and biased by 127 they
        // make 2^k for k in [-126, 0], and 0 for k = -127.
        IntVector bits = km.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(127 << 23);
        return p.mul(bits.reinterpretAsFloats());
    }
}

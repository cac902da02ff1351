package org.attention4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code S = Qi Kj^T} for {@link VectorTileOps}, one method per block shape: {@code scoresRxK} keeps {@code R} row
 * vectors by {@code K} keys of scores ({@code R*K} accumulators) in registers for the whole head dim; each step is
 * {@code R} vector loads of {@code Qt[c]}, {@code K} broadcasts of key elements and {@code R*K} FMAs, with one
 * store per accumulator at the end. The widest block (4 x 6, 24 accumulators) needs AVX-512's 32 registers.
 */
final class VectorScoreKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Whether the 4- and 8-wide blocks fit the registers (AVX-512's 32), as in {@link VectorTileOps}. */
    private static final boolean WIDE = L >= 16;

    private VectorScoreKernels() {
    }

    /** {@code p[jj][r]} for keys {@code jj} in {@code [j0, j1)} and rows {@code [r0, r1)} (multiples of L). */
    static void block(float[][] qt, float[] k, int[] ko, float[][] p, int j0, int j1, int r0, int r1,
            int d) {
        int r = r0;
        if (WIDE) {
            for (; r + 4 * L <= r1; r += 4 * L) {
                int jj = j0;
                for (; jj + 6 <= j1; jj += 6) {
                    scores4x6(qt, k, ko, p, jj, r, d);
                }
                for (; jj + 4 <= j1; jj += 4) {
                    scores4x4(qt, k, ko, p, jj, r, d);
                }
                for (; jj < j1; jj++) {
                    scores2x1(qt, k, ko, p, jj, r, d);
                    scores2x1(qt, k, ko, p, jj, r + 2 * L, d);
                }
            }
        }
        for (; r + 2 * L <= r1; r += 2 * L) {
            int jj = j0;
            if (WIDE) {
                for (; jj + 8 <= j1; jj += 8) {
                    scores2x8(qt, k, ko, p, jj, r, d);
                }
            }
            for (; jj + 4 <= j1; jj += 4) {
                scores2x4(qt, k, ko, p, jj, r, d);
            }
            for (; jj < j1; jj++) {
                scores2x1(qt, k, ko, p, jj, r, d);
            }
        }
        for (; r < r1; r += L) {
            int jj = j0;
            for (; jj + 8 <= j1; jj += 8) {
                scores1x8(qt, k, ko, p, jj, r, d);
            }
            for (; jj + 4 <= j1; jj += 4) {
                scores1x4(qt, k, ko, p, jj, r, d);
            }
            for (; jj < j1; jj++) {
                scores1x1(qt, k, ko, p, jj, r, d);
            }
        }
    }

    static void scores4x6(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
        int o0 = ko[jj + 0];
        int o1 = ko[jj + 1];
        int o2 = ko[jj + 2];
        int o3 = ko[jj + 3];
        int o4 = ko[jj + 4];
        int o5 = ko[jj + 5];
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a04 = FloatVector.zero(S);
        FloatVector a05 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        FloatVector a14 = FloatVector.zero(S);
        FloatVector a15 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S);
        FloatVector a21 = FloatVector.zero(S);
        FloatVector a22 = FloatVector.zero(S);
        FloatVector a23 = FloatVector.zero(S);
        FloatVector a24 = FloatVector.zero(S);
        FloatVector a25 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S);
        FloatVector a31 = FloatVector.zero(S);
        FloatVector a32 = FloatVector.zero(S);
        FloatVector a33 = FloatVector.zero(S);
        FloatVector a34 = FloatVector.zero(S);
        FloatVector a35 = FloatVector.zero(S);
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
            w = FloatVector.broadcast(S, k[o4 + c]);
            a04 = x0.fma(w, a04);
            a14 = x1.fma(w, a14);
            a24 = x2.fma(w, a24);
            a34 = x3.fma(w, a34);
            w = FloatVector.broadcast(S, k[o5 + c]);
            a05 = x0.fma(w, a05);
            a15 = x1.fma(w, a15);
            a25 = x2.fma(w, a25);
            a35 = x3.fma(w, a35);
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
        a04.intoArray(p[jj + 4], r);
        a14.intoArray(p[jj + 4], r + 1 * L);
        a24.intoArray(p[jj + 4], r + 2 * L);
        a34.intoArray(p[jj + 4], r + 3 * L);
        a05.intoArray(p[jj + 5], r);
        a15.intoArray(p[jj + 5], r + 1 * L);
        a25.intoArray(p[jj + 5], r + 2 * L);
        a35.intoArray(p[jj + 5], r + 3 * L);
    }

    static void scores4x4(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
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

    static void scores2x8(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
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

    static void scores2x4(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
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

    static void scores2x1(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
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

    static void scores1x8(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
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

    static void scores1x4(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
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

    static void scores1x1(float[][] qt, float[] k, int[] ko, float[][] p, int jj, int r, int d) {
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
}

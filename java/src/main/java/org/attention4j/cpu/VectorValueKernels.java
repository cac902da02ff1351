package org.attention4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code O += P Vj} for {@link VectorTileOps}, one method per block shape: {@code accumulateRxC} keeps {@code R}
 * row vectors by {@code C} value columns of the accumulator in registers over a whole key tile; each step is
 * {@code R} vector loads of {@code P[key]}, {@code C} broadcasts of value elements and {@code R*C} FMAs. The widest
 * block (4 x 4, 16 accumulators) needs AVX-512's 32 registers.
 */
final class VectorValueKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorValueKernels() {
    }

    static void accumulate4x4(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
            int r, int c) {
        FloatVector a00 = FloatVector.fromArray(S, ot[c + 0], r);
        FloatVector a10 = FloatVector.fromArray(S, ot[c + 0], r + 1 * L);
        FloatVector a20 = FloatVector.fromArray(S, ot[c + 0], r + 2 * L);
        FloatVector a30 = FloatVector.fromArray(S, ot[c + 0], r + 3 * L);
        FloatVector a01 = FloatVector.fromArray(S, ot[c + 1], r);
        FloatVector a11 = FloatVector.fromArray(S, ot[c + 1], r + 1 * L);
        FloatVector a21 = FloatVector.fromArray(S, ot[c + 1], r + 2 * L);
        FloatVector a31 = FloatVector.fromArray(S, ot[c + 1], r + 3 * L);
        FloatVector a02 = FloatVector.fromArray(S, ot[c + 2], r);
        FloatVector a12 = FloatVector.fromArray(S, ot[c + 2], r + 1 * L);
        FloatVector a22 = FloatVector.fromArray(S, ot[c + 2], r + 2 * L);
        FloatVector a32 = FloatVector.fromArray(S, ot[c + 2], r + 3 * L);
        FloatVector a03 = FloatVector.fromArray(S, ot[c + 3], r);
        FloatVector a13 = FloatVector.fromArray(S, ot[c + 3], r + 1 * L);
        FloatVector a23 = FloatVector.fromArray(S, ot[c + 3], r + 2 * L);
        FloatVector a33 = FloatVector.fromArray(S, ot[c + 3], r + 3 * L);
        for (int x = 0; x < count; x++) {
            float[] px = p[keys[x]];
            int o = vo[x] + c;
            FloatVector e0 = FloatVector.fromArray(S, px, r);
            FloatVector e1 = FloatVector.fromArray(S, px, r + 1 * L);
            FloatVector e2 = FloatVector.fromArray(S, px, r + 2 * L);
            FloatVector e3 = FloatVector.fromArray(S, px, r + 3 * L);
            FloatVector w = FloatVector.broadcast(S, v[o + 0]);
            a00 = e0.fma(w, a00);
            a10 = e1.fma(w, a10);
            a20 = e2.fma(w, a20);
            a30 = e3.fma(w, a30);
            w = FloatVector.broadcast(S, v[o + 1]);
            a01 = e0.fma(w, a01);
            a11 = e1.fma(w, a11);
            a21 = e2.fma(w, a21);
            a31 = e3.fma(w, a31);
            w = FloatVector.broadcast(S, v[o + 2]);
            a02 = e0.fma(w, a02);
            a12 = e1.fma(w, a12);
            a22 = e2.fma(w, a22);
            a32 = e3.fma(w, a32);
            w = FloatVector.broadcast(S, v[o + 3]);
            a03 = e0.fma(w, a03);
            a13 = e1.fma(w, a13);
            a23 = e2.fma(w, a23);
            a33 = e3.fma(w, a33);
        }
        a00.intoArray(ot[c + 0], r);
        a10.intoArray(ot[c + 0], r + 1 * L);
        a20.intoArray(ot[c + 0], r + 2 * L);
        a30.intoArray(ot[c + 0], r + 3 * L);
        a01.intoArray(ot[c + 1], r);
        a11.intoArray(ot[c + 1], r + 1 * L);
        a21.intoArray(ot[c + 1], r + 2 * L);
        a31.intoArray(ot[c + 1], r + 3 * L);
        a02.intoArray(ot[c + 2], r);
        a12.intoArray(ot[c + 2], r + 1 * L);
        a22.intoArray(ot[c + 2], r + 2 * L);
        a32.intoArray(ot[c + 2], r + 3 * L);
        a03.intoArray(ot[c + 3], r);
        a13.intoArray(ot[c + 3], r + 1 * L);
        a23.intoArray(ot[c + 3], r + 2 * L);
        a33.intoArray(ot[c + 3], r + 3 * L);
    }

    static void accumulate2x8(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
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

    static void accumulate2x4(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
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

    static void accumulate2x1(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
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

    static void accumulate1x8(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
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

    static void accumulate1x4(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
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

    static void accumulate1x1(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot,
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
}

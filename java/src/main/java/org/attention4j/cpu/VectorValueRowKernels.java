package org.attention4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code O += P Vj} for the tiles of many rows of {@link VectorTileOps}, with the accumulator row-major
 * ({@code o[r * Dv + c]}) and vectors along the value dim: {@code rowsRxV} keeps {@code R} rows by {@code V}
 * vectors of columns in registers over a whole key tile; each key costs {@code V} vector loads of its value row,
 * {@code R} broadcasts of its weights and {@code R*V} FMAs. The widest blocks (6 x 4 and 8 x 3, 24 accumulators)
 * balance loads against FMAs as the 4 x 6 score block does, where the rows-along-lanes 4 x 4 block of
 * {@link VectorValueKernels} loads four vectors of P for every 16 FMAs.
 *
 * <p>Column offsets are arguments ({@code c0, c1, ..}), one per vector, so that a value dim that is not a multiple
 * of the lane count needs no mask and no padding: the last vector starts at {@code Dv - L} and overlaps the one
 * before it. Both compute the overlapped columns from the same loaded accumulators with the same operations in
 * the same order, so the two stores write identical values. That holds within one call only, which is why
 * {@link VectorTileOps#accumulateRows} always puts the last two vectors in the same block.
 *
 * <p>A {@code fresh} call (a tile's first key tile) starts the accumulators at 0 instead of loading them, so the
 * accumulator needs no clearing pass before the tile.
 *
 * <p>The kernels are written out in full because C2 keeps named {@code FloatVector} locals in registers but not
 * the elements of an array of them.
 */
final class VectorValueRowKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorValueRowKernels() {
    }

    /** An accumulator's first value: 0 when it is {@code fresh} (its memory holds nothing yet), else its value. */
    private static FloatVector start(boolean fresh, float[] o, int i) {
        return fresh ? FloatVector.zero(S) : FloatVector.fromArray(S, o, i);
    }

    static void rows6x4(float[][] p, int[] keys, int[] vo, int from, int to, boolean fresh, float[] v, float[] o,
            int r0,
            int dv, int c0, int c1, int c2, int c3) {
        int ob0 = (r0 + 0) * dv;
        int ob1 = (r0 + 1) * dv;
        int ob2 = (r0 + 2) * dv;
        int ob3 = (r0 + 3) * dv;
        int ob4 = (r0 + 4) * dv;
        int ob5 = (r0 + 5) * dv;
        FloatVector a00 = start(fresh, o, ob0 + c0);
        FloatVector a01 = start(fresh, o, ob0 + c1);
        FloatVector a02 = start(fresh, o, ob0 + c2);
        FloatVector a03 = start(fresh, o, ob0 + c3);
        FloatVector a10 = start(fresh, o, ob1 + c0);
        FloatVector a11 = start(fresh, o, ob1 + c1);
        FloatVector a12 = start(fresh, o, ob1 + c2);
        FloatVector a13 = start(fresh, o, ob1 + c3);
        FloatVector a20 = start(fresh, o, ob2 + c0);
        FloatVector a21 = start(fresh, o, ob2 + c1);
        FloatVector a22 = start(fresh, o, ob2 + c2);
        FloatVector a23 = start(fresh, o, ob2 + c3);
        FloatVector a30 = start(fresh, o, ob3 + c0);
        FloatVector a31 = start(fresh, o, ob3 + c1);
        FloatVector a32 = start(fresh, o, ob3 + c2);
        FloatVector a33 = start(fresh, o, ob3 + c3);
        FloatVector a40 = start(fresh, o, ob4 + c0);
        FloatVector a41 = start(fresh, o, ob4 + c1);
        FloatVector a42 = start(fresh, o, ob4 + c2);
        FloatVector a43 = start(fresh, o, ob4 + c3);
        FloatVector a50 = start(fresh, o, ob5 + c0);
        FloatVector a51 = start(fresh, o, ob5 + c1);
        FloatVector a52 = start(fresh, o, ob5 + c2);
        FloatVector a53 = start(fresh, o, ob5 + c3);
        for (int x = from; x < to; x++) {
            float[] px = p[keys[x]];
            int vb = vo[x];
            FloatVector w0 = FloatVector.fromArray(S, v, vb + c0);
            FloatVector w1 = FloatVector.fromArray(S, v, vb + c1);
            FloatVector w2 = FloatVector.fromArray(S, v, vb + c2);
            FloatVector w3 = FloatVector.fromArray(S, v, vb + c3);
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
            FloatVector e4 = FloatVector.broadcast(S, px[r0 + 4]);
            a40 = w0.fma(e4, a40);
            a41 = w1.fma(e4, a41);
            a42 = w2.fma(e4, a42);
            a43 = w3.fma(e4, a43);
            FloatVector e5 = FloatVector.broadcast(S, px[r0 + 5]);
            a50 = w0.fma(e5, a50);
            a51 = w1.fma(e5, a51);
            a52 = w2.fma(e5, a52);
            a53 = w3.fma(e5, a53);
        }
        a00.intoArray(o, ob0 + c0);
        a01.intoArray(o, ob0 + c1);
        a02.intoArray(o, ob0 + c2);
        a03.intoArray(o, ob0 + c3);
        a10.intoArray(o, ob1 + c0);
        a11.intoArray(o, ob1 + c1);
        a12.intoArray(o, ob1 + c2);
        a13.intoArray(o, ob1 + c3);
        a20.intoArray(o, ob2 + c0);
        a21.intoArray(o, ob2 + c1);
        a22.intoArray(o, ob2 + c2);
        a23.intoArray(o, ob2 + c3);
        a30.intoArray(o, ob3 + c0);
        a31.intoArray(o, ob3 + c1);
        a32.intoArray(o, ob3 + c2);
        a33.intoArray(o, ob3 + c3);
        a40.intoArray(o, ob4 + c0);
        a41.intoArray(o, ob4 + c1);
        a42.intoArray(o, ob4 + c2);
        a43.intoArray(o, ob4 + c3);
        a50.intoArray(o, ob5 + c0);
        a51.intoArray(o, ob5 + c1);
        a52.intoArray(o, ob5 + c2);
        a53.intoArray(o, ob5 + c3);
    }

    static void rows4x4(float[][] p, int[] keys, int[] vo, int from, int to, boolean fresh, float[] v, float[] o,
            int r0,
            int dv, int c0, int c1, int c2, int c3) {
        int ob0 = (r0 + 0) * dv;
        int ob1 = (r0 + 1) * dv;
        int ob2 = (r0 + 2) * dv;
        int ob3 = (r0 + 3) * dv;
        FloatVector a00 = start(fresh, o, ob0 + c0);
        FloatVector a01 = start(fresh, o, ob0 + c1);
        FloatVector a02 = start(fresh, o, ob0 + c2);
        FloatVector a03 = start(fresh, o, ob0 + c3);
        FloatVector a10 = start(fresh, o, ob1 + c0);
        FloatVector a11 = start(fresh, o, ob1 + c1);
        FloatVector a12 = start(fresh, o, ob1 + c2);
        FloatVector a13 = start(fresh, o, ob1 + c3);
        FloatVector a20 = start(fresh, o, ob2 + c0);
        FloatVector a21 = start(fresh, o, ob2 + c1);
        FloatVector a22 = start(fresh, o, ob2 + c2);
        FloatVector a23 = start(fresh, o, ob2 + c3);
        FloatVector a30 = start(fresh, o, ob3 + c0);
        FloatVector a31 = start(fresh, o, ob3 + c1);
        FloatVector a32 = start(fresh, o, ob3 + c2);
        FloatVector a33 = start(fresh, o, ob3 + c3);
        for (int x = from; x < to; x++) {
            float[] px = p[keys[x]];
            int vb = vo[x];
            FloatVector w0 = FloatVector.fromArray(S, v, vb + c0);
            FloatVector w1 = FloatVector.fromArray(S, v, vb + c1);
            FloatVector w2 = FloatVector.fromArray(S, v, vb + c2);
            FloatVector w3 = FloatVector.fromArray(S, v, vb + c3);
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
        a00.intoArray(o, ob0 + c0);
        a01.intoArray(o, ob0 + c1);
        a02.intoArray(o, ob0 + c2);
        a03.intoArray(o, ob0 + c3);
        a10.intoArray(o, ob1 + c0);
        a11.intoArray(o, ob1 + c1);
        a12.intoArray(o, ob1 + c2);
        a13.intoArray(o, ob1 + c3);
        a20.intoArray(o, ob2 + c0);
        a21.intoArray(o, ob2 + c1);
        a22.intoArray(o, ob2 + c2);
        a23.intoArray(o, ob2 + c3);
        a30.intoArray(o, ob3 + c0);
        a31.intoArray(o, ob3 + c1);
        a32.intoArray(o, ob3 + c2);
        a33.intoArray(o, ob3 + c3);
    }

    static void rows2x4(float[][] p, int[] keys, int[] vo, int from, int to, boolean fresh, float[] v, float[] o,
            int r0,
            int dv, int c0, int c1, int c2, int c3) {
        int ob0 = (r0 + 0) * dv;
        int ob1 = (r0 + 1) * dv;
        FloatVector a00 = start(fresh, o, ob0 + c0);
        FloatVector a01 = start(fresh, o, ob0 + c1);
        FloatVector a02 = start(fresh, o, ob0 + c2);
        FloatVector a03 = start(fresh, o, ob0 + c3);
        FloatVector a10 = start(fresh, o, ob1 + c0);
        FloatVector a11 = start(fresh, o, ob1 + c1);
        FloatVector a12 = start(fresh, o, ob1 + c2);
        FloatVector a13 = start(fresh, o, ob1 + c3);
        for (int x = from; x < to; x++) {
            float[] px = p[keys[x]];
            int vb = vo[x];
            FloatVector w0 = FloatVector.fromArray(S, v, vb + c0);
            FloatVector w1 = FloatVector.fromArray(S, v, vb + c1);
            FloatVector w2 = FloatVector.fromArray(S, v, vb + c2);
            FloatVector w3 = FloatVector.fromArray(S, v, vb + c3);
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
        a00.intoArray(o, ob0 + c0);
        a01.intoArray(o, ob0 + c1);
        a02.intoArray(o, ob0 + c2);
        a03.intoArray(o, ob0 + c3);
        a10.intoArray(o, ob1 + c0);
        a11.intoArray(o, ob1 + c1);
        a12.intoArray(o, ob1 + c2);
        a13.intoArray(o, ob1 + c3);
    }

    static void rows8x3(float[][] p, int[] keys, int[] vo, int from, int to, boolean fresh, float[] v, float[] o,
            int r0,
            int dv, int c0, int c1, int c2) {
        int ob0 = (r0 + 0) * dv;
        int ob1 = (r0 + 1) * dv;
        int ob2 = (r0 + 2) * dv;
        int ob3 = (r0 + 3) * dv;
        int ob4 = (r0 + 4) * dv;
        int ob5 = (r0 + 5) * dv;
        int ob6 = (r0 + 6) * dv;
        int ob7 = (r0 + 7) * dv;
        FloatVector a00 = start(fresh, o, ob0 + c0);
        FloatVector a01 = start(fresh, o, ob0 + c1);
        FloatVector a02 = start(fresh, o, ob0 + c2);
        FloatVector a10 = start(fresh, o, ob1 + c0);
        FloatVector a11 = start(fresh, o, ob1 + c1);
        FloatVector a12 = start(fresh, o, ob1 + c2);
        FloatVector a20 = start(fresh, o, ob2 + c0);
        FloatVector a21 = start(fresh, o, ob2 + c1);
        FloatVector a22 = start(fresh, o, ob2 + c2);
        FloatVector a30 = start(fresh, o, ob3 + c0);
        FloatVector a31 = start(fresh, o, ob3 + c1);
        FloatVector a32 = start(fresh, o, ob3 + c2);
        FloatVector a40 = start(fresh, o, ob4 + c0);
        FloatVector a41 = start(fresh, o, ob4 + c1);
        FloatVector a42 = start(fresh, o, ob4 + c2);
        FloatVector a50 = start(fresh, o, ob5 + c0);
        FloatVector a51 = start(fresh, o, ob5 + c1);
        FloatVector a52 = start(fresh, o, ob5 + c2);
        FloatVector a60 = start(fresh, o, ob6 + c0);
        FloatVector a61 = start(fresh, o, ob6 + c1);
        FloatVector a62 = start(fresh, o, ob6 + c2);
        FloatVector a70 = start(fresh, o, ob7 + c0);
        FloatVector a71 = start(fresh, o, ob7 + c1);
        FloatVector a72 = start(fresh, o, ob7 + c2);
        for (int x = from; x < to; x++) {
            float[] px = p[keys[x]];
            int vb = vo[x];
            FloatVector w0 = FloatVector.fromArray(S, v, vb + c0);
            FloatVector w1 = FloatVector.fromArray(S, v, vb + c1);
            FloatVector w2 = FloatVector.fromArray(S, v, vb + c2);
            FloatVector e0 = FloatVector.broadcast(S, px[r0 + 0]);
            a00 = w0.fma(e0, a00);
            a01 = w1.fma(e0, a01);
            a02 = w2.fma(e0, a02);
            FloatVector e1 = FloatVector.broadcast(S, px[r0 + 1]);
            a10 = w0.fma(e1, a10);
            a11 = w1.fma(e1, a11);
            a12 = w2.fma(e1, a12);
            FloatVector e2 = FloatVector.broadcast(S, px[r0 + 2]);
            a20 = w0.fma(e2, a20);
            a21 = w1.fma(e2, a21);
            a22 = w2.fma(e2, a22);
            FloatVector e3 = FloatVector.broadcast(S, px[r0 + 3]);
            a30 = w0.fma(e3, a30);
            a31 = w1.fma(e3, a31);
            a32 = w2.fma(e3, a32);
            FloatVector e4 = FloatVector.broadcast(S, px[r0 + 4]);
            a40 = w0.fma(e4, a40);
            a41 = w1.fma(e4, a41);
            a42 = w2.fma(e4, a42);
            FloatVector e5 = FloatVector.broadcast(S, px[r0 + 5]);
            a50 = w0.fma(e5, a50);
            a51 = w1.fma(e5, a51);
            a52 = w2.fma(e5, a52);
            FloatVector e6 = FloatVector.broadcast(S, px[r0 + 6]);
            a60 = w0.fma(e6, a60);
            a61 = w1.fma(e6, a61);
            a62 = w2.fma(e6, a62);
            FloatVector e7 = FloatVector.broadcast(S, px[r0 + 7]);
            a70 = w0.fma(e7, a70);
            a71 = w1.fma(e7, a71);
            a72 = w2.fma(e7, a72);
        }
        a00.intoArray(o, ob0 + c0);
        a01.intoArray(o, ob0 + c1);
        a02.intoArray(o, ob0 + c2);
        a10.intoArray(o, ob1 + c0);
        a11.intoArray(o, ob1 + c1);
        a12.intoArray(o, ob1 + c2);
        a20.intoArray(o, ob2 + c0);
        a21.intoArray(o, ob2 + c1);
        a22.intoArray(o, ob2 + c2);
        a30.intoArray(o, ob3 + c0);
        a31.intoArray(o, ob3 + c1);
        a32.intoArray(o, ob3 + c2);
        a40.intoArray(o, ob4 + c0);
        a41.intoArray(o, ob4 + c1);
        a42.intoArray(o, ob4 + c2);
        a50.intoArray(o, ob5 + c0);
        a51.intoArray(o, ob5 + c1);
        a52.intoArray(o, ob5 + c2);
        a60.intoArray(o, ob6 + c0);
        a61.intoArray(o, ob6 + c1);
        a62.intoArray(o, ob6 + c2);
        a70.intoArray(o, ob7 + c0);
        a71.intoArray(o, ob7 + c1);
        a72.intoArray(o, ob7 + c2);
    }

    static void rows8x2(float[][] p, int[] keys, int[] vo, int from, int to, boolean fresh, float[] v, float[] o,
            int r0,
            int dv, int c0, int c1) {
        int ob0 = (r0 + 0) * dv;
        int ob1 = (r0 + 1) * dv;
        int ob2 = (r0 + 2) * dv;
        int ob3 = (r0 + 3) * dv;
        int ob4 = (r0 + 4) * dv;
        int ob5 = (r0 + 5) * dv;
        int ob6 = (r0 + 6) * dv;
        int ob7 = (r0 + 7) * dv;
        FloatVector a00 = start(fresh, o, ob0 + c0);
        FloatVector a01 = start(fresh, o, ob0 + c1);
        FloatVector a10 = start(fresh, o, ob1 + c0);
        FloatVector a11 = start(fresh, o, ob1 + c1);
        FloatVector a20 = start(fresh, o, ob2 + c0);
        FloatVector a21 = start(fresh, o, ob2 + c1);
        FloatVector a30 = start(fresh, o, ob3 + c0);
        FloatVector a31 = start(fresh, o, ob3 + c1);
        FloatVector a40 = start(fresh, o, ob4 + c0);
        FloatVector a41 = start(fresh, o, ob4 + c1);
        FloatVector a50 = start(fresh, o, ob5 + c0);
        FloatVector a51 = start(fresh, o, ob5 + c1);
        FloatVector a60 = start(fresh, o, ob6 + c0);
        FloatVector a61 = start(fresh, o, ob6 + c1);
        FloatVector a70 = start(fresh, o, ob7 + c0);
        FloatVector a71 = start(fresh, o, ob7 + c1);
        for (int x = from; x < to; x++) {
            float[] px = p[keys[x]];
            int vb = vo[x];
            FloatVector w0 = FloatVector.fromArray(S, v, vb + c0);
            FloatVector w1 = FloatVector.fromArray(S, v, vb + c1);
            FloatVector e0 = FloatVector.broadcast(S, px[r0 + 0]);
            a00 = w0.fma(e0, a00);
            a01 = w1.fma(e0, a01);
            FloatVector e1 = FloatVector.broadcast(S, px[r0 + 1]);
            a10 = w0.fma(e1, a10);
            a11 = w1.fma(e1, a11);
            FloatVector e2 = FloatVector.broadcast(S, px[r0 + 2]);
            a20 = w0.fma(e2, a20);
            a21 = w1.fma(e2, a21);
            FloatVector e3 = FloatVector.broadcast(S, px[r0 + 3]);
            a30 = w0.fma(e3, a30);
            a31 = w1.fma(e3, a31);
            FloatVector e4 = FloatVector.broadcast(S, px[r0 + 4]);
            a40 = w0.fma(e4, a40);
            a41 = w1.fma(e4, a41);
            FloatVector e5 = FloatVector.broadcast(S, px[r0 + 5]);
            a50 = w0.fma(e5, a50);
            a51 = w1.fma(e5, a51);
            FloatVector e6 = FloatVector.broadcast(S, px[r0 + 6]);
            a60 = w0.fma(e6, a60);
            a61 = w1.fma(e6, a61);
            FloatVector e7 = FloatVector.broadcast(S, px[r0 + 7]);
            a70 = w0.fma(e7, a70);
            a71 = w1.fma(e7, a71);
        }
        a00.intoArray(o, ob0 + c0);
        a01.intoArray(o, ob0 + c1);
        a10.intoArray(o, ob1 + c0);
        a11.intoArray(o, ob1 + c1);
        a20.intoArray(o, ob2 + c0);
        a21.intoArray(o, ob2 + c1);
        a30.intoArray(o, ob3 + c0);
        a31.intoArray(o, ob3 + c1);
        a40.intoArray(o, ob4 + c0);
        a41.intoArray(o, ob4 + c1);
        a50.intoArray(o, ob5 + c0);
        a51.intoArray(o, ob5 + c1);
        a60.intoArray(o, ob6 + c0);
        a61.intoArray(o, ob6 + c1);
        a70.intoArray(o, ob7 + c0);
        a71.intoArray(o, ob7 + c1);
    }

    static void rows8x1(float[][] p, int[] keys, int[] vo, int from, int to, boolean fresh, float[] v, float[] o,
            int r0,
            int dv, int c0) {
        int ob0 = (r0 + 0) * dv;
        int ob1 = (r0 + 1) * dv;
        int ob2 = (r0 + 2) * dv;
        int ob3 = (r0 + 3) * dv;
        int ob4 = (r0 + 4) * dv;
        int ob5 = (r0 + 5) * dv;
        int ob6 = (r0 + 6) * dv;
        int ob7 = (r0 + 7) * dv;
        FloatVector a00 = start(fresh, o, ob0 + c0);
        FloatVector a10 = start(fresh, o, ob1 + c0);
        FloatVector a20 = start(fresh, o, ob2 + c0);
        FloatVector a30 = start(fresh, o, ob3 + c0);
        FloatVector a40 = start(fresh, o, ob4 + c0);
        FloatVector a50 = start(fresh, o, ob5 + c0);
        FloatVector a60 = start(fresh, o, ob6 + c0);
        FloatVector a70 = start(fresh, o, ob7 + c0);
        for (int x = from; x < to; x++) {
            float[] px = p[keys[x]];
            int vb = vo[x];
            FloatVector w0 = FloatVector.fromArray(S, v, vb + c0);
            FloatVector e0 = FloatVector.broadcast(S, px[r0 + 0]);
            a00 = w0.fma(e0, a00);
            FloatVector e1 = FloatVector.broadcast(S, px[r0 + 1]);
            a10 = w0.fma(e1, a10);
            FloatVector e2 = FloatVector.broadcast(S, px[r0 + 2]);
            a20 = w0.fma(e2, a20);
            FloatVector e3 = FloatVector.broadcast(S, px[r0 + 3]);
            a30 = w0.fma(e3, a30);
            FloatVector e4 = FloatVector.broadcast(S, px[r0 + 4]);
            a40 = w0.fma(e4, a40);
            FloatVector e5 = FloatVector.broadcast(S, px[r0 + 5]);
            a50 = w0.fma(e5, a50);
            FloatVector e6 = FloatVector.broadcast(S, px[r0 + 6]);
            a60 = w0.fma(e6, a60);
            FloatVector e7 = FloatVector.broadcast(S, px[r0 + 7]);
            a70 = w0.fma(e7, a70);
        }
        a00.intoArray(o, ob0 + c0);
        a10.intoArray(o, ob1 + c0);
        a20.intoArray(o, ob2 + c0);
        a30.intoArray(o, ob3 + c0);
        a40.intoArray(o, ob4 + c0);
        a50.intoArray(o, ob5 + c0);
        a60.intoArray(o, ob6 + c0);
        a70.intoArray(o, ob7 + c0);
    }
}

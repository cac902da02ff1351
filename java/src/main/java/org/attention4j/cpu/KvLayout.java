package org.attention4j.cpu;

import org.attention4j.spi.AttentionProblem;

/**
 * Keys and values of one (batch, key/value head) rearranged for {@link Kernels}: the keys, RoPE-rotated when
 * asked, as transposed tiles {@code kt[tile][c][jj]} of {@code Bc} keys (the last tile zero-padded), the values as
 * one array per key. Built once per (batch, kv head) and shared, read-only, by every query head of the group and
 * every query tile; it costs {@code O(Nk * (D + Dv))} floats, the size of the inputs it copies.
 */
final class KvLayout {
    /** Transposed key tiles: {@code kt[t][c][jj] = K[t * Bc + jj][c]}. */
    final float[][][] kt;
    /** Value rows: {@code v[j][c] = V[j][c]}. */
    final float[][] v;
    /** Whether some value is NaN or infinite (then masked keys must be skipped rather than weighted by 0). */
    final boolean valuesNonFinite;

    KvLayout(AttentionProblem p, int b, int hk, int bc, RopeTable rope) {
        int nk = p.nk();
        int d = p.dim();
        int dv = p.valueDim();
        int tiles = (nk + bc - 1) / bc;
        float[] k = p.k().data();
        float[] vd = p.v().data();
        kt = new float[tiles][d][bc];
        float[] row = new float[d];
        double[] scratch = rope == null ? null : new double[d];
        int kBase = (b * p.kvHeads() + hk) * nk * d;
        for (int j = 0; j < nk; j++) {
            float[] src = k;
            int so = kBase + j * d;
            if (rope != null) {
                rope.rotate(k, so, p.keyPosition(b, j), 1.0, row, 0, scratch);
                src = row;
                so = 0;
            }
            float[][] tile = kt[j / bc];
            int jj = j % bc;
            for (int c = 0; c < d; c++) {
                tile[c][jj] = src[so + c];
            }
        }
        v = new float[nk][];
        boolean nonFinite = false;
        int vBase = (b * p.kvHeads() + hk) * nk * dv;
        for (int j = 0; j < nk; j++) {
            float[] r = new float[dv];
            System.arraycopy(vd, vBase + j * dv, r, 0, dv);
            for (float x : r) {
                nonFinite |= !Float.isFinite(x);
            }
            v[j] = r;
        }
        valuesNonFinite = nonFinite;
    }

    /** Floats held, for sizing batches of layouts. */
    static long floats(AttentionProblem p, int bc) {
        long tiles = (p.nk() + bc - 1) / bc;
        return tiles * bc * p.dim() + (long) p.nk() * p.valueDim();
    }
}

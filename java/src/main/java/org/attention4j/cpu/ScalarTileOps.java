package org.attention4j.cpu;

import java.util.Arrays;

/**
 * The portable kind of {@link TileOps}: {@link TileLoops} and {@link FastExp}, plain Java loops over rows that
 * HotSpot's C2 vectorises by itself. Used when {@code jdk.incubator.vector} is not readable, or when
 * {@code attention4j.cpu.simd=scalar}.
 */
final class ScalarTileOps extends TileOps {
    @Override
    int lanes() {
        return 1;
    }

    @Override
    String describe() {
        return "scalar (C2 auto-vectorised loops)";
    }

    @Override
    void scores(float[][] qt, float[] k, int[] ko, float[][] p, int cnt, int n, int d, int[] lo, int[] hi) {
        TileLoops.scores(qt, k, ko, p, cnt, n, d);
    }

    @Override
    void accumulate(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot, int n, int dv) {
        TileLoops.accumulate(p, keys, vo, count, v, ot, n, dv);
    }

    @Override
    void rowMax(float[][] p, int cnt, float[] tileMax, int n) {
        Arrays.fill(tileMax, 0, n, Float.NEGATIVE_INFINITY);
        for (int jj = 0; jj < cnt; jj++) {
            TileLoops.maxInto(tileMax, p[jj], n);
        }
    }

    @Override
    void rescaleAndExp(float[] m, float[] tileMax, float[] shift, float[] alpha, float[] scratch, float[] l,
            float[][] ot, int n, int dv, float[][] p, int cnt, int[] lo, int[] hi) {
        TileLoops.updateMax(m, tileMax, shift, alpha, n);
        FastExp.expShifted(alpha, scratch, n, 0f);
        TileLoops.multiplyInto(l, alpha, n);
        for (int c = 0; c < dv; c++) {
            TileLoops.multiplyInto(ot[c], alpha, n);
        }
        for (int jj = 0; jj < cnt; jj++) {
            FastExp.expShifted(p[jj], shift, scratch, n);
            TileLoops.addInto(l, p[jj], n);
        }
    }

    @Override
    void expShifted(float[] s, float[] shift, float[] scratch, int n) {
        FastExp.expShifted(s, shift, scratch, n);
    }

    @Override
    void multiplyInto(float[] x, float[] f, int n) {
        TileLoops.multiplyInto(x, f, n);
    }

    @Override
    void addInto(float[] l, float[] s, int n) {
        TileLoops.addInto(l, s, n);
    }

    @Override
    void transposeIn(float[] st, int n, int d, double scale, float[][] qt) {
        for (int c = 0; c < d; c++) {
            float[] qc = qt[c];
            for (int r = 0; r < n; r++) {
                qc[r] = (float) (st[r * d + c] * scale);
            }
        }
    }

    @Override
    void transposeOut(float[][] ot, float[] inv, int n, int dv, float[] st) {
        for (int c = 0; c < dv; c++) {
            float[] oc = ot[c];
            for (int r = 0; r < n; r++) {
                st[r * dv + c] = oc[r] * inv[r];
            }
        }
    }

    @Override
    int maxRowMajorRows() {
        return 0;   // C2 vectorises neither the dot products nor offset loops: the row-lane loops stay faster
    }

    @Override
    void scoresByRow(float[] q, int rows, float[] k, int[] ko, int cnt, int d, float[][] p) {
        for (int jj = 0; jj < cnt; jj++) {
            for (int r = 0; r < rows; r++) {
                float s = 0f;
                for (int c = 0; c < d; c++) {
                    s = Math.fma(q[r * d + c], k[ko[jj] + c], s);
                }
                p[jj][r] = s;
            }
        }
    }

    @Override
    void accumulateByRow(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o, int rows, int dv) {
        for (int x = 0; x < count; x++) {
            for (int r = 0; r < rows; r++) {
                float w = p[keys[x]][r];
                for (int c = 0; c < dv; c++) {
                    o[r * dv + c] = Math.fma(w, v[vo[x] + c], o[r * dv + c]);
                }
            }
        }
    }

    @Override
    boolean rowMajorAccumulator(int dv) {
        return false;   // the rows-along-lanes loops are the ones C2 vectorises
    }

    @Override
    void accumulateRows(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o, int n, int dv,
            int[] lo, int[] hi, boolean fresh) {
        if (fresh) {
            Arrays.fill(o, 0, n * dv, 0f);
        }
        accumulateByRow(p, keys, vo, count, v, o, n, dv);
    }

    @Override
    void scaleRows(float[] o, float[] f, int n, int dv) {
        for (int r = 0; r < n; r++) {
            float a = f[r];
            if (a != 1f) {
                for (int c = r * dv; c < (r + 1) * dv; c++) {
                    o[c] *= a;
                }
            }
        }
    }

    @Override
    void writeRows(float[] o, float[] inv, int n, int dv, float[] out, int[] base) {
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < dv; c++) {
                out[base[r] + c] = o[r * dv + c] * inv[r];
            }
        }
    }

    @Override
    boolean allFinite(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(x[i])) {
                return false;
            }
        }
        return true;
    }
}

package org.attention4j.cpu;

/**
 * The inner loops of the tiled engine, shaped for HotSpot C2's auto-vectoriser on Java 17.
 *
 * <p>Two rules of that vectoriser shape everything here: an array index must be the loop variable itself (a
 * run-time offset such as {@code a[off + j]} keeps the loop scalar), and float sums are never vectorised (Java's
 * strict order). So the key tile is stored transposed as {@code D} separate rows of {@code Bc} floats and the
 * scores come out as an axpy over keys, {@code S_i += q_ic * K^T_c}, four {@code c} at a time; values are stored
 * one array per key and {@code O_i += p_ij V_j} is an axpy over {@code Dv}, four keys at a time. Max and sum over a
 * row stay scalar; they are a small part of the work.
 */
final class Kernels {
    private Kernels() {
    }

    /** {@code s[jj] = sum_c q[qo + c] * kt[c][jj]} for {@code jj < bc}. */
    static void scores(float[] q, int qo, float[][] kt, float[] s, int bc, int d) {
        java.util.Arrays.fill(s, 0, bc, 0f);
        int c = 0;
        for (; c + 3 < d; c += 4) {
            float a0 = q[qo + c];
            float a1 = q[qo + c + 1];
            float a2 = q[qo + c + 2];
            float a3 = q[qo + c + 3];
            float[] k0 = kt[c];
            float[] k1 = kt[c + 1];
            float[] k2 = kt[c + 2];
            float[] k3 = kt[c + 3];
            for (int jj = 0; jj < bc; jj++) {
                s[jj] = Math.fma(a3, k3[jj], Math.fma(a2, k2[jj], Math.fma(a1, k1[jj], Math.fma(a0, k0[jj], s[jj]))));
            }
        }
        for (; c < d; c++) {
            float a0 = q[qo + c];
            float[] k0 = kt[c];
            for (int jj = 0; jj < bc; jj++) {
                s[jj] = Math.fma(a0, k0[jj], s[jj]);
            }
        }
    }

    /** {@code o += sum_{a <= jj < z} p[jj] * v[j0 + jj]}. */
    static void accumulate(float[] p, int a, int z, float[][] v, int j0, float[] o, int dv) {
        int jj = a;
        for (; jj + 3 < z; jj += 4) {
            float p0 = p[jj];
            float p1 = p[jj + 1];
            float p2 = p[jj + 2];
            float p3 = p[jj + 3];
            float[] v0 = v[j0 + jj];
            float[] v1 = v[j0 + jj + 1];
            float[] v2 = v[j0 + jj + 2];
            float[] v3 = v[j0 + jj + 3];
            for (int c = 0; c < dv; c++) {
                o[c] = Math.fma(p3, v3[c], Math.fma(p2, v2[c], Math.fma(p1, v1[c], Math.fma(p0, v0[c], o[c]))));
            }
        }
        for (; jj < z; jj++) {
            float p0 = p[jj];
            float[] v0 = v[j0 + jj];
            for (int c = 0; c < dv; c++) {
                o[c] = Math.fma(p0, v0[c], o[c]);
            }
        }
    }

    /**
     * Like {@link #accumulate} but skips keys whose weight is exactly 0, so that a masked key's non-finite value
     * row cannot leak in as {@code 0 * NaN}. Used only when V holds non-finite values.
     */
    static void accumulateSkippingZeros(float[] p, int a, int z, float[][] v, int j0, float[] o, int dv) {
        for (int jj = a; jj < z; jj++) {
            float p0 = p[jj];
            if (p0 == 0f) {
                continue;
            }
            float[] v0 = v[j0 + jj];
            for (int c = 0; c < dv; c++) {
                o[c] = Math.fma(p0, v0[c], o[c]);
            }
        }
    }

    /** The max of {@code s[a..z)}, NaN if any is NaN, {@code -inf} for an empty range. */
    static float max(float[] s, int a, int z) {
        float m = Float.NEGATIVE_INFINITY;
        for (int jj = a; jj < z; jj++) {
            m = Math.max(m, s[jj]);
        }
        return m;
    }

    /** The sum of {@code s[a..z)}. */
    static float sum(float[] s, int a, int z) {
        float t = 0f;
        for (int jj = a; jj < z; jj++) {
            t += s[jj];
        }
        return t;
    }

    /** {@code x[c] *= f} for {@code c < n}. */
    static void scale(float[] x, int n, float f) {
        for (int c = 0; c < n; c++) {
            x[c] *= f;
        }
    }
}

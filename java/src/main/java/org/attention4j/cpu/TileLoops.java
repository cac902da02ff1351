package org.attention4j.cpu;

/**
 * The inner loops of the tiled engine, shaped for HotSpot C2's auto-vectoriser on Java 17.
 *
 * <p>Three limits of that vectoriser shape everything here (HotSpot 17's superword pass): an array index must be the
 * loop variable itself (a run-time offset such as {@code a[off + r]} keeps the loop scalar); float sums are never
 * vectorised (Java's strict order); and a loop body with more than about six fused multiply-adds is not unrolled,
 * hence not vectorised. So every hot loop runs over the query rows {@code r} of a tile, with one array per row of
 * the transposed operands: the query tile as {@code Qt[c][r]}, the scores/probabilities of key {@code jj} as
 * {@code P[jj][r]}, the accumulator as {@code Ot[c][r]}. Then {@code S = Q K^T}, the row max, the row sum, the
 * rescale and {@code O += P V} are all element-wise over {@code r}, with K and V entries as scalar coefficients,
 * six at a time.
 */
final class TileLoops {
    private TileLoops() {
    }

    /**
     * {@code p[jj][r] = sum_c k[ko[jj] + c] * qt[c][r]} for the {@code cnt} keys of a tile and {@code r < n}.
     * Head-dim groups outer: six query rows stay in L1 while the tile's score rows stream past them.
     */
    static void scores(float[][] qt, float[] k, int[] ko, float[][] p, int cnt, int n, int d) {
        for (int jj = 0; jj < cnt; jj++) {
            java.util.Arrays.fill(p[jj], 0, n, 0f);
        }
        int c = 0;
        for (; c + 5 < d; c += 6) {
            float[] q0 = qt[c];
            float[] q1 = qt[c + 1];
            float[] q2 = qt[c + 2];
            float[] q3 = qt[c + 3];
            float[] q4 = qt[c + 4];
            float[] q5 = qt[c + 5];
            for (int jj = 0; jj < cnt; jj++) {
                int o = ko[jj] + c;
                float a0 = k[o];
                float a1 = k[o + 1];
                float a2 = k[o + 2];
                float a3 = k[o + 3];
                float a4 = k[o + 4];
                float a5 = k[o + 5];
                float[] s = p[jj];
                for (int r = 0; r < n; r++) {
                    s[r] = Math.fma(a5, q5[r], Math.fma(a4, q4[r], Math.fma(a3, q3[r],
                            Math.fma(a2, q2[r], Math.fma(a1, q1[r], Math.fma(a0, q0[r], s[r]))))));
                }
            }
        }
        for (; c + 1 < d; c += 2) {
            float[] q0 = qt[c];
            float[] q1 = qt[c + 1];
            for (int jj = 0; jj < cnt; jj++) {
                float a0 = k[ko[jj] + c];
                float a1 = k[ko[jj] + c + 1];
                float[] s = p[jj];
                for (int r = 0; r < n; r++) {
                    s[r] = Math.fma(a1, q1[r], Math.fma(a0, q0[r], s[r]));
                }
            }
        }
        for (; c < d; c++) {
            float[] q0 = qt[c];
            for (int jj = 0; jj < cnt; jj++) {
                float a0 = k[ko[jj] + c];
                float[] s = p[jj];
                for (int r = 0; r < n; r++) {
                    s[r] = Math.fma(a0, q0[r], s[r]);
                }
            }
        }
    }

    /**
     * {@code ot[c][r] += sum_x v[vo[x] + c] * p[keys[x]][r]} over the {@code count} keys listed in {@code keys}
     * (tile-local indices) whose value rows start at {@code vo[x]}.
     */
    static void accumulate(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot, int n, int dv) {
        // Key groups outer: the six probability rows stay in L1 while the accumulator rows stream past them.
        int x = 0;
        for (; x + 5 < count; x += 6) {
            float[] p0 = p[keys[x]];
            float[] p1 = p[keys[x + 1]];
            float[] p2 = p[keys[x + 2]];
            float[] p3 = p[keys[x + 3]];
            float[] p4 = p[keys[x + 4]];
            float[] p5 = p[keys[x + 5]];
            int o0 = vo[x];
            int o1 = vo[x + 1];
            int o2 = vo[x + 2];
            int o3 = vo[x + 3];
            int o4 = vo[x + 4];
            int o5 = vo[x + 5];
            for (int c = 0; c < dv; c++) {
                float b0 = v[o0 + c];
                float b1 = v[o1 + c];
                float b2 = v[o2 + c];
                float b3 = v[o3 + c];
                float b4 = v[o4 + c];
                float b5 = v[o5 + c];
                float[] o = ot[c];
                for (int r = 0; r < n; r++) {
                    o[r] = Math.fma(b5, p5[r], Math.fma(b4, p4[r], Math.fma(b3, p3[r],
                            Math.fma(b2, p2[r], Math.fma(b1, p1[r], Math.fma(b0, p0[r], o[r]))))));
                }
            }
        }
        for (; x < count; x++) {
            float[] p0 = p[keys[x]];
            int o0 = vo[x];
            for (int c = 0; c < dv; c++) {
                float b0 = v[o0 + c];
                float[] o = ot[c];
                for (int r = 0; r < n; r++) {
                    o[r] = Math.fma(b0, p0[r], o[r]);
                }
            }
        }
    }

    /**
     * Adds one key whose value row holds NaN or infinity, skipping the rows that key is masked for (score
     * {@code -inf}) so that it cannot leak in as {@code 0 * NaN}. A visible key whose weight underflowed to 0 is
     * still added: IEEE {@code 0 * NaN} is NaN, as in the reference.
     */
    static void accumulateNonFinite(float[] p, float[] score, float[] v, int vo, float[][] ot, int n, int dv) {
        for (int r = 0; r < n; r++) {
            if (score[r] == Float.NEGATIVE_INFINITY) {
                continue;
            }
            for (int c = 0; c < dv; c++) {
                ot[c][r] = Math.fma(v[vo + c], p[r], ot[c][r]);
            }
        }
    }

    /** {@code m[r] = max(m[r], s[r])}, NaN-propagating. */
    static void maxInto(float[] m, float[] s, int n) {
        for (int r = 0; r < n; r++) {
            m[r] = Math.max(m[r], s[r]);
        }
    }

    /** {@code l[r] += s[r]}. */
    static void addInto(float[] l, float[] s, int n) {
        for (int r = 0; r < n; r++) {
            l[r] += s[r];
        }
    }

    /** {@code x[r] *= f[r]}. */
    static void multiplyInto(float[] x, float[] f, int n) {
        for (int r = 0; r < n; r++) {
            x[r] *= f[r];
        }
    }

    /**
     * The new running max and the shifts for one tile: {@code mNew = max(m, tileMax)}, {@code shift = max(mNew,
     * -Float.MAX_VALUE)} (finite even before any key was seen, so {@code -inf - shift} stays {@code -inf}), and
     * {@code alpha = m - shift} (exponentiated later) into {@code alpha}; {@code m} becomes {@code mNew}.
     */
    static void updateMax(float[] m, float[] tileMax, float[] shift, float[] alpha, int n) {
        for (int r = 0; r < n; r++) {
            float mNew = Math.max(m[r], tileMax[r]);
            float sh = Math.max(mNew, -Float.MAX_VALUE);
            alpha[r] = m[r] - sh;
            shift[r] = sh;
            m[r] = mNew;
        }
    }
}

package org.attention4j.cpu;

import org.attention4j.testing.Visibility;
import org.attention4j.AttentionMask;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.spi.AttentionProblem;

/**
 * The same computation as {@link ReferenceBackend} in float32 with the textbook two-pass softmax: the error it makes
 * against the float64 reference sets the tolerance of the tiled engine (FlashAttention's rule).
 */
final class NaiveFloat32 {
    final float[] out;
    final float[] weights;
    final float[] lse;

    NaiveFloat32(AttentionProblem p) {
        int bN = p.batch(), hN = p.heads(), nq = p.nq(), nk = p.nk(), d = p.dim(), dv = p.valueDim();
        float[] q = p.q().data(), k = p.k().data(), v = p.v().data();
        out = new float[bN * hN * nq * dv];
        weights = new float[bN * hN * nq * nk];
        lse = new float[bN * hN * nq];
        AttentionMask mask = p.mask();
        long[] ms = p.maskStrides();
        float[] slopes = p.alibiSlopes();
        float scale = (float) p.scale();
        float[] qi = new float[d];
        float[][] kr = new float[nk][d];
        float[] s = new float[nk];
        boolean[] vis = new boolean[nk];
        for (int b = 0; b < bN; b++) {
            int off = p.diagonalOffset(b);
            for (int h = 0; h < hN; h++) {
                int hk = h / p.group();
                for (int j = 0; j < nk; j++) {
                    System.arraycopy(k, ((b * p.kvHeads() + hk) * nk + j) * d, kr[j], 0, d);
                    if (p.rope() != null) {
                        rotate(kr[j], p.keyPosition(b, j), p.rope());
                    }
                }
                for (int i = 0; i < nq; i++) {
                    System.arraycopy(q, ((b * hN + h) * nq + i) * d, qi, 0, d);
                    if (p.rope() != null) {
                        rotate(qi, p.queryPosition(b, i), p.rope());
                    }
                    float max = Float.NEGATIVE_INFINITY;
                    boolean any = false;
                    for (int j = 0; j < nk; j++) {
                        boolean ok = Visibility.visible(p.causal().ordinal(), p.windowLeft(), p.windowRight(),
                                p.kvLength(b), i, j, off);
                        float bias = 0;
                        if (mask != null) {
                            int m = (int) (b * ms[0] + h * ms[1] + i * ms[2] + j * ms[3]);
                            if (mask.isBoolean()) {
                                ok &= mask.booleanData()[m];
                            } else {
                                bias += mask.floatData()[m];
                            }
                        }
                        if (slopes != null) {
                            bias -= slopes[h] * (float) Visibility.distance(i, j, off);
                        }
                        vis[j] = ok;
                        if (!ok) {
                            continue;
                        }
                        float dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += qi[c] * kr[j][c];
                        }
                        s[j] = scale * dot + bias;
                        if (s[j] == Float.NEGATIVE_INFINITY) {
                            vis[j] = false;
                            continue;
                        }
                        any = true;
                        max = Float.isNaN(s[j]) || Float.isNaN(max) ? Float.NaN : Math.max(max, s[j]);
                    }
                    int row = (b * hN + h) * nq + i;
                    if (!any) {
                        lse[row] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    float sum = 0;
                    for (int j = 0; j < nk; j++) {
                        if (vis[j]) {
                            sum += (float) Math.exp(s[j] - max);
                        }
                    }
                    for (int j = 0; j < nk; j++) {
                        if (!vis[j]) {
                            continue;
                        }
                        float pj = (float) Math.exp(s[j] - max) / sum;
                        weights[row * nk + j] = pj;
                        int vb = ((b * p.kvHeads() + hk) * nk + j) * dv;
                        for (int c = 0; c < dv; c++) {
                            out[row * dv + c] += pj * v[vb + c];
                        }
                    }
                    lse[row] = max + (float) Math.log(sum);
                }
            }
        }
    }

    private static void rotate(float[] x, int pos, Rope rope) {
        double[] invFreq = rope.inverseFrequencies(x.length);
        int half = invFreq.length;
        float factor = (float) rope.attentionFactor();
        for (int t = 0; t < half; t++) {
            double angle = pos * invFreq[t];
            float cos = (float) Math.cos(angle) * factor, sin = (float) Math.sin(angle) * factor;
            int a = rope.style() == RopeStyle.HALF ? t : 2 * t;
            int b = rope.style() == RopeStyle.HALF ? t + half : 2 * t + 1;
            float xa = x[a], xb = x[b];
            x[a] = xa * cos - xb * sin;
            x[b] = xb * cos + xa * sin;
        }
    }
}

package org.attention4j.testing;

import org.attention4j.AttentionMask;
import org.attention4j.Float16;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.cuda.Precision;
import org.attention4j.spi.AttentionProblem;

/**
 * The naive computation at a given precision, the baseline of FlashAttention's tolerance rule ({@link Tolerance}):
 * the float64 reference's loops and masking semantics, but in float32 with the textbook two-pass softmax, and the
 * operands of each GEMM rounded as a GPU rounds them at {@code prec} (TF32: 10-bit mantissas; FP16/BF16: the
 * rotated Q and K, P and V in that type; inputs are expected already rounded). At {@link Precision#FP32} it is the
 * same computation as the CPU engine's at the same precision; its error against the reference sets the engine's
 * tolerance.
 */
public final class NaiveAttention {
    /** {@code [B, Hq, Nq, Dv]}. */
    public final float[] out;
    /** {@code [B, Hq, Nq, Nk]}, 0 where masked. */
    public final float[] weights;
    /** {@code [B, Hq, Nq]}, {@code -inf} for a row that sees no key. */
    public final float[] lse;

    /** The float32 baseline. */
    public NaiveAttention(AttentionProblem p) {
        this(p, Precision.FP32);
    }

    public NaiveAttention(AttentionProblem p, Precision prec) {
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
                    load(k, ((b * p.kvHeads() + hk) * nk + j) * d, kr[j], p.rope(), p.keyPosition(b, j), prec);
                }
                for (int i = 0; i < nq; i++) {
                    load(q, ((b * hN + h) * nq + i) * d, qi, p.rope(), p.queryPosition(b, i), prec);
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
                            s[j] = (float) Math.exp(s[j] - max);
                            sum += s[j];
                        }
                    }
                    for (int j = 0; j < nk; j++) {
                        if (!vis[j]) {
                            continue;
                        }
                        float pj = s[j] / sum;
                        weights[row * nk + j] = pj;
                        float pr = round(pj, prec);
                        int vb = ((b * p.kvHeads() + hk) * nk + j) * dv;
                        for (int c = 0; c < dv; c++) {
                            out[row * dv + c] += pr * round(v[vb + c], prec);
                        }
                    }
                    lse[row] = max + (float) Math.log(sum);
                }
            }
        }
    }

    /** Rounds to the precision's GEMM operand format (FP32: unchanged). */
    public static float round(float x, Precision p) {
        switch (p) {
            case TF32: {
                int b = Float.floatToRawIntBits(x);
                if ((b & 0x7f800000) == 0x7f800000) {
                    return x;
                }
                b += 0xfff + ((b >>> 13) & 1);
                return Float.intBitsToFloat(b & 0xffffe000);
            }
            case FP16:
                return Float16.halfToFloat(Float16.toHalf(x));
            case BF16:
                return Float16.bfloat16ToFloat(Float16.toBfloat16(x));
            default:
                return x;
        }
    }

    /** A row of Q or K, rotated when asked, as the GEMM sees it. */
    private static void load(float[] src, int base, float[] x, Rope rope, int pos, Precision prec) {
        System.arraycopy(src, base, x, 0, x.length);
        if (rope != null) {
            rotate(x, pos, rope, prec);
        }
        for (int c = 0; c < x.length; c++) {
            x[c] = round(x[c], prec);
        }
    }

    private static void rotate(float[] x, int pos, Rope rope, Precision prec) {
        double[] invFreq = rope.inverseFrequencies(x.length);
        int half = invFreq.length;
        float factor = (float) rope.attentionFactor();
        // A GPU rotates in fp32 and stores the result in the input type (TF32 inputs are fp32).
        Precision stored = prec == Precision.TF32 ? Precision.FP32 : prec;
        for (int t = 0; t < half; t++) {
            double angle = pos * invFreq[t];
            float cos = (float) Math.cos(angle) * factor, sin = (float) Math.sin(angle) * factor;
            int a = rope.style() == RopeStyle.HALF ? t : 2 * t;
            int b = rope.style() == RopeStyle.HALF ? t + half : 2 * t + 1;
            float xa = x[a], xb = x[b];
            x[a] = round(xa * cos - xb * sin, stored);
            x[b] = round(xb * cos + xa * sin, stored);
        }
    }
}

package org.attention4j.cuda;

import org.attention4j.testing.Visibility;
import org.attention4j.AttentionMask;
import org.attention4j.RopeStyle;
import org.attention4j.spi.AttentionProblem;

/**
 * The naive CPU computation at a GPU precision, the baseline of FlashAttention's tolerance rule: the reference's
 * loops (same masking semantics) but in float32, with the operands of each GEMM rounded as the GPU rounds them
 * (TF32: 10-bit mantissas; FP16/BF16: P stored in that type; inputs are expected already rounded).
 */
final class LowPrecisionAttention {
    private LowPrecisionAttention() {
    }

    /** Rounds to the precision's GEMM operand format. */
    static float round(float x, Precision p) {
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
                return HalfFloats.halfToFloat(HalfFloats.toHalf(x));
            case BF16:
                return HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(x));
            default:
                return x;
        }
    }

    /** Output {@code [B, Hq, Nq, Dv]} as float32 computed naively at precision {@code prec}. */
    static float[] output(AttentionProblem p, Precision prec) {
        int bN = p.batch(), hN = p.heads(), nq = p.nq(), nk = p.nk(), d = p.dim(), dv = p.valueDim();
        float[] q = p.q().data(), k = p.k().data(), v = p.v().data();
        float[] out = new float[bN * hN * nq * dv];
        AttentionMask mask = p.mask();
        long[] ms = p.maskStrides();
        float[] slopes = p.alibiSlopes();
        float[] qi = new float[d];
        float[][] kr = new float[nk][d];
        float[] s = new float[nk];
        boolean[] vis = new boolean[nk];
        for (int b = 0; b < bN; b++) {
            int off = p.diagonalOffset(b);
            for (int h = 0; h < hN; h++) {
                int hk = h / p.group();
                for (int j = 0; j < nk; j++) {
                    int base = ((b * p.kvHeads() + hk) * nk + j) * d;
                    for (int c = 0; c < d; c++) {
                        kr[j][c] = k[base + c];
                    }
                    if (p.rope() != null) {
                        rotate(kr[j], p.keyPosition(b, j), p.rope().base(), p.rope().style(), prec);
                    }
                    for (int c = 0; c < d; c++) {
                        kr[j][c] = round(kr[j][c], prec);
                    }
                }
                for (int i = 0; i < nq; i++) {
                    int qb = ((b * hN + h) * nq + i) * d;
                    for (int c = 0; c < d; c++) {
                        qi[c] = q[qb + c];
                    }
                    if (p.rope() != null) {
                        rotate(qi, p.queryPosition(b, i), p.rope().base(), p.rope().style(), prec);
                    }
                    for (int c = 0; c < d; c++) {
                        qi[c] = round(qi[c], prec);
                    }
                    float max = Float.NEGATIVE_INFINITY;
                    boolean any = false;
                    for (int j = 0; j < nk; j++) {
                        boolean ok = Visibility.visible(p.causal().ordinal(), p.windowLeft(), p.windowRight(),
                                p.kvLength(b), i, j, off);
                        float dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += qi[c] * kr[j][c];
                        }
                        float x = (float) p.scale() * dot;
                        if (mask != null) {
                            long m = b * ms[0] + h * ms[1] + i * ms[2] + j * ms[3];
                            if (mask.isBoolean()) {
                                ok &= mask.booleanData()[(int) m];
                            } else {
                                x += mask.floatData()[(int) m];
                            }
                        }
                        if (slopes != null) {
                            x -= slopes[h] * (float) Visibility.distance(i, j, off);
                        }
                        ok &= x != Float.NEGATIVE_INFINITY;
                        vis[j] = ok;
                        s[j] = x;
                        if (ok) {
                            any = true;
                            max = Math.max(max, x);
                        }
                    }
                    int row = (b * hN + h) * nq + i;
                    if (!any) {
                        continue;
                    }
                    float sum = 0;
                    for (int j = 0; j < nk; j++) {
                        if (vis[j]) {
                            s[j] = (float) Math.exp(s[j] - max);
                            sum += s[j];
                        }
                    }
                    for (int c = 0; c < dv; c++) {
                        float acc = 0;
                        for (int j = 0; j < nk; j++) {
                            if (vis[j]) {
                                float pj = round(s[j] / sum, prec);
                                acc += pj * round(v[((b * p.kvHeads() + hk) * nk + j) * dv + c], prec);
                            }
                        }
                        out[row * dv + c] = acc;
                    }
                }
            }
        }
        return out;
    }

    private static void rotate(float[] x, int pos, double base, RopeStyle style, Precision prec) {
        int d = x.length, half = d / 2;
        for (int t = 0; t < half; t++) {
            double angle = pos * Math.pow(base, -2.0 * t / d);
            float cos = (float) Math.cos(angle), sin = (float) Math.sin(angle);
            int a = style == RopeStyle.HALF ? t : 2 * t;
            int b = style == RopeStyle.HALF ? t + half : 2 * t + 1;
            float xa = x[a], xb = x[b];
            // The GPU rotates in fp32 and stores the result in the input type.
            x[a] = round(xa * cos - xb * sin, prec == Precision.TF32 ? Precision.FP32 : prec);
            x[b] = round(xb * cos + xa * sin, prec == Precision.TF32 ? Precision.FP32 : prec);
        }
    }
}

package org.attention4j.cpu;

import org.attention4j.AttentionMask;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Causal;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionProblem;

/**
 * The oracle: plain loops, float64 throughout, one query row at a time, written to be checked by eye. Every
 * other backend is tested against it. It materialises one row of scores at a time, so it is slow but not
 * memory-hungry; it is single-threaded and stateless, hence thread-safe.
 */
public final class ReferenceBackend implements AttentionBackend {

    @Override
    public Backend kind() {
        return Backend.REFERENCE;
    }

    @Override
    public AttentionResult compute(AttentionProblem p) {
        if (p.isTrivial()) {
            return p.trivialResult(kind());    // before the per-key scratch, which may be huge
        }
        int bN = p.batch(), hN = p.heads(), nq = p.nq(), nk = p.nk(), d = p.dim(), dv = p.valueDim();
        float[] q = p.q().data();      // q: (B, Hq, Nq, D)
        float[] k = p.k().data();      // k: (B, Hkv, Nk, D)
        float[] v = p.v().data();      // v: (B, Hkv, Nk, Dv)
        float[] out = new float[bN * hN * nq * dv];                       // out: (B, Hq, Nq, Dv)
        float[] weights = p.returnWeights() ? new float[bN * hN * nq * nk] : null;  // (B, Hq, Nq, Nk)
        float[] lse = p.returnLse() ? new float[bN * hN * nq] : null;    // lse: (B, Hq, Nq)
        AttentionMask mask = p.mask();
        long[] ms = p.maskStrides();
        float[] slopes = p.alibiSlopes();

        double[] invFreq = p.rope() == null ? null : p.rope().inverseFrequencies(d);
        double[] qi = new double[d];
        double[][] kr = new double[nk][d];
        double[] s = new double[nk];
        boolean[] visible = new boolean[nk];
        for (int b = 0; b < bN; b++) {
            long offset = p.diagonalOffset(b);   // long: i + offset - j must not wrap
            for (int h = 0; h < hN; h++) {
                int hk = h / p.group();
                // Keys of this (b, kv head), rotated if RoPE is on.
                for (int j = 0; j < nk; j++) {
                    int base = ((b * p.kvHeads() + hk) * nk + j) * d;
                    for (int c = 0; c < d; c++) {
                        kr[j][c] = k[base + c];
                    }
                    if (p.rope() != null) {
                        rotate(kr[j], p.keyPosition(b, j), p.rope(), invFreq);
                    }
                }
                for (int i = 0; i < nq; i++) {
                    int qBase = ((b * hN + h) * nq + i) * d;
                    for (int c = 0; c < d; c++) {
                        qi[c] = q[qBase + c];
                    }
                    if (p.rope() != null) {
                        rotate(qi, p.queryPosition(b, i), p.rope(), invFreq);
                    }
                    // Scores with every mask and bias.
                    double max = Double.NEGATIVE_INFINITY;
                    boolean any = false;
                    for (int j = 0; j < nk; j++) {
                        boolean vis = j < p.kvLength(b);
                        if (p.causal() == Causal.BOTTOM_RIGHT) {
                            vis &= j <= i + offset;
                        } else if (p.causal() == Causal.TOP_LEFT) {
                            vis &= j <= i;
                        }
                        if (p.windowLeft() >= 0) {
                            vis &= j >= (long) i + offset - p.windowLeft();   // long: a huge side must not wrap
                        }
                        if (p.windowRight() >= 0) {
                            vis &= j <= (long) i + offset + p.windowRight();
                        }
                        double bias = 0;
                        if (mask != null) {
                            long m = b * ms[0] + h * ms[1] + i * ms[2] + j * ms[3];
                            if (mask.isBoolean()) {
                                vis &= mask.booleanData()[(int) m];
                            } else {
                                bias += mask.floatData()[(int) m];
                            }
                        }
                        if (slopes != null) {
                            bias -= slopes[h] * (double) Math.abs(i + offset - j);
                        }
                        visible[j] = vis;
                        if (!vis) {
                            continue;
                        }
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += qi[c] * kr[j][c];
                        }
                        s[j] = p.scale() * dot + bias;
                        // A -inf float mask entry removes the key just like a false boolean.
                        if (s[j] == Double.NEGATIVE_INFINITY) {
                            visible[j] = false;
                            continue;
                        }
                        any = true;
                        max = Double.isNaN(s[j]) || Double.isNaN(max) ? Double.NaN : Math.max(max, s[j]);
                    }
                    int row = (b * hN + h) * nq + i;
                    if (!any) {
                        // No visible key: output 0, weights 0, lse -inf (never NaN).
                        if (lse != null) {
                            lse[row] = Float.NEGATIVE_INFINITY;
                        }
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < nk; j++) {
                        if (visible[j]) {
                            sum += Math.exp(s[j] - max);
                        }
                    }
                    double[] acc = new double[dv];
                    for (int j = 0; j < nk; j++) {
                        if (!visible[j]) {
                            continue;
                        }
                        double pj = Math.exp(s[j] - max) / sum;
                        if (weights != null) {
                            weights[row * nk + j] = (float) pj;
                        }
                        int vBase = ((b * p.kvHeads() + hk) * nk + j) * dv;
                        for (int c = 0; c < dv; c++) {
                            acc[c] += pj * v[vBase + c];
                        }
                    }
                    for (int c = 0; c < dv; c++) {
                        out[row * dv + c] = (float) acc[c];
                    }
                    if (lse != null) {
                        lse[row] = (float) (max + Math.log(sum));
                    }
                }
            }
        }
        return new AttentionResult(
                Tensor.of(out, bN, hN, nq, dv),
                weights == null ? null : Tensor.of(weights, bN, hN, nq, nk),
                lse == null ? null : Tensor.of(lse, bN, hN, nq),
                Backend.REFERENCE);
    }

    /**
     * Rotates one head vector in place by RoPE at {@code pos}: pair t of the first {@code R} elements (the rotary
     * dim) turns by {@code pos * invFreq[t]} ({@link Rope#inverseFrequencies}), its cos and sin times the
     * attention factor; the elements past {@code R} stay as they are.
     */
    static void rotate(double[] x, int pos, Rope rope, double[] invFreq) {
        int half = invFreq.length;
        double factor = rope.attentionFactor();
        for (int t = 0; t < half; t++) {
            double angle = pos * invFreq[t];
            double cos = Math.cos(angle) * factor, sin = Math.sin(angle) * factor;
            int a = rope.style() == RopeStyle.HALF ? t : 2 * t;
            int b = rope.style() == RopeStyle.HALF ? t + half : 2 * t + 1;
            double xa = x[a], xb = x[b];
            x[a] = xa * cos - xb * sin;
            x[b] = xb * cos + xa * sin;
        }
    }

    @Override
    public void close() {
        // Nothing to release.
    }
}

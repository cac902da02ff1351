package org.attention4j.nn;

import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;

/**
 * An independent float64 oracle for {@link MultiHeadAttention}: projections, per-head softmax attention (causal
 * bottom-right, key lengths, ALiBi, RoPE), head merge and output projection, in plain loops. It reads only the
 * layer's parameters, never its forward code.
 */
final class Float64Mha {
    /** Output {@code [B, N, E]} and weights {@code [B, H, N, M]}. */
    record Result(double[] out, double[] weights) {
    }

    private Float64Mha() {
    }

    static double[] linear(double[] x, int rows, Linear l) {
        float[] w = l.weight().data();
        int in = l.inFeatures();
        int out = l.outFeatures();
        float[] b = l.bias().map(Tensor::data).orElse(null);
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = b == null ? 0 : b[o];
                for (int k = 0; k < in; k++) {
                    acc += x[r * in + k] * (double) w[o * in + k];
                }
                y[r * out + o] = acc;
            }
        }
        return y;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /**
     * The layer applied to x {@code [B, N, E]} with contexts kc {@code [B, M, kdim]} and vc {@code [B, M, vdim]}.
     *
     * @param kvLengths null or per-batch key lengths
     * @param rope      null or RoPE with default positions
     * @param slopes    null or ALiBi slopes per head
     */
    static Result forward(MultiHeadAttention mha, double[] x, double[] kc, double[] vc, int batch, int n, int m,
            boolean causal, int[] kvLengths, Rope rope, float[] slopes) {
        int e = mha.embedDim();
        int h = mha.numHeads();
        int hkv = mha.numKvHeads();
        int hd = mha.headDim();
        double[] q = linear(x, batch * n, mha.qProj());
        double[] k = linear(kc, batch * m, mha.kProj());
        double[] v = linear(vc, batch * m, mha.vProj());
        double[] o = new double[batch * n * e];
        double[] weights = new double[batch * h * n * m];
        int kvw = hkv * hd;
        for (int b = 0; b < batch; b++) {
            for (int head = 0; head < h; head++) {
                int kvh = head / (h / hkv);
                for (int i = 0; i < n; i++) {
                    double[] qi = new double[hd];
                    System.arraycopy(q, (b * n + i) * e + head * hd, qi, 0, hd);
                    if (rope != null) {
                        rotate(qi, m - n + i, rope);
                    }
                    double[] s = new double[m];
                    boolean[] vis = new boolean[m];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < m; j++) {
                        vis[j] = (!causal || j <= i + m - n) && (kvLengths == null || j < kvLengths[b]);
                        if (!vis[j]) {
                            continue;
                        }
                        double[] kj = new double[hd];
                        System.arraycopy(k, (b * m + j) * kvw + kvh * hd, kj, 0, hd);
                        if (rope != null) {
                            rotate(kj, j, rope);
                        }
                        double dot = 0;
                        for (int c = 0; c < hd; c++) {
                            dot += qi[c] * kj[c];
                        }
                        s[j] = dot / Math.sqrt(hd);
                        if (slopes != null) {
                            s[j] -= slopes[head] * (double) Math.abs(i + m - n - j);
                        }
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < m; j++) {
                        if (vis[j]) {
                            sum += Math.exp(s[j] - max);
                        }
                    }
                    for (int j = 0; j < m; j++) {
                        if (!vis[j]) {
                            continue;
                        }
                        double p = Math.exp(s[j] - max) / sum;
                        weights[((b * h + head) * n + i) * m + j] = p;
                        for (int c = 0; c < hd; c++) {
                            o[(b * n + i) * e + head * hd + c] += p * v[(b * m + j) * kvw + kvh * hd + c];
                        }
                    }
                }
            }
        }
        return new Result(linear(o, batch * n, mha.outProj()), weights);
    }

    /**
     * RoPE written out: pair t of the rotary part turns by {@code pos * invFreq[t]} (partial rotary and the
     * scalings as {@link Rope#inverseFrequencies} gives them), cos and sin times the attention factor.
     */
    static void rotate(double[] x, int pos, Rope rope) {
        double[] inv = rope.inverseFrequencies(x.length);
        int half = inv.length;
        double f = rope.attentionFactor();
        for (int t = 0; t < half; t++) {
            double angle = pos * inv[t];
            int a = rope.style() == RopeStyle.HALF ? t : 2 * t;
            int b = rope.style() == RopeStyle.HALF ? t + half : 2 * t + 1;
            double xa = x[a];
            double xb = x[b];
            x[a] = (xa * Math.cos(angle) - xb * Math.sin(angle)) * f;
            x[b] = (xa * Math.sin(angle) + xb * Math.cos(angle)) * f;
        }
    }
}

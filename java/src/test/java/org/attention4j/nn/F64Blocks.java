package org.attention4j.nn;

import java.util.Map;

import org.attention4j.Rope;
import org.attention4j.Tensor;

/**
 * Transformer blocks in float64 straight from a checkpoint's tensors by name, written out from the model papers'
 * formulas with plain loops: the independent side of the end-to-end tests (no attention4j layer involved; RoPE's
 * frequencies come from {@link Rope#inverseFrequencies}, which {@code RopeScalingTest} checks on its own).
 * Activations [rows, E] row-major.
 */
final class F64Blocks {
    private F64Blocks() {
    }

    static double[] d(Tensor t) {
        float[] a = t.data();
        double[] x = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            x[i] = a[i];
        }
        return x;
    }

    /** {@code x W^T + b}: x [rows, in], W [out, in]. */
    static double[] linear(double[] x, int rows, Map<String, Tensor> t, String name) {
        double[] w = d(t.get(name + "weight"));
        Tensor bt = t.get(name + "bias");
        double[] b = bt == null ? null : d(bt);
        int out = t.get(name + "weight").dim(0);
        int in = w.length / out;
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    s += x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = s;
            }
        }
        return y;
    }

    static double[] layerNorm(double[] x, int rows, Map<String, Tensor> t, String name, double eps) {
        double[] g = d(t.get(name + "weight"));
        double[] b = d(t.get(name + "bias"));
        int e = g.length;
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int c = 0; c < e; c++) {
                mean += x[r * e + c];
            }
            mean /= e;
            double var = 0;
            for (int c = 0; c < e; c++) {
                var += (x[r * e + c] - mean) * (x[r * e + c] - mean);
            }
            var /= e;
            for (int c = 0; c < e; c++) {
                y[r * e + c] = (x[r * e + c] - mean) / Math.sqrt(var + eps) * g[c] + b[c];
            }
        }
        return y;
    }

    static double[] rmsNorm(double[] x, int rows, Map<String, Tensor> t, String name, double eps) {
        double[] g = d(t.get(name + "weight"));
        int e = g.length;
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double ms = 0;
            for (int c = 0; c < e; c++) {
                ms += x[r * e + c] * x[r * e + c];
            }
            ms /= e;
            for (int c = 0; c < e; c++) {
                y[r * e + c] = x[r * e + c] / Math.sqrt(ms + eps) * g[c];
            }
        }
        return y;
    }

    /** Element-wise activation in place. */
    static double[] act(double[] x, Activation a) {
        for (int i = 0; i < x.length; i++) {
            x[i] = a.apply(x[i]);
        }
        return x;
    }

    static double[] add(double[] a, double[] b) {
        double[] s = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            s[i] = a[i] + b[i];
        }
        return s;
    }

    /**
     * Multi-head self-attention over x [batch * n, E] with projections {@code q, k, v, o} (names ending in a dot),
     * {@code heads} query heads over {@code kvHeads}; RoPE at positions {@code 0 .. n-1} when given; the weights of
     * every head into {@code map} [batch, heads, n, n] when not null.
     */
    static double[] attention(double[] x, int batch, int n, Map<String, Tensor> t, String q, String k, String v,
            String o, int heads, int kvHeads, boolean causal, Rope rope, double[] map) {
        int rows = batch * n;
        double[] qs = linear(x, rows, t, q);
        double[] ks = linear(x, rows, t, k);
        double[] vs = linear(x, rows, t, v);
        int e = qs.length / rows;
        int hd = e / heads;
        int kw = kvHeads * hd;
        double[] inv = rope == null ? null : rope.inverseFrequencies(hd);
        if (rope != null) {
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads; h++) {
                    rotate(qs, r * e + h * hd, r % n, rope, inv);
                }
                for (int h = 0; h < kvHeads; h++) {
                    rotate(ks, r * kw + h * hd, r % n, rope, inv);
                }
            }
        }
        double[] att = new double[rows * e];
        double scale = 1 / Math.sqrt(hd);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / (heads / kvHeads);
                for (int i = 0; i < n; i++) {
                    double[] s = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        if (causal && j > i) {
                            s[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int c = 0; c < hd; c++) {
                            dot += qs[(b * n + i) * e + h * hd + c] * ks[(b * n + j) * kw + g * hd + c];
                        }
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < n; j++) {
                        double p = s[j] / sum;
                        if (map != null) {
                            map[((b * heads + h) * n + i) * n + j] = p;
                        }
                        for (int c = 0; c < hd; c++) {
                            att[(b * n + i) * e + h * hd + c] += p * vs[(b * n + j) * kw + g * hd + c];
                        }
                    }
                }
            }
        }
        return linear(att, rows, t, o);
    }

    /** HF's rotate_half on the first R elements of x[off .. off+hd) at position pos. */
    private static void rotate(double[] x, int off, int pos, Rope rope, double[] inv) {
        int half = inv.length;
        double f = rope.attentionFactor();
        for (int t = 0; t < half; t++) {
            double c = Math.cos(pos * inv[t]) * f;
            double s = Math.sin(pos * inv[t]) * f;
            double a = x[off + t];
            double b = x[off + t + half];
            x[off + t] = a * c - b * s;
            x[off + t + half] = b * c + a * s;
        }
    }
}

package org.attention4j;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Merges partial attention results computed over disjoint shards of the keys into the result over all of them,
 * exactly (up to float rounding): the primitive behind split-K, several GPUs and shards on other machines.
 *
 * <p>Each partial {@code s} is an output {@code o_s} and its log-sum-exp {@code l_s} (ask for it with
 * {@link AttentionOptions.Builder#returnLse(boolean)}). Per row, with {@code l = log(sum_s exp(l_s))}:
 * <pre>
 *   o = sum_s exp(l_s - l) * o_s        lse = l
 * </pre>
 * A partial whose row saw no key ({@code l_s = -inf}) contributes nothing, whatever its output holds; a row that
 * saw no key in any shard gives output 0 and log-sum-exp {@code -inf}, as the engine does. NaN in an {@code l_s}
 * or in an output that contributes propagates to that row; {@code +inf} in an {@code l_s} gives NaN (IEEE
 * {@code inf - inf}). Arithmetic is float64, results float32.
 *
 * <p>Shapes: every output has the same shape {@code [..., Dv]} and every log-sum-exp has that shape without its
 * last dimension ({@code [B, Hq, Nq, Dv]} with {@code [B, Hq, Nq]}, or the packed varlen layout
 * {@code [totalQ, Hq, Dv]} with {@code [totalQ, Hq]}).
 */
public final class AttentionMerge {
    private AttentionMerge() {
    }

    /**
     * A merged (or partial) pair.
     *
     * @param output    {@code [..., Dv]}
     * @param logSumExp the output's shape without its last dimension
     */
    public record Partial(Tensor output, Tensor logSumExp) {
        /** Checks that both are present. */
        public Partial {
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(logSumExp, "logSumExp");
        }
    }

    /**
     * Merges results over disjoint key shards; each must carry its log-sum-exp. The merged result has the output
     * and the log-sum-exp (no weights) and names the first partial's backend.
     *
     * @throws IllegalArgumentException when the list is empty, a partial has no log-sum-exp, or shapes differ
     */
    public static AttentionResult merge(List<AttentionResult> partials) {
        Objects.requireNonNull(partials, "partials");
        if (partials.isEmpty()) {
            throw new IllegalArgumentException("partials is empty: nothing to merge");
        }
        Tensor[] outs = new Tensor[partials.size()];
        Tensor[] lses = new Tensor[partials.size()];
        for (int s = 0; s < outs.length; s++) {
            AttentionResult r = Objects.requireNonNull(partials.get(s), "partials[" + s + "]");
            outs[s] = r.output();
            int idx = s;
            lses[s] = r.logSumExp().orElseThrow(() -> new IllegalArgumentException("partials[" + idx
                    + "] has no log-sum-exp: compute the shards with returnLse(true)"));
        }
        Partial m = merge(outs, lses);
        return new AttentionResult(m.output(), null, m.logSumExp(), partials.get(0).backend());
    }

    /**
     * Merges {@code outputs[s]} with {@code logSumExps[s]} over the shards {@code s}.
     *
     * @throws IllegalArgumentException when the arrays are empty or of different lengths, or shapes differ
     */
    public static Partial merge(Tensor[] outputs, Tensor[] logSumExps) {
        Objects.requireNonNull(outputs, "outputs");
        Objects.requireNonNull(logSumExps, "logSumExps");
        int n = outputs.length;
        if (n == 0) {
            throw new IllegalArgumentException("outputs is empty: nothing to merge");
        }
        if (logSumExps.length != n) {
            throw new IllegalArgumentException("outputs has " + n + " entries but logSumExps has " + logSumExps.length);
        }
        int[] shape = Objects.requireNonNull(outputs[0], "outputs[0]").shape();
        if (shape.length < 1) {
            throw new IllegalArgumentException("outputs[0] must have rank >= 1 [..., Dv], got shape "
                    + Tensor.shapeString(shape));
        }
        int[] lseShape = Arrays.copyOf(shape, shape.length - 1);
        for (int s = 0; s < n; s++) {
            Tensor o = Objects.requireNonNull(outputs[s], "outputs[" + s + "]");
            Tensor l = Objects.requireNonNull(logSumExps[s], "logSumExps[" + s + "]");
            if (!Arrays.equals(o.shape(), shape)) {
                throw new IllegalArgumentException("outputs[" + s + "] has shape " + Tensor.shapeString(o.shape())
                        + " but outputs[0] has " + Tensor.shapeString(shape));
            }
            if (!Arrays.equals(l.shape(), lseShape)) {
                throw new IllegalArgumentException("logSumExps[" + s + "] has shape " + Tensor.shapeString(l.shape())
                        + " but outputs of shape " + Tensor.shapeString(shape) + " need "
                        + Tensor.shapeString(lseShape));
            }
        }
        int dv = shape[shape.length - 1];
        int rows = (int) Tensor.elementCount(lseShape, "logSumExp shape");
        float[] out = new float[rows * dv];
        float[] lse = new float[rows];
        double[] acc = new double[dv];
        double[] w = new double[n];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int s = 0; s < n; s++) {
                double l = logSumExps[s].data()[r];
                max = Double.isNaN(l) || Double.isNaN(max) ? Double.NaN : Math.max(max, l);
            }
            if (max == Double.NEGATIVE_INFINITY) {
                lse[r] = Float.NEGATIVE_INFINITY;      // no key in any shard: output stays 0
                continue;
            }
            double sum = 0;
            for (int s = 0; s < n; s++) {
                double l = logSumExps[s].data()[r];
                // exp(-inf - max) is exactly 0; a NaN max makes every weight NaN.
                w[s] = l == Double.NEGATIVE_INFINITY ? 0 : Math.exp(l - max);
                sum += w[s];
            }
            Arrays.fill(acc, 0);
            for (int s = 0; s < n; s++) {
                if (w[s] == 0) {
                    continue;       // an empty shard's output is not read (it may be anything)
                }
                double ws = w[s] / sum;
                float[] o = outputs[s].data();
                int base = r * dv;
                for (int c = 0; c < dv; c++) {
                    acc[c] += ws * o[base + c];
                }
            }
            for (int c = 0; c < dv; c++) {
                out[r * dv + c] = (float) acc[c];
            }
            lse[r] = (float) (max + Math.log(sum));
        }
        return new Partial(Tensor.of(out, shape), Tensor.of(lse, lseShape));
    }
}

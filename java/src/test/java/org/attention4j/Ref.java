package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;

/** Small helpers for the semantics tests: run the reference backend, build inputs, compare with NaN failing. */
final class Ref {
    private Ref() {
    }

    /** Runs the reference backend with weights and log-sum-exp on. */
    static AttentionResult run(Tensor q, Tensor k, Tensor v, AttentionOptions.Builder options) {
        try (AttentionEngine e = AttentionEngine.create(Backend.REFERENCE)) {
            return e.attention(q, k, v, options.returnWeights(true).returnLse(true).build());
        }
    }

    static AttentionResult run(Tensor q, Tensor k, Tensor v) {
        return run(q, k, v, AttentionOptions.builder());
    }

    static float[] weights(AttentionResult r) {
        return r.weights().orElseThrow().data();
    }

    static float[] lse(AttentionResult r) {
        return r.logSumExp().orElseThrow().data();
    }

    /** Row {@code row} of the flattened [B*Hq*Nq, Nk] weights. */
    static float[] weightRow(AttentionResult r, int row) {
        int nk = r.weights().orElseThrow().dim(3);
        return Arrays.copyOfRange(weights(r), row * nk, (row + 1) * nk);
    }

    static Tensor random(long seed, int... shape) {
        return org.attention4j.testing.TestData.uniform(seed, shape);
    }

    static Tensor filled(float value, int... shape) {
        Tensor t = Tensor.zeros(shape);
        Arrays.fill(t.data(), value);
        return t;
    }

    /** Softmax of {@code s} in float64 (for hand-computed expectations). */
    static double[] softmax(double... s) {
        double m = Arrays.stream(s).max().orElseThrow();
        double sum = 0;
        double[] p = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            p[i] = Math.exp(s[i] - m);
            sum += p[i];
        }
        for (int i = 0; i < s.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Asserts |a - e| <= tol elementwise; NaN anywhere fails. */
    static void assertClose(double[] expected, float[] actual, double tol, String what) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + " != expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            assertTrue(d <= tol, what + "[" + i + "]: expected " + expected[i] + " got " + actual[i]
                    + " (|diff| " + d + " > " + tol + ")");
        }
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
        }
        assertClose(e, actual, tol, what);
    }

    /** The 0/1 pattern of nonzero weights, e.g. "1110". */
    static String pattern(float[] row) {
        StringBuilder sb = new StringBuilder();
        for (float x : row) {
            sb.append(x != 0 ? '1' : '0');
        }
        return sb.toString();
    }

    /** Slices keys/values along Nk: {@code t[:, :, from:to, :]}. */
    static Tensor sliceKeys(Tensor t, int from, int to) {
        int[] s = t.shape();
        Tensor out = Tensor.zeros(s[0], s[1], to - from, s[3]);
        for (int b = 0; b < s[0]; b++) {
            for (int h = 0; h < s[1]; h++) {
                System.arraycopy(t.data(), ((b * s[1] + h) * s[2] + from) * s[3], out.data(),
                        ((b * s[1] + h) * (to - from)) * s[3], (to - from) * s[3]);
            }
        }
        return out;
    }

    /** Removes key {@code j} along Nk. */
    static Tensor dropKey(Tensor t, int j) {
        int[] s = t.shape();
        Tensor out = Tensor.zeros(s[0], s[1], s[2] - 1, s[3]);
        for (int b = 0; b < s[0]; b++) {
            for (int h = 0; h < s[1]; h++) {
                for (int n = 0, m = 0; n < s[2]; n++) {
                    if (n == j) {
                        continue;
                    }
                    System.arraycopy(t.data(), ((b * s[1] + h) * s[2] + n) * s[3], out.data(),
                            ((b * s[1] + h) * (s[2] - 1) + m) * s[3], s[3]);
                    m++;
                }
            }
        }
        return out;
    }
}

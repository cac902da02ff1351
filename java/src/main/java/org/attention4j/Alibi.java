package org.attention4j;

/**
 * ALiBi head slopes, as the ALiBi paper's reference code computes them.
 *
 * <p>For {@code n} a power of two the slopes are {@code s^1 .. s^n} with {@code s = 2^(-8/n)}. Otherwise the
 * slopes of the closest lower power of two {@code p} come first, followed by every other slope of {@code 2p}
 * until there are {@code n}. Head {@code h} adds {@code -slope[h] * |i + Nk - Nq - j|} to its scores.
 */
public final class Alibi {
    private Alibi() {
    }

    /** The slopes for {@code heads} heads (at least 1). */
    public static float[] slopes(int heads) {
        if (heads < 1) {
            throw new IllegalArgumentException("alibi needs at least 1 head, got " + heads);
        }
        double[] s = slopesDouble(heads);
        float[] out = new float[heads];
        for (int i = 0; i < heads; i++) {
            out[i] = (float) s[i];
        }
        return out;
    }

    private static double[] slopesDouble(int n) {
        int p = Integer.highestOneBit(n);
        double[] out = new double[n];
        double[] pow2 = powerOfTwoSlopes(p);
        System.arraycopy(pow2, 0, out, 0, p);
        if (p != n) {
            double[] twice = slopesDouble(2 * p);
            for (int i = 0; i < n - p; i++) {
                out[p + i] = twice[2 * i];
            }
        }
        return out;
    }

    private static double[] powerOfTwoSlopes(int n) {
        // start = 2^(-2^-(log2(n) - 3)) = 2^(-8/n)
        double start = Math.pow(2.0, -8.0 / n);
        double[] out = new double[n];
        double v = start;
        for (int i = 0; i < n; i++) {
            out[i] = v;
            v *= start;
        }
        return out;
    }
}

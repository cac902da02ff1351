package org.attention4j.cpu;

/**
 * The softmax exponential {@code e^(s - m)} over float arrays, written so that HotSpot's C2 (Java 17, no incubator modules) turns
 * each loop into SIMD code.
 *
 * <p>C2 on Java 17 does not vectorise float/int bit casts ({@code Float.intBitsToFloat}) nor float/int
 * conversions, so the usual "build 2^n in the exponent bits" trick stays scalar. Here everything is float
 * arithmetic: {@code n = round(x log2 e)} by the 1.5*2^23 magic constant, {@code r = x - n ln2} in two exact-ish
 * steps (Cody and Waite), a degree-6 polynomial for {@code e^r} on {@code |r| <= ln2/2}, and {@code 2^n}
 * (n in [-128, 0]) as a product of exact powers of two chosen
 * by the binary digits of {@code -n}, each digit found with the same magic-constant floor. Every product is exact
 * down to float's normal range, so the relative error there is that of the polynomial (about 1e-7). C2 also refuses to unroll (and so to vectorise)
 * a loop body with too many nodes, so the work is split over five short loops.
 *
 * <p>Why not {@code (float) Math.exp}: it is a scalar intrinsic, so the softmax loop around it cannot vectorise;
 * the bit-cast polynomial (the textbook fast exp) stays scalar on Java 17 for the reason above. Its effect is
 * visible in the whole-engine figure of {@code bench/cpu_vs_numpy.sh}; no separate exp timing is kept.
 *
 * <p>Domain: arguments {@code <= 0} (softmax exponents {@code s - max}). Results reach float32's own underflow:
 * exact powers down to {@code 2^-126}, subnormals (rounded as float rounds them) to {@code 2^-127.5}, 0 below, so
 * {@code -inf} and any large negative argument give exactly 0; NaN gives NaN.
 */
final class FastExp {
    private static final float MAGIC = 0x1.8p23f;
    private static final float LOG2E = 1.4426950408889634f;
    /** ln 2 in two parts: {@code n * LN2_HI} is exact for the n here. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Arguments are clamped here, where n rounds to -128, which {@link #lastBits} turns (as {@code -inf}) into 0. */
    private static final float FLOOR = -88.8f;

    private FastExp() {
    }

    /**
     * {@code s[j] = e^(s[j] - m)} for {@code j < n}, in place.
     *
     * @param e scratch of length at least {@code n}
     */
    static void expShifted(float[] s, float[] e, int n, float m) {
        reduce(s, e, n, m);
        polynomial(s, n);
        twoBits(s, e, n, -0.5f, -0.75f);
        twoBits(s, e, n, -0.9375f, -0.99609375f);
        lastBits(s, e, n);
    }

    /**
     * {@code s[j] = e^(s[j] - m[j])} for {@code j < n}, in place: one shift per element (per query row).
     *
     * @param e scratch of length at least {@code n}
     */
    static void expShifted(float[] s, float[] m, float[] e, int n) {
        reduce(s, m, e, n);
        polynomial(s, n);
        twoBits(s, e, n, -0.5f, -0.75f);
        twoBits(s, e, n, -0.9375f, -0.99609375f);
        lastBits(s, e, n);
    }

    /** As {@link #reduce(float[], float[], int, float)} with a shift per element. */
    private static void reduce(float[] s, float[] m, float[] e, int n) {
        for (int j = 0; j < n; j++) {
            float x = Math.max(s[j] - m[j], FLOOR);   // NaN stays NaN
            float k = Math.fma(x, LOG2E, MAGIC) - MAGIC;
            s[j] = Math.fma(k, -LN2_LO, Math.fma(k, -LN2_HI, x));
            e[j] = -k;
        }
    }

    /** {@code x = max(s - m, FLOOR)}, {@code k = round(x log2 e)}: leaves {@code r = x - k ln2} in s, {@code -k} in e. */
    private static void reduce(float[] s, float[] e, int n, float m) {
        for (int j = 0; j < n; j++) {
            float x = Math.max(s[j] - m, FLOOR);
            float k = Math.fma(x, LOG2E, MAGIC) - MAGIC;
            s[j] = Math.fma(k, -LN2_LO, Math.fma(k, -LN2_HI, x));
            e[j] = -k;
        }
    }

    /** {@code exp(r)} for {@code |r| <= ln2/2}: Cephes-style minimax coefficients, relative error ~1e-7. */
    private static void polynomial(float[] r, int n) {
        for (int j = 0; j < n; j++) {
            float x = r[j];
            float p = Math.fma(1.9875691500e-4f, x, 1.3981999507e-3f);
            p = Math.fma(p, x, 8.3334519073e-3f);
            p = Math.fma(p, x, 4.1665795894e-2f);
            p = Math.fma(p, x, 1.6666665459e-1f);
            p = Math.fma(p, x, 5.0000001201e-1f);
            r[j] = Math.fma(p * x, x, x) + 1f;
        }
    }

    /**
     * Multiplies by 2^-(two low bits of e) and shifts them out of e. Two bits per loop: short enough bodies for C2
     * to unroll (so vectorise), few enough passes over the arrays.
     *
     * @param c0 {@code 2^-(2^k) - 1} for the lower bit k, exactly representable
     * @param c1 the same for bit k + 1
     */
    private static void twoBits(float[] p, float[] e, int n, float c0, float c1) {
        for (int j = 0; j < n; j++) {
            float v = e[j];
            // floor(v / 2) for a non-negative integer v: v/2 - 1/4 rounds to it.
            float h = (Math.fma(v, 0.5f, -0.25f) + MAGIC) - MAGIC;
            float f = Math.fma(Math.fma(h, -2f, v), c0, 1f);
            v = h;
            h = (Math.fma(v, 0.5f, -0.25f) + MAGIC) - MAGIC;
            p[j] *= f * Math.fma(Math.fma(h, -2f, v), c1, 1f);
            e[j] = h;
        }
    }

    /**
     * Bit 4 (factor 2^-16), then what is left of e, {@code h = e >> 5} in [0, 4]: bit 5 (2^-32) and the rest (2^-64
     * for 1; 2 or more, which only the clamped -128 reaches, turns the factor negative and the final max flushes
     * it to 0; NaN survives the max). Neither 1 - 2^-32 nor 1 - 2^-64 is a float, so those factors are built as
     * {@code fma(bit, 2^-x, 1 - bit)}, exact for a bit of 0 or 1. Multiplied in this order, every partial product
     * stays normal until the last, which rounds into the subnormals the way float32 arithmetic itself does.
     */
    private static void lastBits(float[] p, float[] e, int n) {
        for (int j = 0; j < n; j++) {
            float v = e[j];
            float h = (Math.fma(v, 0.5f, -0.25f) + MAGIC) - MAGIC;
            float f4 = Math.fma(Math.fma(h, -2f, v), -0.9999847412109375f, 1f);
            v = h;
            h = (Math.fma(v, 0.5f, -0.25f) + MAGIC) - MAGIC;
            float b5 = Math.fma(h, -2f, v);
            p[j] = Math.max(p[j] * f4 * Math.fma(b5, 0x1p-32f, 1f - b5) * Math.fma(h, 0x1p-64f, 1f - h), 0f);
        }
    }
}

package org.attention4j.cuda;

import org.attention4j.Rope;
import org.attention4j.RopeStyle;

/**
 * What the RoPE kernel takes from a {@link Rope}: the inverse frequencies of the pairs that turn
 * ({@link Rope#inverseFrequencies}, partial rotary and scalings applied on the host, in double) as float pairs
 * {@code hi, lo} whose sum keeps double accuracy (the kernel adds them back in double: {@code a4j_rope_freq}), the
 * rotary dim, the pairing and the factor on cos and sin. One formula for every backend: the kernel computes none.
 */
final class RopeFrequencies {
    private RopeFrequencies() {
    }

    /** {@code [hi_0, lo_0, hi_1, lo_1, ..]} of the inverse frequencies for head dim {@code dim}. */
    static float[] packed(Rope rope, int dim) {
        double[] f = rope.inverseFrequencies(dim);
        float[] out = new float[2 * f.length];
        for (int t = 0; t < f.length; t++) {
            float hi = (float) f[t];
            out[2 * t] = hi;
            out[2 * t + 1] = (float) (f[t] - hi);
        }
        return out;
    }

    /** The inverse frequency of pair {@code t} as the kernel reads it from {@link #packed}. */
    static double unpack(float[] packed, int t) {
        return (double) packed[2 * t] + (double) packed[2 * t + 1];
    }

    /** The kernel's {@code style}: 0 half, 1 interleaved. */
    static int style(Rope rope) {
        return rope.style() == RopeStyle.HALF ? 0 : 1;
    }

    /** Bytes of the packed table. */
    static long bytes(Rope rope, int dim) {
        return 8L * (rope.rotaryDim(dim) / 2);
    }
}

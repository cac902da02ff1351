package org.attention4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The project's tolerance rule, FlashAttention's: a backend's error against the float64 reference may be at most
 * twice that of a naive computation at the same precision, plus a small floor; NaN or infinity where the reference
 * has none (or the other way round) never passes.
 */
public final class Tolerance {
    private Tolerance() {
    }

    /**
     * The largest {@code |got - want|}; NaN matches NaN and an infinity only itself, any other disagreement about
     * them fails, naming the element.
     */
    public static double maxError(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        double m = 0;
        for (int i = 0; i < got.length; i++) {
            float g = got[i];
            float w = want[i];
            if (Float.isNaN(w) || Float.isNaN(g) || Float.isInfinite(w) || Float.isInfinite(g)) {
                if (!(Float.isNaN(w) && Float.isNaN(g)) && w != g) {
                    fail(what + ": element " + i + " is " + g + " where the reference has " + w);
                }
                continue;
            }
            m = Math.max(m, Math.abs((double) g - w));
        }
        return m;
    }

    /** {@code maxError(want, got) <= 2 * maxError(want, naive) + floor}, or a failure that gives all three. */
    public static void assertWithinTwiceNaive(float[] want, float[] got, float[] naive, double floor, String what) {
        double naiveErr = maxError(want, naive, what + " (naive)");
        double err = maxError(want, got, what);
        if (!(err <= 2 * naiveErr + floor)) {
            fail(what + ": error " + err + " > 2 x naive " + naiveErr + " + " + floor);
        }
    }
}

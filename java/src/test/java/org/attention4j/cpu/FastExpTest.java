package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The portable exponential {@code e^(s - m)} against Math.exp, over float's whole normal range and its edge. */
class FastExpTest {
    @Test
    void relativeErrorIsAboutOneUlpDownToFloatsNormalRange() {
        int n = 200_001;
        float[] s = new float[n];
        float[] e = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = -87.3f * i / (n - 1);        // e^0 .. e^-87.3 (2^-126 is e^-87.34)
        }
        float[] x = s.clone();
        FastExp.expShifted(s, e, n, 0f);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double want = Math.exp(x[i]);
            double rel = Math.abs(s[i] - want) / want;
            worst = Math.max(worst, rel);
        }
        assertTrue(worst < 2.5e-7, "max relative error " + worst);
    }

    @Test
    void belowTheNormalRangeItRoundsAsFloatDoesThenFlushes() {
        // e^-87.4 .. e^-88.3 (2^-126.1 .. 2^-127.4): subnormals, within float's own rounding of them (2^-149).
        for (float x = -87.4f; x > -88.3f; x -= 0.05f) {
            float[] s = {x};
            FastExp.expShifted(s, new float[1], 1, 0f);
            double want = Math.exp(x);
            assertEquals(want, s[0], 0x1p-149 * 1.01 + want * 3e-7, "e^" + x);
        }
        float[] s = {-88.5f, -88.8f, -100f};
        FastExp.expShifted(s, new float[3], 3, 0f);
        assertEquals(0f, s[0], "below 2^-127.5: 0");
        assertEquals(0f, s[1]);
        assertEquals(0f, s[2]);
    }

    @Test
    void specialValues() {
        float[] s = {Float.NEGATIVE_INFINITY, -1e30f, -100f, -200f, Float.NaN, 3f, -0f, 2f, -47f,
                -Float.MAX_VALUE};
        float[] e = new float[s.length];
        FastExp.expShifted(s, e, s.length, 3f);
        assertEquals(0f, s[0]);
        assertEquals(0f, s[1]);
        assertEquals(0f, s[2]);            // e^-103: below even float's subnormals' reach here
        assertEquals(0f, s[3]);
        assertTrue(Float.isNaN(s[4]));
        assertEquals(1f, s[5], "e^0 is exactly 1");
        assertEquals(Math.exp(-3), s[6], 1e-7);
        assertEquals(Math.exp(-1), s[7], 1e-7);
        // exp(-50): the weight a float32 softmax keeps and a 2^-63 floor used to lose.
        assertEquals(Math.exp(-50), s[8], Math.exp(-50) * 3e-7);
        assertEquals(0f, s[9], "-FLT_MAX - m: 0");
    }
}

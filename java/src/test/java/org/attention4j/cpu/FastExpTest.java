package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FastExpTest {
    @Test
    void relativeErrorIsAboutOneUlpAcrossTheRange() {
        int n = 200_001;
        float[] s = new float[n];
        float[] e = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = -60f * i / (n - 1);        // 2^0 .. 2^-60
        }
        float[] x = s.clone();
        FastExp.exp2Shifted(s, e, n, 0f);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double want = Math.pow(2, x[i]);
            double rel = Math.abs(s[i] - want) / want;
            worst = Math.max(worst, rel);
        }
        assertTrue(worst < 2.5e-7, "max relative error " + worst);
    }

    @Test
    void specialValues() {
        float[] s = {Float.NEGATIVE_INFINITY, -1e30f, -64f, -200f, Float.NaN, 0f, -0f, -1f, 3f};
        float[] e = new float[s.length];
        FastExp.exp2Shifted(s, e, s.length, 3f);
        assertEquals(0f, s[0]);
        assertEquals(0f, s[1]);
        assertEquals(0f, s[2]);            // 2^-67: flushed
        assertEquals(0f, s[3]);
        assertTrue(Float.isNaN(s[4]));
        assertEquals(0.125f, s[5], 1e-8f);
        assertEquals(0.125f, s[6], 1e-8f);
        assertEquals(0.0625f, s[7], 1e-8f);
        assertEquals(1f, s[8], 1e-7f);
    }
}

package org.attention4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;

/** Expected values from SciPy ({@code scipy.special.erf}, {@code x * scipy.stats.norm.cdf(x)}). */
class GeluTest {

    @Test
    void erfAndErfcMatchKnownValues() {
        assertEquals(0.5204998778130465, Gelu.erf(0.5), 1e-15);
        assertEquals(0.8427007929497148, Gelu.erf(1), 1e-15);
        assertEquals(-0.9953222650189527, Gelu.erf(-2), 1e-15);
        assertEquals(0.0, Gelu.erf(0), 0);
        assertEquals(1.0, Gelu.erf(Double.POSITIVE_INFINITY), 0);
        // erfc keeps relative accuracy far out, where 1 - erf would be 0.
        assertEquals(2.2090496998585445e-05, Gelu.erfc(3), 1e-14 * 2.2e-5);
        assertEquals(1.5374597944280347e-12, Gelu.erfc(5), 1.5e-12 * 1e-12);
        assertEquals(2.0884875837625446e-45, Gelu.erfc(10), 2.1e-45 * 1e-12);
        assertEquals(2.0 - 2.2090496998585445e-05, Gelu.erfc(-3), 1e-15);
        assertTrue(Double.isNaN(Gelu.erf(Double.NaN)));
        // Continuity where the two evaluation methods meet.
        assertEquals(Gelu.erfc(Math.nextDown(2.0)), Gelu.erfc(2.0), 1e-13 * Gelu.erfc(2.0));
        assertEquals(0.004677734981047266, Gelu.erfc(2.0), 1e-14 * 0.0047);
        assertEquals(0.004677734981047266, Gelu.erfc(Math.nextDown(2.0)), 1e-13 * 0.0047);
    }

    @Test
    void exactFormMatchesXTimesNormalCdf() {
        double[][] cases = {{1, 0.8413447460685429}, {-1, -0.15865525393145707}, {2, 1.9544997361036416},
            {-3, -0.00404969409489028}, {0.5, 0.34573123063700656}, {0, 0}};
        for (double[] c : cases) {
            assertEquals(c[1], Gelu.apply(c[0], Gelu.Form.EXACT), 1e-15, "gelu(" + c[0] + ")");
        }
        assertEquals(-4.976768459417392e-15, Gelu.apply(-8, Gelu.Form.EXACT), 1e-27);
    }

    @Test
    void tanhFormMatchesItsFormula() {
        double[][] cases = {{1, 0.8411919906082768}, {-1, -0.15880800939172324}, {2, 1.954597694087775},
            {-3, -0.0036373920817729943}};
        for (double[] c : cases) {
            assertEquals(c[1], Gelu.apply(c[0], Gelu.Form.TANH), 1e-15, "gelu_tanh(" + c[0] + ")");
        }
    }

    @Test
    void infinitiesAndNaN() {
        for (Gelu.Form f : Gelu.Form.values()) {
            assertEquals(0.0, Gelu.apply(Double.NEGATIVE_INFINITY, f), 0, f.name());
            assertEquals(Double.POSITIVE_INFINITY, Gelu.apply(Double.POSITIVE_INFINITY, f), f.name());
            assertTrue(Double.isNaN(Gelu.apply(Double.NaN, f)), f.name());
        }
    }

    @Test
    void tensorFormKeepsShape() {
        Tensor y = Gelu.apply(Tensor.of(new float[] {1, -1, 0, 2}, 2, 2), Gelu.Form.EXACT);
        assertArrayEquals(new int[] {2, 2}, y.shape());
        assertArrayEquals(new float[] {0.8413447460685429f, -0.15865525393145707f, 0f, 1.9544997361036416f}, y.data());
    }
}

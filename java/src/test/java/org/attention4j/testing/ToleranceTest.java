package org.attention4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The tolerance rule itself can fail, and NaN never passes where the reference has a number. */
class ToleranceTest {
    @Test
    void twiceTheNaiveErrorPlusTheFloorPassesAndMoreFails() {
        float[] want = {1f, 2f, 3f};
        float[] naive = {1.001f, 2f, 3f};
        Tolerance.assertWithinTwiceNaive(want, new float[] {1.0019f, 2f, 3f}, naive, 0, "within");
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> Tolerance.assertWithinTwiceNaive(want, new float[] {1.0021f, 2f, 3f}, naive, 0, "beyond"));
        assertTrue(e.getMessage().contains("beyond: error"), e.getMessage());
        Tolerance.assertWithinTwiceNaive(want, new float[] {1.0021f, 2f, 3f}, naive, 1e-3, "the floor");
    }

    @Test
    void nanAndInfinityMustMatchExactly() {
        assertEquals(0, Tolerance.maxError(new float[] {Float.NaN, Float.NEGATIVE_INFINITY},
                new float[] {Float.NaN, Float.NEGATIVE_INFINITY}, "same"));
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> Tolerance.maxError(new float[] {1f, 2f}, new float[] {1f, Float.NaN}, "nan"));
        assertTrue(e.getMessage().contains("element 1 is NaN"), e.getMessage());
        assertThrows(AssertionFailedError.class,
                () -> Tolerance.maxError(new float[] {Float.NaN}, new float[] {0f}, "lost nan"));
        assertThrows(AssertionFailedError.class,
                () -> Tolerance.maxError(new float[] {Float.POSITIVE_INFINITY}, new float[] {Float.MAX_VALUE}, "inf"));
    }
}

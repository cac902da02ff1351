package org.attention4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.function.Executable;

/** Test helpers: comparisons where NaN always fails (random data: {@code testing.TestData}). */
final class NnTesting {
    private NnTesting() {
    }

    /** |got - want| <= tol * (1 + |want|) everywhere; NaN fails. */
    static void assertClose(double[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            if (!(err <= tol * (1 + Math.abs(want[i])))) {
                fail(what + ": element " + i + " got " + got[i] + " want " + want[i] + " (err " + err + ", tol "
                        + tol + ")");
            }
        }
    }

    static void assertClose(float[] want, float[] got, double tol, String what) {
        double[] w = new double[want.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = want[i];
        }
        assertClose(w, got, tol, what);
    }

    /** The call throws an IllegalArgumentException whose message contains every fragment. */
    static IllegalArgumentException assertIae(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
        return e;
    }
}

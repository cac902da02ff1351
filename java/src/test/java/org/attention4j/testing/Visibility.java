package org.attention4j.testing;

/**
 * Which keys a query sees, written out once for the tests' naive baselines and kernel emulators (the engine's own
 * code must agree with it, it is not that code): key length, causal in either alignment, and the window, with
 * query {@code i}'s diagonal at key {@code i + diagOff} ({@code Nk - Nq}, or {@code queryStart - keyStart}).
 */
public final class Visibility {
    private Visibility() {
    }

    /**
     * @param causal the {@link org.attention4j.Causal} ordinal: 0 none, 1 bottom-right ({@code j <= i + diagOff}),
     *               2 top-left ({@code j <= i})
     * @param windowLeft  -1 = unbounded
     * @param windowRight -1 = unbounded
     */
    public static boolean visible(int causal, int windowLeft, int windowRight, int kvLen, int i, int j, long diagOff) {
        long diag = i + diagOff;
        return j < kvLen
                && (causal == 0 || (causal == 1 ? j <= diag : j <= i))
                && (windowLeft < 0 || j >= diag - windowLeft)
                && (windowRight < 0 || j <= diag + windowRight);
    }

    /** The ALiBi distance {@code |i + diagOff - j|}. */
    public static long distance(int i, int j, long diagOff) {
        return Math.abs(i + diagOff - j);
    }
}

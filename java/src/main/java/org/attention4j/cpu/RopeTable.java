package org.attention4j.cpu;

import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.spi.AttentionProblem;

/**
 * RoPE rotations for one call: {@code cos} and {@code sin} of {@code pos * invFreq[t]} ({@link
 * Rope#inverseFrequencies}, times the attention factor) computed once (in double) for every position the call
 * uses, so the engine does no trigonometry per head. Positions are tabulated over
 * their range when it is dense (the default positions always are); sparse explicit positions fall back to
 * computing the angles per vector.
 */
final class RopeTable {
    private final RopeStyle style;
    private final int d;
    /** Pairs that turn: half the rotary dim; elements from {@code 2 * half} to {@code d} pass through. */
    private final int half;
    private final double[] theta;
    private final double factor;
    private final int minPos;
    private final int span;
    /** cos then sin for each (position - minPos, t): [span][half][2], flattened; null when not tabulated. */
    private final double[] table;

    RopeTable(AttentionProblem p) {
        Rope rope = p.rope();
        style = rope.style();
        d = p.dim();
        theta = rope.inverseFrequencies(d);
        half = theta.length;
        factor = rope.attentionFactor();
        long lo = Long.MAX_VALUE;
        long hi = Long.MIN_VALUE;
        for (int b = 0; b < p.batch(); b++) {
            for (int i = 0; i < p.nq(); i++) {
                int pos = p.queryPosition(b, i);
                lo = Math.min(lo, pos);
                hi = Math.max(hi, pos);
            }
            for (int j = 0; j < p.nk(); j++) {
                int pos = p.keyPosition(b, j);
                lo = Math.min(lo, pos);
                hi = Math.max(hi, pos);
            }
        }
        long range = hi - lo + 1;
        long used = (long) p.batch() * (p.nq() + p.nk());
        if (lo <= hi && range <= 2 * used + 1024 && range * half * 2 < Integer.MAX_VALUE / 2) {
            minPos = (int) lo;
            span = (int) range;
            table = new double[span * half * 2];
            for (int k = 0; k < span; k++) {
                fill(minPos + k, table, k * half * 2);
            }
        } else {
            minPos = 0;
            span = 0;
            table = null;
        }
    }

    private void fill(int pos, double[] dst, int off) {
        for (int t = 0; t < half; t++) {
            double angle = pos * theta[t];
            dst[off + 2 * t] = Math.cos(angle) * factor;
            dst[off + 2 * t + 1] = Math.sin(angle) * factor;
        }
    }

    /**
     * Writes {@code mul * rotate(src[so .. so+D), pos)} into {@code dst[dOff ..]}, rotating in double (the
     * elements past the rotary dim only scaled).
     *
     * @param scratch a buffer of at least {@code D} doubles, used when positions are not tabulated
     */
    void rotate(float[] src, int so, int pos, double mul, float[] dst, int dOff, double[] scratch) {
        double[] cs;
        int base;
        if (table != null && pos >= minPos && pos - minPos < span) {
            cs = table;
            base = (pos - minPos) * half * 2;
        } else {
            fill(pos, scratch, 0);
            cs = scratch;
            base = 0;
        }
        for (int t = 0; t < half; t++) {
            int a = style == RopeStyle.HALF ? t : 2 * t;
            int b = style == RopeStyle.HALF ? t + half : 2 * t + 1;
            double cos = cs[base + 2 * t];
            double sin = cs[base + 2 * t + 1];
            double xa = src[so + a];
            double xb = src[so + b];
            dst[dOff + a] = (float) ((xa * cos - xb * sin) * mul);
            dst[dOff + b] = (float) ((xb * cos + xa * sin) * mul);
        }
        for (int c = 2 * half; c < d; c++) {
            dst[dOff + c] = (float) (src[so + c] * mul);
        }
    }

    /** Whether positions were tabulated (for tests and logs). */
    boolean tabulated() {
        return table != null;
    }
}

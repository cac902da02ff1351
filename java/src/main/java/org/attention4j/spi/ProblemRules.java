package org.attention4j.spi;

import org.attention4j.Alibi;
import org.attention4j.AttentionOptions;

/**
 * The rules every problem shape shares (dense, packed, decode), in one place so that they cannot drift apart:
 * head counts, head dims, ALiBi slopes and RoPE's even head dim. Messages name the argument and end with the
 * caller's shape description.
 */
final class ProblemRules {
    private ProblemRules() {
    }

    /** Hq and Hkv at least 1, Hq a multiple of Hkv, D at least 1. */
    static void heads(int heads, int kvHeads, int dim, String shapes) {
        if (heads < 1 || kvHeads < 1) {
            throw new IllegalArgumentException("head counts must be >= 1 " + shapes);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("query heads Hq=" + heads + " are not a multiple of key/value heads Hkv="
                    + kvHeads + " " + shapes);
        }
        if (dim < 1) {
            throw new IllegalArgumentException("head dim D must be >= 1 " + shapes);
        }
    }

    /** The ALiBi slopes per query head (explicit ones checked for count, else the paper's), or null without ALiBi. */
    static float[] alibiSlopes(AttentionOptions options, int heads, String shapes) {
        if (!options.alibi()) {
            return null;
        }
        float[] s = options.alibiSlopes();
        if (s == null) {
            return Alibi.slopes(heads);
        }
        if (s.length != heads) {
            throw new IllegalArgumentException("alibiSlopes has " + s.length + " entries but there are Hq=" + heads
                    + " query heads " + shapes);
        }
        return s;
    }

    /** RoPE rotates pairs, so it needs an even head dim, or an even rotary dim within the head dim. */
    static void ropeDim(AttentionOptions options, int dim, String shapes) {
        if (options.rope() == null) {
            return;
        }
        int r = options.rope().rotaryDim();
        if (r == 0 && dim % 2 != 0) {
            throw new IllegalArgumentException("rope needs an even head dim D, got D=" + dim + " " + shapes);
        }
        if (r > dim) {
            throw new IllegalArgumentException("rope rotaryDim must be at most the head dim D, got rotaryDim=" + r
                    + " > D=" + dim + " " + shapes);
        }
    }

    /**
     * Refuses a batch index outside {@code [0, B)}; the accessors that take one are public, and a bare
     * ArrayIndexOutOfBoundsException would name neither the argument nor the batch size.
     */
    static int batchEntry(String name, int b, int batch) {
        if (b < 0 || b >= batch) {
            throw new IndexOutOfBoundsException(name + " = " + b + " is outside [0, B=" + batch + ")");
        }
        return b;
    }

    /**
     * Start positions ({@link AttentionOptions#queryStarts()} or {@link AttentionOptions#keyStarts()}) as one entry
     * per batch entry or sequence: one given entry is repeated; each start plus the {@code n} positions after it
     * must stay within int.
     *
     * @param n      the queries or keys per entry (the largest, for packed sequences)
     * @param entries what the batch is called in messages ("B" or "sequences")
     */
    static int[] starts(int[] given, int batch, long n, String name, String entries, String shapes) {
        if (given.length != 1 && given.length != batch) {
            throw new IllegalArgumentException(name + " has " + given.length + " entries; expected 1 (for all) or "
                    + entries + "=" + batch + " " + shapes);
        }
        int[] out = new int[batch];
        for (int b = 0; b < batch; b++) {
            out[b] = given[given.length == 1 ? 0 : b];
            if (out[b] + n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + "[" + b + "]=" + out[b] + " plus " + n
                        + " positions would pass " + Integer.MAX_VALUE + " " + shapes);
            }
        }
        return out;
    }
}

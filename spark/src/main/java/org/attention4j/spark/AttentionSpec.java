package org.attention4j.spark;

import java.io.Serializable;
import java.util.Objects;

import org.attention4j.AttentionOptions;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;

/**
 * What every piece of a sequence-sharded call shares, in a form Spark can ship to executors: head counts and
 * dims, and the position rules (causal, window, ALiBi, RoPE) that {@link SequenceShards} applies in the positions
 * of the whole sequence. {@link AttentionOptions} itself is not serializable; this record builds it on the
 * executor, per piece, with the piece's start positions.
 *
 * @param heads       Hq
 * @param kvHeads     Hkv (Hq a multiple of it)
 * @param dim         D
 * @param valueDim    Dv
 * @param causal      a key is seen when its position is at most the query's
 * @param windowLeft  keys visible to the left of the diagonal, -1 = unbounded
 * @param windowRight keys visible to the right of the diagonal, -1 = unbounded
 * @param alibi       ALiBi with the paper's slopes for Hq heads
 * @param ropeBase    RoPE base, 0 = no RoPE
 * @param ropeStyle   RoPE pairing (ignored without RoPE)
 * @param scale       score scale, null for {@code 1/sqrt(D)}
 */
public record AttentionSpec(int heads, int kvHeads, int dim, int valueDim, boolean causal, int windowLeft,
                            int windowRight, boolean alibi, double ropeBase, RopeStyle ropeStyle, Double scale)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Checks what can be checked without the data. */
    public AttentionSpec {
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads Hq=" + heads + " must be a positive multiple of kvHeads Hkv="
                    + kvHeads);
        }
        if (dim < 1 || valueDim < 1) {
            throw new IllegalArgumentException("dim D=" + dim + " and valueDim Dv=" + valueDim + " must be >= 1");
        }
        if (windowLeft < -1 || windowRight < -1) {
            throw new IllegalArgumentException("window sides must be >= -1 (-1 = unbounded), got (" + windowLeft
                    + ", " + windowRight + ")");
        }
        if (ropeBase < 0 || Double.isNaN(ropeBase)) {
            throw new IllegalArgumentException("ropeBase must be > 0, or 0 for no RoPE; got " + ropeBase);
        }
        if (ropeBase > 0) {
            Objects.requireNonNull(ropeStyle, "ropeStyle");
        }
    }

    /** Plain attention: no masks, no positions, the default scale. */
    public static AttentionSpec of(int heads, int kvHeads, int dim, int valueDim) {
        return new AttentionSpec(heads, kvHeads, dim, valueDim, false, -1, -1, false, 0, null, null);
    }

    /** This spec, causal. */
    public AttentionSpec withCausal() {
        return new AttentionSpec(heads, kvHeads, dim, valueDim, true, windowLeft, windowRight, alibi, ropeBase,
                ropeStyle, scale);
    }

    /** This spec with a sliding window. */
    public AttentionSpec withWindow(int left, int right) {
        return new AttentionSpec(heads, kvHeads, dim, valueDim, causal, left, right, alibi, ropeBase, ropeStyle,
                scale);
    }

    /** This spec with ALiBi. */
    public AttentionSpec withAlibi() {
        return new AttentionSpec(heads, kvHeads, dim, valueDim, causal, windowLeft, windowRight, true, ropeBase,
                ropeStyle, scale);
    }

    /** This spec with RoPE. */
    public AttentionSpec withRope(double base, RopeStyle style) {
        return new AttentionSpec(heads, kvHeads, dim, valueDim, causal, windowLeft, windowRight, alibi, base, style,
                scale);
    }

    /** The options of one piece: queries from {@code queryStart}, keys from {@code keyStart}, with the LSE. */
    public AttentionOptions options(int queryStart, int keyStart) {
        AttentionOptions.Builder b = AttentionOptions.builder().returnLse(true).startPositions(queryStart, keyStart);
        if (causal) {
            b.causal();
        }
        if (windowLeft >= 0 || windowRight >= 0) {
            b.window(windowLeft, windowRight);
        }
        if (alibi) {
            b.alibi();
        }
        if (ropeBase > 0) {
            b.rope(Rope.of(ropeBase, ropeStyle));
        }
        if (scale != null) {
            b.scale(scale);
        }
        return b.build();
    }

    /**
     * Whether a query block {@code [qs, qs + qn)} can see anything of a key block {@code [ks, ks + kn)}: false
     * when causal or the window masks the whole pair, which is then never computed.
     */
    public boolean visible(long qs, long qn, long ks, long kn) {
        if (qn <= 0 || kn <= 0) {
            return false;
        }
        long qLast = qs + qn - 1;
        long kLast = ks + kn - 1;
        if (causal && ks > qLast) {
            return false;
        }
        if (windowLeft >= 0 && kLast < qs - windowLeft) {
            return false;
        }
        return windowRight < 0 || ks <= qLast + windowRight;
    }
}

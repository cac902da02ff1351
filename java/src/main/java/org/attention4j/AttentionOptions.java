package org.attention4j;

import java.util.Objects;

/**
 * Immutable options of one attention call; build with {@link #builder()}. Everything is optional and combines
 * with everything else: scale, causal mask (either alignment), per-batch key lengths, a boolean or float mask,
 * ALiBi, a sliding window, RoPE, and the optional outputs (weights, log-sum-exp).
 *
 * <p>What an option means for a given problem (its positions, alignment and masking rules) is written out in
 * {@link AttentionEngine}'s documentation. Options that depend on the shapes (key lengths against the batch, mask
 * broadcasting, RoPE positions) are checked when the call is made.
 */
public final class AttentionOptions {

    /** No options: scale 1/sqrt(D), no masks, output only. */
    public static final AttentionOptions DEFAULTS = builder().build();

    private final Double scale;
    private final Causal causal;
    private final int[] kvLengths;
    private final AttentionMask mask;
    private final boolean alibi;
    private final float[] alibiSlopes;
    private final int windowLeft;
    private final int windowRight;
    private final Rope rope;
    private final int[] queryStarts;
    private final int[] keyStarts;
    private final boolean returnWeights;
    private final boolean returnLse;

    private AttentionOptions(Builder b) {
        this.scale = b.scale;
        this.causal = b.causal;
        this.kvLengths = b.kvLengths == null ? null : b.kvLengths.clone();
        this.mask = b.mask;
        this.alibi = b.alibi;
        this.alibiSlopes = b.alibiSlopes == null ? null : b.alibiSlopes.clone();
        this.windowLeft = b.windowLeft;
        this.windowRight = b.windowRight;
        this.rope = b.rope;
        this.queryStarts = b.queryStarts;
        this.keyStarts = b.keyStarts;
        if (causal == Causal.TOP_LEFT && queryStarts != null) {
            throw new IllegalArgumentException("causal TOP_LEFT aligns on the call's first query and key; with start "
                    + "positions the alignment is theirs: use causal() (key visible when its position <= the query's)");
        }
        this.returnWeights = b.returnWeights;
        this.returnLse = b.returnLse;
    }

    /** A new builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.scale = scale;
        b.causal = causal;
        b.kvLengths = kvLengths;
        b.mask = mask;
        b.alibi = alibi;
        b.alibiSlopes = alibiSlopes;
        b.windowLeft = windowLeft;
        b.windowRight = windowRight;
        b.rope = rope;
        b.queryStarts = queryStarts;
        b.keyStarts = keyStarts;
        b.returnWeights = returnWeights;
        b.returnLse = returnLse;
        return b;
    }

    /** The explicit scale, or null for the default {@code 1/sqrt(D)}. */
    public Double scale() {
        return scale;
    }

    /** The causal mode. */
    public Causal causal() {
        return causal;
    }

    /** Per-batch key lengths (copy), or null. */
    public int[] kvLengths() {
        return kvLengths == null ? null : kvLengths.clone();
    }

    /** The user mask, or null. */
    public AttentionMask mask() {
        return mask;
    }

    /** Whether ALiBi biases are added. */
    public boolean alibi() {
        return alibi;
    }

    /** Explicit ALiBi slopes (copy, one per query head), or null for {@link Alibi#slopes(int)}. */
    public float[] alibiSlopes() {
        return alibiSlopes == null ? null : alibiSlopes.clone();
    }

    /** Keys visible to the left of the aligned diagonal; -1 = unbounded. */
    public int windowLeft() {
        return windowLeft;
    }

    /** Keys visible to the right of the aligned diagonal; -1 = unbounded. */
    public int windowRight() {
        return windowRight;
    }

    /** Whether a sliding window restricts the keys. */
    public boolean hasWindow() {
        return windowLeft >= 0 || windowRight >= 0;
    }

    /** RoPE, or null. */
    public Rope rope() {
        return rope;
    }

    /** Whether {@link Builder#startPositions} were given. */
    public boolean hasStartPositions() {
        return queryStarts != null;
    }

    /**
     * Per batch entry (or packed sequence), the position in the whole sequence of the call's first query (copy):
     * one entry for all, or one per entry; null without {@link Builder#startPositions}.
     */
    public int[] queryStarts() {
        return queryStarts == null ? null : queryStarts.clone();
    }

    /** As {@link #queryStarts()}, for the first key. */
    public int[] keyStarts() {
        return keyStarts == null ? null : keyStarts.clone();
    }

    /** Whether the attention weights {@code [B, Hq, Nq, Nk]} are returned. */
    public boolean returnWeights() {
        return returnWeights;
    }

    /** Whether the log-sum-exp {@code [B, Hq, Nq]} is returned. */
    public boolean returnLse() {
        return returnLse;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("AttentionOptions{");
        sb.append("scale=").append(scale == null ? "1/sqrt(D)" : scale);
        if (causal != Causal.NONE) {
            sb.append(", causal=").append(causal);
        }
        if (kvLengths != null) {
            sb.append(", kvLengths=").append(java.util.Arrays.toString(kvLengths));
        }
        if (mask != null) {
            sb.append(", mask=").append(mask);
        }
        if (alibi) {
            sb.append(", alibi");
        }
        if (hasWindow()) {
            sb.append(", window=(").append(windowLeft).append(',').append(windowRight).append(')');
        }
        if (rope != null) {
            sb.append(", rope=").append(rope.describe());
        }
        if (queryStarts != null) {
            sb.append(", starts=(q ").append(startsString(queryStarts)).append(", k ").append(startsString(keyStarts))
                    .append(')');
        }
        if (returnWeights) {
            sb.append(", weights");
        }
        if (returnLse) {
            sb.append(", lse");
        }
        return sb.append('}').toString();
    }

    private static String startsString(int[] starts) {
        return starts.length == 1 ? Integer.toString(starts[0]) : java.util.Arrays.toString(starts);
    }

    /** Builds {@link AttentionOptions}; each setter checks its own argument. */
    public static final class Builder {
        private Double scale;
        private Causal causal = Causal.NONE;
        private int[] kvLengths;
        private AttentionMask mask;
        private boolean alibi;
        private float[] alibiSlopes;
        private int windowLeft = -1;
        private int windowRight = -1;
        private Rope rope;
        private int[] queryStarts;
        private int[] keyStarts;
        private boolean returnWeights;
        private boolean returnLse;

        private Builder() {
        }

        /** Multiplies {@code Q.K^T}; must be finite. Default {@code 1/sqrt(D)}. */
        public Builder scale(double scale) {
            if (!Double.isFinite(scale)) {
                throw new IllegalArgumentException("scale must be finite, got " + scale);
            }
            this.scale = scale;
            return this;
        }

        /** Restores the default scale {@code 1/sqrt(D)}. */
        public Builder defaultScale() {
            this.scale = null;
            return this;
        }

        /** Causal mask aligned bottom-right (key j visible to query i when {@code j <= i + Nk - Nq}). */
        public Builder causal() {
            return causal(Causal.BOTTOM_RIGHT);
        }

        /** Causal mask with the given alignment ({@link Causal#NONE} removes it). */
        public Builder causal(Causal causal) {
            this.causal = Objects.requireNonNull(causal, "causal");
            return this;
        }

        /** Per-batch key lengths: keys {@code j >= kvLengths[b]} are masked (padding); null removes it. */
        public Builder kvLengths(int... kvLengths) {
            if (kvLengths != null) {
                for (int i = 0; i < kvLengths.length; i++) {
                    if (kvLengths[i] < 0) {
                        throw new IllegalArgumentException("kvLengths[" + i + "] must be >= 0, got " + kvLengths[i]);
                    }
                }
            }
            this.kvLengths = kvLengths == null ? null : kvLengths.clone();
            return this;
        }

        /** A boolean or float mask broadcastable to {@code [B, Hq, Nq, Nk]}; null removes it. */
        public Builder mask(AttentionMask mask) {
            this.mask = mask;
            return this;
        }

        /** ALiBi with the paper's slopes for the number of query heads. */
        public Builder alibi() {
            return alibi(true);
        }

        /** Turns ALiBi on or off. */
        public Builder alibi(boolean on) {
            this.alibi = on;
            if (!on) {
                this.alibiSlopes = null;
            }
            return this;
        }

        /** ALiBi with explicit slopes, one per query head (all finite). */
        public Builder alibiSlopes(float... slopes) {
            Objects.requireNonNull(slopes, "slopes");
            for (int i = 0; i < slopes.length; i++) {
                if (!Float.isFinite(slopes[i])) {
                    throw new IllegalArgumentException("alibiSlopes[" + i + "] must be finite, got " + slopes[i]);
                }
            }
            this.alibi = true;
            this.alibiSlopes = slopes.clone();
            return this;
        }

        /**
         * A sliding window: key j visible to query i when {@code i + Nk - Nq - left <= j <= i + Nk - Nq + right}
         * (with {@link #startPositions}: when {@code qPos - left <= kPos <= qPos + right}); -1 leaves that side
         * unbounded.
         */
        public Builder window(int left, int right) {
            if (left < -1 || right < -1) {
                throw new IllegalArgumentException("window sides must be >= -1 (-1 = unbounded), got ("
                        + left + ", " + right + ")");
            }
            this.windowLeft = left;
            this.windowRight = right;
            return this;
        }

        /** RoPE with default positions. */
        public Builder rope(double base, RopeStyle style) {
            return rope(Rope.of(base, style));
        }

        /** RoPE (null removes it). */
        public Builder rope(Rope rope) {
            this.rope = rope;
            return this;
        }

        /**
         * Where this call's queries and keys sit in a longer sequence, for attention computed in pieces (a shard
         * of the keys, a block of the queries) and merged with {@link AttentionMerge}: query {@code i} is at
         * position {@code queryStart + i}, key {@code j} at {@code keyStart + j}. Every position rule then counts
         * in these positions, as the whole call would: causal lets a key be seen when its position is at most the
         * query's, the window and ALiBi measure {@code queryPos - keyPos}, and RoPE's default positions are these
         * (explicit {@link Rope#withPositions} positions still win). Without them a call is its own sequence,
         * aligned bottom-right: queries at {@code Nk - Nq + i}, keys at {@code j}. Key lengths, masks and weights
         * stay indexed by the call's own {@code j}. Not with {@link Causal#TOP_LEFT} (an alignment of its own).
         *
         * @throws IllegalArgumentException for a negative start
         */
        public Builder startPositions(int queryStart, int keyStart) {
            return startPositions(new int[] {queryStart}, new int[] {keyStart});
        }

        /**
         * {@link #startPositions(int, int)} per batch entry, or per sequence of a packed (varlen) call: arrays of
         * one entry each (the same for all) or of B entries, checked against the batch when the call is made;
         * null, null removes them.
         *
         * @throws IllegalArgumentException for a negative start or arrays of different or zero lengths
         */
        public Builder startPositions(int[] queryStarts, int[] keyStarts) {
            if (queryStarts == null && keyStarts == null) {
                this.queryStarts = null;
                this.keyStarts = null;
                return this;
            }
            Objects.requireNonNull(queryStarts, "queryStarts");
            Objects.requireNonNull(keyStarts, "keyStarts");
            if (queryStarts.length != keyStarts.length || queryStarts.length == 0) {
                throw new IllegalArgumentException("queryStarts and keyStarts need the same length >= 1 (1 for all "
                        + "batch entries, or B), got " + queryStarts.length + " and " + keyStarts.length);
            }
            for (int b = 0; b < queryStarts.length; b++) {
                if (queryStarts[b] < 0 || keyStarts[b] < 0) {
                    throw new IllegalArgumentException("start positions must be >= 0, got queryStarts[" + b + "]="
                            + queryStarts[b] + ", keyStarts[" + b + "]=" + keyStarts[b]);
                }
            }
            this.queryStarts = queryStarts.clone();
            this.keyStarts = keyStarts.clone();
            return this;
        }

        /** Return the attention weights {@code [B, Hq, Nq, Nk]}. */
        public Builder returnWeights(boolean on) {
            this.returnWeights = on;
            return this;
        }

        /** Return the log-sum-exp {@code [B, Hq, Nq]}. */
        public Builder returnLse(boolean on) {
            this.returnLse = on;
            return this;
        }

        /** The options. */
        public AttentionOptions build() {
            return new AttentionOptions(this);
        }
    }
}

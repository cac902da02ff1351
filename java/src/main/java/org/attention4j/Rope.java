package org.attention4j;

/**
 * Rotary position embedding applied to Q and K before the scores.
 *
 * <p>Pair {@code t} (of {@code R/2}, {@code R} the rotary dim) at position {@code p} is rotated by
 * {@code p * invFreq[t]}, with {@code invFreq[t] = base^(-2t/R)} unless a {@link RopeScaling} says otherwise; cos
 * and sin are multiplied by the scaling's attention factor (YaRN). With a rotary dim below the head dim (partial
 * rotary: GPT-J, GPT-NeoX, Phi) only the first {@code R} elements of each head turn, paired within them
 * ({@link RopeStyle#HALF}: {@code t} with {@code t + R/2}; {@link RopeStyle#INTERLEAVED}: {@code 2t} with
 * {@code 2t+1}), and the rest pass through unchanged.
 *
 * <p>By default keys sit at positions {@code 0..Nk-1} and queries at {@code Nk - Nq + i} (bottom-right, as
 * decoding needs). Explicit positions replace those: an array of length {@code N} (shared by the batch) or
 * {@code B * N} (batch-major).
 *
 * @param base            the frequency base, e.g. 10000; finite and greater than 0
 * @param style           which elements pair up
 * @param queryPositions  explicit query positions, or {@code null} for the default
 * @param keyPositions    explicit key positions, or {@code null} for the default
 * @param rotaryDim       how many leading elements of each head turn: even and at most the head dim (checked
 *                        per call), or 0 for the whole head dim
 * @param scaling         the checkpoint's frequency scaling, or {@code null} for none
 */
public record Rope(double base, RopeStyle style, int[] queryPositions, int[] keyPositions, int rotaryDim,
        RopeScaling scaling) {

    /** The usual base of Llama-style models. */
    public static final double DEFAULT_BASE = 10000.0;

    /** Validates the arguments; position arrays are copied. */
    public Rope {
        if (!Double.isFinite(base) || base <= 0) {
            throw new IllegalArgumentException("rope base must be finite and > 0, got " + base);
        }
        if (style == null) {
            throw new IllegalArgumentException("rope style must not be null");
        }
        if (rotaryDim < 0 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("rope rotaryDim must be even and >= 0 (0: the whole head dim), got "
                    + rotaryDim);
        }
        queryPositions = queryPositions == null ? null : queryPositions.clone();
        keyPositions = keyPositions == null ? null : keyPositions.clone();
    }

    /** RoPE over the whole head dim, unscaled, with the given positions. */
    public Rope(double base, RopeStyle style, int[] queryPositions, int[] keyPositions) {
        this(base, style, queryPositions, keyPositions, 0, null);
    }

    /** RoPE with default positions. */
    public static Rope of(double base, RopeStyle style) {
        return new Rope(base, style, null, null);
    }

    /** This rotation with only the first {@code rotaryDim} elements of each head turning (0: all of them). */
    public Rope withRotaryDim(int rotaryDim) {
        return new Rope(base, style, queryPositions, keyPositions, rotaryDim, scaling);
    }

    /** This rotation with a frequency scaling ({@code null}: none). */
    public Rope withScaling(RopeScaling scaling) {
        return new Rope(base, style, queryPositions, keyPositions, rotaryDim, scaling);
    }

    /** This rotation with other explicit positions (null: the default). */
    public Rope withPositions(int[] queryPositions, int[] keyPositions) {
        return new Rope(base, style, queryPositions, keyPositions, rotaryDim, scaling);
    }

    /** Query positions, copied (null when default). */
    @Override
    public int[] queryPositions() {
        return queryPositions == null ? null : queryPositions.clone();
    }

    /** Key positions, copied (null when default). */
    @Override
    public int[] keyPositions() {
        return keyPositions == null ? null : keyPositions.clone();
    }

    /** The rotary dim for head dim {@code headDim}: {@link #rotaryDim()}, or {@code headDim} when that is 0. */
    public int rotaryDim(int headDim) {
        return rotaryDim == 0 ? headDim : rotaryDim;
    }

    /** The inverse frequencies of the pairs that turn, for head dim {@code headDim} ({@code rotaryDim(D) / 2}). */
    public double[] inverseFrequencies(int headDim) {
        int r = rotaryDim(headDim);
        return scaling == null ? RopeScaling.unscaled(base, r) : scaling.inverseFrequencies(base, r);
    }

    /** The factor on cos and sin: the scaling's ({@link RopeScaling#attentionFactor()}), else 1. */
    public double attentionFactor() {
        return scaling == null ? 1.0 : scaling.attentionFactor();
    }

    /** Whether {@code other} turns vectors the same way (base, style, rotary dim, scaling; positions aside). */
    public boolean sameRotation(Rope other) {
        return other != null && base == other.base && style == other.style && rotaryDim == other.rotaryDim
                && java.util.Objects.equals(scaling, other.scaling);
    }

    /** What this rotation is, for messages: style, base, and rotary dim and scaling when set. */
    public String describe() {
        return style + "@" + base + (rotaryDim == 0 ? "" : ", rotaryDim " + rotaryDim)
                + (scaling == null ? "" : ", " + scaling);
    }
}

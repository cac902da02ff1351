package org.attention4j;

/**
 * Rotary position embedding applied to Q and K before the scores.
 *
 * <p>Pair {@code t} (of {@code D/2}) at position {@code p} is rotated by {@code p * base^(-2t/D)}. By default keys
 * sit at positions {@code 0..Nk-1} and queries at {@code Nk - Nq + i} (bottom-right, as decoding needs). Explicit
 * positions replace those: an array of length {@code N} (shared by the batch) or {@code B * N} (batch-major).
 *
 * @param base            the frequency base, e.g. 10000; finite and greater than 0
 * @param style           which elements pair up
 * @param queryPositions  explicit query positions, or {@code null} for the default
 * @param keyPositions    explicit key positions, or {@code null} for the default
 */
public record Rope(double base, RopeStyle style, int[] queryPositions, int[] keyPositions) {

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
        queryPositions = queryPositions == null ? null : queryPositions.clone();
        keyPositions = keyPositions == null ? null : keyPositions.clone();
    }

    /** RoPE with default positions. */
    public static Rope of(double base, RopeStyle style) {
        return new Rope(base, style, null, null);
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
}

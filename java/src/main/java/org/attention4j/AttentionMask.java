package org.attention4j;

import java.util.Objects;

/**
 * A user mask over the scores, broadcastable (NumPy rules, aligned from the right) to {@code [B, Hq, Nq, Nk]}.
 *
 * <p>Two kinds, as in PyTorch's {@code scaled_dot_product_attention}:
 * <ul>
 *   <li>boolean: {@code true} means the query may attend to the key; {@code false} masks it out;</li>
 *   <li>float: added to the scaled scores; {@code -inf} masks a key out.</li>
 * </ul>
 * Each dimension of the mask's shape (rank 1 to 4) must equal the matching score dimension or be 1. The data is
 * wrapped, not copied.
 */
public final class AttentionMask {
    private final boolean[] allowed;
    private final float[] bias;
    private final int[] shape;

    private AttentionMask(boolean[] allowed, float[] bias, int[] shape) {
        this.allowed = allowed;
        this.bias = bias;
        this.shape = shape;
    }

    /** A boolean mask: {@code true} = may attend. */
    public static AttentionMask ofBoolean(boolean[] allowed, int... shape) {
        Objects.requireNonNull(allowed, "allowed");
        checkShape(allowed.length, shape);
        return new AttentionMask(allowed, null, shape.clone());
    }

    /** A float mask added to the scaled scores. */
    public static AttentionMask ofFloat(float[] bias, int... shape) {
        Objects.requireNonNull(bias, "bias");
        checkShape(bias.length, shape);
        return new AttentionMask(null, bias, shape.clone());
    }

    /** A float mask from a tensor (its data is shared). */
    public static AttentionMask ofFloat(Tensor bias) {
        return ofFloat(bias.data(), bias.shape());
    }

    /**
     * A boolean mask in PyTorch {@code nn.MultiheadAttention} / {@code nn.Transformer} terms, where {@code true}
     * means <em>ignore</em> that key (the opposite of {@link #ofBoolean} and of {@code scaled_dot_product_attention}):
     * the values are inverted into a new array.
     */
    public static AttentionMask ofIgnored(boolean[] ignore, int... shape) {
        Objects.requireNonNull(ignore, "ignore");
        checkShape(ignore.length, shape);
        boolean[] allowed = new boolean[ignore.length];
        for (int i = 0; i < ignore.length; i++) {
            allowed[i] = !ignore[i];
        }
        return new AttentionMask(allowed, null, shape.clone());
    }

    /**
     * PyTorch's {@code key_padding_mask} {@code [B, Nk]} ({@code true} = padding, ignore), as a mask of shape
     * {@code [B, 1, 1, Nk]}.
     */
    public static AttentionMask keyPadding(boolean[] ignore, int batch, int nk) {
        AttentionMask m = ofIgnored(ignore, batch, nk);
        return new AttentionMask(m.allowed, null, new int[] {batch, 1, 1, nk});
    }

    /**
     * Both masks at once, as PyTorch applies {@code attn_mask} and {@code key_padding_mask} together: a key is
     * visible when both allow it, and float biases add ({@code -inf} where a boolean side masks). The result has
     * the broadcast of the two shapes and owns new data.
     *
     * @throws IllegalArgumentException when the shapes do not broadcast together
     */
    public AttentionMask and(AttentionMask other) {
        Objects.requireNonNull(other, "other");
        int[] a = pad4(shape);
        int[] b = pad4(other.shape);
        int[] out = new int[4];
        for (int d = 0; d < 4; d++) {
            if (a[d] != b[d] && a[d] != 1 && b[d] != 1) {
                throw new IllegalArgumentException("masks " + Tensor.shapeString(shape) + " and "
                        + Tensor.shapeString(other.shape) + " do not broadcast together");
            }
            out[d] = Math.max(a[d], b[d]);
        }
        long[] sa = broadcastStrides(out[0], out[1], out[2], out[3]);
        long[] sb = other.broadcastStrides(out[0], out[1], out[2], out[3]);
        int n = (int) Tensor.elementCount(out, "combined mask shape");
        boolean bothBool = isBoolean() && other.isBoolean();
        boolean[] allow = bothBool ? new boolean[n] : null;
        float[] bias = bothBool ? null : new float[n];
        int k = 0;
        for (int i0 = 0; i0 < out[0]; i0++) {
            for (int i1 = 0; i1 < out[1]; i1++) {
                for (int i2 = 0; i2 < out[2]; i2++) {
                    for (int i3 = 0; i3 < out[3]; i3++, k++) {
                        long ia = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3];
                        long ib = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3];
                        if (bothBool) {
                            allow[k] = allowed[(int) ia] && other.allowed[(int) ib];
                        } else {
                            bias[k] = valueAt((int) ia) + other.valueAt((int) ib);
                        }
                    }
                }
            }
        }
        return bothBool ? new AttentionMask(allow, null, out) : new AttentionMask(null, bias, out);
    }

    /** Element {@code i} as a bias: a boolean mask's false is {@code -inf}, true 0. */
    private float valueAt(int i) {
        return allowed != null ? (allowed[i] ? 0f : Float.NEGATIVE_INFINITY) : bias[i];
    }

    private static int[] pad4(int[] shape) {
        int[] full = new int[4];
        int pad = 4 - shape.length;
        for (int i = 0; i < 4; i++) {
            full[i] = i < pad ? 1 : shape[i - pad];
        }
        return full;
    }

    private static void checkShape(int length, int[] shape) {
        Objects.requireNonNull(shape, "shape");
        if (shape.length < 1 || shape.length > 4) {
            throw new IllegalArgumentException("mask must have rank 1 to 4 (broadcast to [B, Hq, Nq, Nk]), got shape "
                    + Tensor.shapeString(shape));
        }
        long n = Tensor.elementCount(shape, "mask shape");
        if (n != length) {
            throw new IllegalArgumentException("mask data has " + length + " elements but shape "
                    + Tensor.shapeString(shape) + " needs " + n);
        }
    }

    /** Whether this is a boolean mask (else float). */
    public boolean isBoolean() {
        return allowed != null;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The boolean data (live), or null for a float mask. */
    public boolean[] booleanData() {
        return allowed;
    }

    /** The float data (live), or null for a boolean mask. */
    public float[] floatData() {
        return bias;
    }

    /**
     * Element strides of this mask as seen through {@code [B, Hq, Nq, Nk]}: 0 along broadcast dimensions, so that
     * element {@code (b, h, i, j)} is at {@code b*s[0] + h*s[1] + i*s[2] + j*s[3]}.
     *
     * @throws IllegalArgumentException when the shape does not broadcast
     */
    public long[] broadcastStrides(int batch, int heads, int nq, int nk) {
        int[] target = {batch, heads, nq, nk};
        int[] full = new int[4];
        int pad = 4 - shape.length;
        for (int i = 0; i < 4; i++) {
            full[i] = i < pad ? 1 : shape[i - pad];
        }
        long[] strides = new long[4];
        long s = 1;
        for (int i = 3; i >= 0; i--) {
            if (full[i] == target[i]) {
                strides[i] = full[i] == 1 ? 0 : s;
            } else if (full[i] == 1) {
                strides[i] = 0;
            } else {
                throw new IllegalArgumentException("mask shape " + Tensor.shapeString(shape)
                        + " does not broadcast to the scores [B, Hq, Nq, Nk] = " + Tensor.shapeString(target));
            }
            s *= full[i];
        }
        return strides;
    }

    @Override
    public String toString() {
        return (isBoolean() ? "BooleanMask" : "FloatMask") + Tensor.shapeString(shape);
    }
}

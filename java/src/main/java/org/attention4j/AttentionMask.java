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

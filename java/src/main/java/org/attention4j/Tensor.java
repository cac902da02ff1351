package org.attention4j;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, row-major (C order) float32 tensor on the host.
 *
 * <p>A tensor is a view of a {@code float[]} plus a shape; {@link #of(float[], int...)} wraps the array without
 * copying, so a service can hand its own buffers to the engine. The shape is immutable; the data is not (it is
 * the caller's array). The element count must fit a Java array: at most {@link #MAX_ELEMENTS}.
 */
public final class Tensor {

    /** The largest element count a tensor can hold (the JVM's practical array limit). */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final float[] data;
    private final int[] shape;

    private Tensor(float[] data, int[] shape) {
        this.data = data;
        this.shape = shape;
    }

    /**
     * Wraps {@code data} (not copied) with the given shape.
     *
     * @throws IllegalArgumentException when a dimension is negative or the length does not match the shape
     */
    public static Tensor of(float[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(shape, "shape");
        long n = elementCount(shape, "shape");
        if (n != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " elements but shape "
                    + shapeString(shape) + " needs " + n);
        }
        return new Tensor(data, shape.clone());
    }

    /**
     * A tensor over a {@link java.nio.FloatBuffer}'s remaining elements: the buffer's own array, not copied, when it is
     * array-backed and exactly that array (so writes through either are seen by both), else a copy (a direct
     * buffer or a slice: the engine computes on {@code float[]}). The buffer's position is not moved.
     *
     * @throws IllegalArgumentException when the remaining elements do not match the shape
     */
    public static Tensor of(java.nio.FloatBuffer data, int... shape) {
        java.util.Objects.requireNonNull(data, "data");
        long n = elementCount(shape, "shape");
        if (data.remaining() != n) {
            throw new IllegalArgumentException("buffer has " + data.remaining() + " elements remaining, shape "
                    + shapeString(shape) + " needs " + n);
        }
        if (data.hasArray() && data.arrayOffset() == 0 && data.position() == 0 && data.array().length == n) {
            return of(data.array(), shape);
        }
        float[] copy = new float[(int) n];
        data.duplicate().get(copy);
        return of(copy, shape);
    }

    /**
     * A float32 tensor widened (exactly) from IEEE half (fp16) bits, as {@code numpy.float16} or
     * {@code torch.float16} store them.
     *
     * @throws IllegalArgumentException when the length does not match the shape
     */
    public static Tensor fromFloat16(short[] bits, int... shape) {
        return widen(bits, shape, false);
    }

    /**
     * A float32 tensor widened (exactly) from bfloat16 bits, as {@code torch.bfloat16} stores them.
     *
     * @throws IllegalArgumentException when the length does not match the shape
     */
    public static Tensor fromBfloat16(short[] bits, int... shape) {
        return widen(bits, shape, true);
    }

    private static Tensor widen(short[] bits, int[] shape, boolean bfloat16) {
        java.util.Objects.requireNonNull(bits, "bits");
        long n = elementCount(shape, "shape");
        if (bits.length != n) {
            throw new IllegalArgumentException("data has " + bits.length + " elements, shape " + shapeString(shape)
                    + " needs " + n);
        }
        float[] x = new float[bits.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = bfloat16 ? Float16.bfloat16ToFloat(bits[i]) : Float16.halfToFloat(bits[i]);
        }
        return of(x, shape);
    }

    /** A new zero-filled tensor. */
    public static Tensor zeros(int... shape) {
        Objects.requireNonNull(shape, "shape");
        long n = elementCount(shape, "shape");
        return new Tensor(new float[(int) n], shape.clone());
    }

    /**
     * The number of elements of {@code shape}, checked: non-negative dimensions and at most
     * {@link #MAX_ELEMENTS} elements.
     *
     * @param what the argument's name, for the error message
     */
    public static long elementCount(int[] shape, String what) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(what + " has a negative dimension: " + shapeString(shape));
            }
            n *= d;
            if (n > MAX_ELEMENTS) {
                throw new IllegalArgumentException(what + " " + shapeString(shape) + " has more than "
                        + MAX_ELEMENTS + " elements, the most a Java array holds");
            }
        }
        return n;
    }

    /** The shape as {@code [a, b, c]}. */
    public static String shapeString(int[] shape) {
        return Arrays.toString(shape);
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** The size of dimension {@code axis}; a negative axis counts from the end. */
    public int dim(int axis) {
        int a = axis < 0 ? shape.length + axis : axis;
        if (a < 0 || a >= shape.length) {
            throw new IllegalArgumentException("axis " + axis + " out of range for shape " + shapeString(shape));
        }
        return shape[a];
    }

    /** The number of elements. */
    public int size() {
        return data.length;
    }

    /** The backing array, not a copy: writes are visible through this tensor. */
    public float[] data() {
        return data;
    }

    /** The element at a full index. */
    public float get(int... index) {
        return data[offset(index)];
    }

    /** Sets the element at a full index. */
    public void set(float value, int... index) {
        data[offset(index)] = value;
    }

    private int offset(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has rank " + index.length
                    + ", tensor " + shapeString(shape) + " has rank " + shape.length);
        }
        int off = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of bounds for shape "
                        + shapeString(shape));
            }
            off = off * shape[i] + index[i];
        }
        return off;
    }

    /** The same data under another shape with the same element count (no copy). */
    public Tensor reshape(int... newShape) {
        return of(data, newShape);
    }

    /** A deep copy. */
    public Tensor copy() {
        return new Tensor(data.clone(), shape.clone());
    }

    @Override
    public String toString() {
        return "Tensor" + shapeString(shape);
    }
}

package org.attention4j.io;

import java.util.Objects;

import org.attention4j.Tensor;

/**
 * An array read from (or to be written to) a {@code .npy} file: a row-major shape plus either float32 or boolean
 * data. Arrays of any other NumPy dtype are refused by {@link Npy} rather than represented here.
 *
 * <p>The data arrays are held, not copied: {@link #floatData()} and {@link #booleanData()} return the live array.
 */
public final class NpyArray {

    /** The element types attention4j reads and writes. */
    public enum DType {
        /** IEEE float32, stored little-endian ({@code '<f4'}). */
        FLOAT32("<f4", 4),
        /** One byte per element, 0 = false, 1 = true ({@code '|b1'}). */
        BOOL("|b1", 1);

        private final String descr;
        private final int itemSize;

        DType(String descr, int itemSize) {
            this.descr = descr;
            this.itemSize = itemSize;
        }

        /** The NumPy {@code descr} written for this type. */
        public String descr() {
            return descr;
        }

        /** Bytes per element in the file. */
        public int itemSize() {
            return itemSize;
        }
    }

    private final DType dtype;
    private final int[] shape;
    private final float[] floats;
    private final boolean[] booleans;

    private NpyArray(DType dtype, int[] shape, float[] floats, boolean[] booleans) {
        this.dtype = dtype;
        this.shape = shape;
        this.floats = floats;
        this.booleans = booleans;
    }

    /**
     * A float32 array wrapping {@code data} (not copied).
     *
     * @throws IllegalArgumentException when the length does not match the shape or a dimension is negative
     */
    public static NpyArray ofFloat(float[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        checkLength(data.length, shape);
        return new NpyArray(DType.FLOAT32, shape.clone(), data, null);
    }

    /** A float32 array sharing the tensor's data. */
    public static NpyArray of(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        return new NpyArray(DType.FLOAT32, tensor.shape(), tensor.data(), null);
    }

    /**
     * A boolean array wrapping {@code data} (not copied).
     *
     * @throws IllegalArgumentException when the length does not match the shape or a dimension is negative
     */
    public static NpyArray ofBoolean(boolean[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        checkLength(data.length, shape);
        return new NpyArray(DType.BOOL, shape.clone(), null, data);
    }

    private static void checkLength(int length, int[] shape) {
        Objects.requireNonNull(shape, "shape");
        long n = Tensor.elementCount(shape, "shape");
        if (n != length) {
            throw new IllegalArgumentException("data has " + length + " elements but shape "
                    + Tensor.shapeString(shape) + " needs " + n);
        }
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** Whether the elements are booleans (else float32). */
    public boolean isBoolean() {
        return dtype == DType.BOOL;
    }

    /** A copy of the shape ({@code []} for a scalar). */
    public int[] shape() {
        return shape.clone();
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** The number of elements. */
    public int size() {
        return isBoolean() ? booleans.length : floats.length;
    }

    /**
     * The float32 data (live).
     *
     * @throws IllegalStateException when the array is boolean
     */
    public float[] floatData() {
        if (floats == null) {
            throw new IllegalStateException("array of dtype bool " + Tensor.shapeString(shape) + " has no float data");
        }
        return floats;
    }

    /**
     * The boolean data (live).
     *
     * @throws IllegalStateException when the array is float32
     */
    public boolean[] booleanData() {
        if (booleans == null) {
            throw new IllegalStateException("array of dtype float32 " + Tensor.shapeString(shape)
                    + " has no boolean data");
        }
        return booleans;
    }

    /**
     * The float32 data as a tensor (shared, not copied).
     *
     * @throws IllegalStateException when the array is boolean
     */
    public Tensor toTensor() {
        return Tensor.of(floatData(), shape);
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype.descr() + ", shape " + Tensor.shapeString(shape) + "]";
    }
}

package org.attention4j.testing;

import java.util.Random;
import java.util.SplittableRandom;

import org.attention4j.Tensor;

/**
 * Random test inputs, one definition each, for every test package: Gaussian tensors from a {@link Random} (the
 * element order is the tensor's, so a seed gives the same tensor wherever it is drawn) and uniform ones in
 * {@code [-scale, scale)} from a {@link SplittableRandom}.
 */
public final class TestData {
    private TestData() {
    }

    /** Standard normal elements, drawn in row-major order. */
    public static Tensor gaussian(Random r, int... shape) {
        return gaussian(r, 1.0, shape);
    }

    /** Normal elements of standard deviation {@code scale}, drawn in row-major order. */
    public static Tensor gaussian(Random r, double scale, int... shape) {
        float[] x = new float[(int) Tensor.elementCount(shape, "shape")];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return Tensor.of(x, shape);
    }

    /** {@code n} uniform values in {@code [-scale, scale)}. */
    public static float[] uniformFloats(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((2 * r.nextDouble() - 1) * scale);
        }
        return a;
    }

    /** A tensor of uniform values in {@code [-scale, scale)}. */
    public static Tensor uniform(SplittableRandom r, double scale, int... shape) {
        return Tensor.of(uniformFloats(r, (int) Tensor.elementCount(shape, "shape"), scale), shape);
    }

    /** A tensor of uniform values in {@code [-1, 1)} from its own seed. */
    public static Tensor uniform(long seed, int... shape) {
        return uniform(new SplittableRandom(seed), 1.0, shape);
    }

    /**
     * Random start positions for {@code n} batch entries or sequences, each in {@code [0, bound)}: {@code [0]} the
     * query starts, {@code [1]} the key starts (keys before, around or after the queries).
     */
    public static int[][] starts(Random r, int n, int bound) {
        int[][] s = new int[2][n];
        for (int i = 0; i < n; i++) {
            s[0][i] = r.nextInt(bound);
            s[1][i] = r.nextInt(bound);
        }
        return s;
    }
}

package org.attention4j.nn;

import static org.attention4j.nn.NnTesting.assertClose;
import static org.attention4j.nn.NnTesting.assertIae;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;

class LayerNormTest {

    @Test
    void handCase() {
        // mean 2.5, biased variance 1.25: (x - 2.5) / sqrt(1.25 + 1e-5), from NumPy.
        Tensor y = new LayerNorm(4).forward(Tensor.of(new float[] {1, 2, 3, 4}, 1, 4));
        assertClose(new double[] {-1.3416354199689269, -0.447211806656309, 0.447211806656309, 1.3416354199689269},
                y.data(), 1e-7, "layernorm");
        LayerNorm affine = new LayerNorm(Tensor.of(new float[] {2, 2, 1, 0}, 4), Tensor.of(new float[] {1, 0, 0, 5}, 4),
                0);
        // eps 0: exactly +-sqrt(1.8) and +-sqrt(0.2) before gamma/beta.
        assertClose(new double[] {1 - 2 * 1.3416407864998738, -2 * 0.4472135954999579, 0.4472135954999579, 5},
                affine.forward(Tensor.of(new float[] {1, 2, 3, 4}, 4)).data(), 1e-7, "affine");
    }

    @Test
    void rowsHaveMeanZeroAndUnitVarianceEvenWithALargeOffset() {
        SplittableRandom rnd = new SplittableRandom(5);
        int rows = 6;
        int e = 257;
        float[] x = new float[rows * e];
        for (int i = 0; i < x.length; i++) {
            // An offset of 1e4 with unit noise: the one-pass E[x^2] - E[x]^2 would lose most digits here.
            x[i] = (float) (1e4 + rnd.nextGaussian());
        }
        float[] y = new LayerNorm(Tensor.of(ones(e), e), Tensor.zeros(e), 0).forward(Tensor.of(x, 2, 3, e)).data();
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            double sq = 0;
            for (int c = 0; c < e; c++) {
                mean += y[r * e + c];
            }
            mean /= e;
            for (int c = 0; c < e; c++) {
                sq += (y[r * e + c] - mean) * (y[r * e + c] - mean);
            }
            assertEquals(0.0, mean, 1e-6, "row " + r + " mean");
            assertEquals(1.0, sq / e, 1e-5, "row " + r + " variance");
        }
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    @Test
    void constantRowGivesBetaNotNaN() {
        Tensor y = new LayerNorm(3).forward(Tensor.of(new float[] {7, 7, 7}, 3));
        assertArrayEquals(new float[] {0, 0, 0}, y.data());
    }

    @Test
    void badShapesNameTheArgument() {
        assertIae(() -> new LayerNorm(4).forward(Tensor.zeros(2, 3)), "x", "[2, 3]", "4");
        assertIae(() -> new LayerNorm(Tensor.zeros(4), Tensor.zeros(3), 1e-5), "beta", "[3]", "[4]");
        assertIae(() -> new LayerNorm(Tensor.zeros(2, 2), Tensor.zeros(4), 1e-5), "gamma", "[2, 2]");
        assertIae(() -> new LayerNorm(Tensor.zeros(4), Tensor.zeros(4), -1), "eps");
        assertIae(() -> new LayerNorm(0), "dim");
    }
}

package org.attention4j.nn;

import static org.attention4j.nn.NnTesting.assertClose;
import static org.attention4j.nn.NnTesting.assertIae;
import static org.attention4j.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;

class LinearTest {

    @Test
    void handCase() {
        Linear l = new Linear(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2), Tensor.of(new float[] {0.5f, -1, 0}, 3));
        Tensor y = l.forward(Tensor.of(new float[] {1, 1, 2, -1}, 2, 2));
        assertArrayEquals(new int[] {2, 3}, y.shape());
        assertArrayEquals(new float[] {3.5f, 6, 11, 0.5f, 1, 4}, y.data());
        Tensor noBias = new Linear(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2), null)
                .forward(Tensor.of(new float[] {1, 1}, 1, 1, 2));
        assertArrayEquals(new int[] {1, 1, 3}, noBias.shape());
        assertArrayEquals(new float[] {3, 7, 11}, noBias.data());
    }

    @Test
    void matchesFloat64OnAnyLeadingShapeInBothPaths() {
        SplittableRandom rnd = new SplittableRandom(11);
        Linear l = new Linear(uniform(rnd, 1, 96, 64), uniform(rnd, 1, 96));
        // 3 rows stay on the caller's thread; 300 rows (1.8M multiply-adds) take the parallel path.
        for (int[] shape : new int[][] {{3, 64}, {3, 100, 64}}) {
            Tensor x = uniform(rnd, 1, shape);
            Tensor y = l.forward(x);
            int rows = x.size() / 64;
            assertEquals(96, y.dim(-1));
            assertEquals(rows * 96, y.size());
            double[] want = Float64Mha.linear(Float64Mha.toDouble(x.data()), rows, l);
            assertClose(want, y.data(), 1e-5, "linear " + java.util.Arrays.toString(shape));
        }
    }

    @Test
    void parametersRoundTripAndAreCopied() {
        float[] w = {1, 2, 3, 4, 5, 6};
        Linear l = new Linear(Tensor.of(w, 2, 3), null);
        w[0] = 100;
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, l.weight().data());
        assertArrayEquals(new int[] {2, 3}, l.weight().shape());
        assertEquals(3, l.inFeatures());
        assertEquals(2, l.outFeatures());
        assertTrue(l.bias().isEmpty());
    }

    @Test
    void randomInitIsSeededWithTorchBounds() {
        Linear a = Linear.random(25, 7, true, 3);
        Linear b = Linear.random(25, 7, true, 3);
        assertArrayEquals(a.weight().data(), b.weight().data());
        for (float w : a.weight().data()) {
            assertTrue(Math.abs(w) <= 0.2f, "U(-1/sqrt(25), 1/sqrt(25))");
        }
        assertEquals(7, a.bias().orElseThrow().size());
    }

    @Test
    void badShapesNameTheArgument() {
        assertIae(() -> new Linear(Tensor.zeros(3), null), "weight", "[3]");
        assertIae(() -> new Linear(Tensor.zeros(3, 2), Tensor.zeros(2)), "bias", "[2]", "[3]");
        Linear l = new Linear(Tensor.zeros(3, 2), null);
        assertIae(() -> l.forward(Tensor.zeros(4, 3)), "x", "[4, 3]", "2");
        assertIae(() -> Linear.random(0, 2, true, 1), "in");
    }
}

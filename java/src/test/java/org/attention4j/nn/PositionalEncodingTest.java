package org.attention4j.nn;

import static org.attention4j.nn.NnTesting.assertClose;
import static org.attention4j.nn.NnTesting.assertIae;
import static org.attention4j.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.SplittableRandom;

import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;

class PositionalEncodingTest {

    @Test
    void sinusoidalPositionZeroIsSinZeroCosZero() {
        Tensor t = new SinusoidalPositionalEncoding(6).table(1);
        assertArrayEquals(new int[] {1, 6}, t.shape());
        assertArrayEquals(new float[] {0, 1, 0, 1, 0, 1}, t.data());
    }

    @Test
    void sinusoidalEntriesByHand() {
        // E = 4: the second pair's frequency is 10000^(-2/4) = 1/100.
        Tensor t4 = new SinusoidalPositionalEncoding(4).table(2);
        assertClose(new double[] {Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)},
                java.util.Arrays.copyOfRange(t4.data(), 4, 8), 1e-7, "E=4, pos 1");
        // E = 6, pos 3, pair 1: 3 / 10000^(2/6) (values from Python's math module).
        Tensor t6 = new SinusoidalPositionalEncoding(6).table(4);
        assertEquals(0.13879810108005056, t6.get(3, 2), 1e-7);
        assertEquals(0.990320699135675, t6.get(3, 3), 1e-7);
        // Odd E = 5: the last column is a lone sine with frequency 10000^(-4/5).
        Tensor t5 = new SinusoidalPositionalEncoding(5).table(8);
        assertEquals(0.004416687051757924, t5.get(7, 4), 1e-9);
        assertEquals(Math.cos(7 / Math.pow(10000, 2.0 / 5)), t5.get(7, 3), 1e-7);
        // Another base.
        Tensor b = new SinusoidalPositionalEncoding(4, 100).table(3);
        assertEquals(Math.sin(2 / 10.0), b.get(2, 2), 1e-7);
    }

    @Test
    void sinusoidalAddToUsesStartPositionAndLeavesInputAlone() {
        SinusoidalPositionalEncoding pe = new SinusoidalPositionalEncoding(8);
        SplittableRandom rnd = new SplittableRandom(9);
        Tensor x = uniform(rnd, 1, 2, 3, 8);
        float[] before = x.data().clone();
        Tensor y = pe.addTo(x, 5);
        assertArrayEquals(before, x.data());
        Tensor rows = pe.table(5, 3);
        assertArrayEquals(java.util.Arrays.copyOfRange(pe.table(8).data(), 40, 64), rows.data());
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 3; i++) {
                for (int c = 0; c < 8; c++) {
                    assertEquals(x.get(b, i, c) + rows.get(i, c), y.get(b, i, c), 0f);
                }
            }
        }
        Tensor same = pe.addInPlace(x, 5);
        assertSame(x, same);
        assertArrayEquals(y.data(), x.data());
        assertArrayEquals(pe.addTo(Tensor.zeros(1, 4, 8), 0).data(), pe.table(4).data());
    }

    @Test
    void sinusoidalBadInput() {
        SinusoidalPositionalEncoding pe = new SinusoidalPositionalEncoding(8);
        assertIae(() -> pe.addTo(Tensor.zeros(2, 3, 7), 0), "x", "[2, 3, 7]", "8");
        assertIae(() -> pe.addTo(Tensor.zeros(3, 8), 0), "x", "[3, 8]");
        assertIae(() -> pe.addTo(Tensor.zeros(1, 3, 8), -1), "startPosition", "-1");
        assertIae(() -> new SinusoidalPositionalEncoding(0), "dim");
        assertIae(() -> new SinusoidalPositionalEncoding(4, Double.NaN), "base");
        assertIae(() -> pe.table(-2), "n=-2");
    }

    @Test
    void learnedAddsTableRows() {
        float[] table = new float[4 * 2];
        for (int i = 0; i < table.length; i++) {
            table[i] = i;
        }
        LearnedPositionalEncoding pe = new LearnedPositionalEncoding(Tensor.of(table, 4, 2));
        table[0] = 99;
        assertEquals(0f, pe.table().get(0, 0));
        Tensor x = Tensor.of(new float[] {1, 1, 1, 1, 2, 2, 2, 2}, 2, 2, 2);
        assertArrayEquals(new float[] {5, 6, 7, 8, 6, 7, 8, 9}, pe.addTo(x, 2).data());
        assertArrayEquals(new float[] {1, 2, 3, 4, 2, 3, 4, 5}, pe.addTo(x).data());
        assertArrayEquals(new float[] {1, 1, 1, 1, 2, 2, 2, 2}, x.data());
        pe.addInPlace(x, 1);
        assertArrayEquals(new float[] {3, 4, 5, 6, 4, 5, 6, 7}, x.data());
    }

    @Test
    void learnedRefusesPositionsPastTheTable() {
        LearnedPositionalEncoding pe = LearnedPositionalEncoding.random(8, 4, 1);
        pe.addTo(Tensor.zeros(1, 8, 4), 0);
        pe.addTo(Tensor.zeros(1, 3, 4), 5);
        assertIae(() -> pe.addTo(Tensor.zeros(1, 5, 4), 4), "positions 4 .. 8", "maxLen=8");
        assertIae(() -> pe.addTo(Tensor.zeros(1, 9, 4), 0), "positions 0 .. 8", "maxLen=8");
        assertIae(() -> pe.addInPlace(Tensor.zeros(1, 1, 4), 8), "positions 8 .. 8");
        assertIae(() -> pe.addTo(Tensor.zeros(1, 1, 4), -3), "startPosition", "-3");
        assertIae(() -> pe.addTo(Tensor.zeros(1, 1, 5), 0), "x", "[1, 1, 5]");
        assertIae(() -> new LearnedPositionalEncoding(Tensor.zeros(8)), "table", "[8]");
    }

    @Test
    void learnedRandomTableIsSeededWithStd002() {
        LearnedPositionalEncoding a = LearnedPositionalEncoding.random(64, 32, 7);
        assertArrayEquals(a.table().data(), LearnedPositionalEncoding.random(64, 32, 7).table().data());
        double sq = 0;
        for (float v : a.table().data()) {
            sq += v * v;
        }
        assertEquals(0.02, Math.sqrt(sq / (64 * 32)), 0.002);
    }
}

package org.attention4j.nn;

import static org.attention4j.nn.NnTesting.assertClose;
import static org.attention4j.nn.NnTesting.assertIae;
import static org.attention4j.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.Backend;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TransformerBlockTest {

    private static AttentionEngine engine(Backend b) {
        return AttentionEngine.builder().backend(b).threads(2).build();
    }

    /** LayerNorm in float64 from the layer's parameters. */
    private static double[] layerNorm(double[] x, LayerNorm ln) {
        int e = ln.dim();
        float[] g = ln.gamma().data();
        float[] b = ln.beta().data();
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / e; r++) {
            double mean = 0;
            for (int c = 0; c < e; c++) {
                mean += x[r * e + c];
            }
            mean /= e;
            double var = 0;
            for (int c = 0; c < e; c++) {
                var += (x[r * e + c] - mean) * (x[r * e + c] - mean);
            }
            var /= e;
            for (int c = 0; c < e; c++) {
                y[r * e + c] = (x[r * e + c] - mean) / Math.sqrt(var + ln.eps()) * g[c] + b[c];
            }
        }
        return y;
    }

    @ParameterizedTest
    @EnumSource(names = {"REFERENCE", "CPU"})
    void matchesFloat64Composition(Backend backend) {
        SplittableRandom rnd = new SplittableRandom(21);
        int e = 16;
        MultiHeadAttention mha = MultiHeadAttention.builder(e, 4).numKvHeads(2).seed(3).build();
        LayerNorm n1 = new LayerNorm(uniform(rnd, 1, e), uniform(rnd, 0.2, e), 1e-5);
        LayerNorm n2 = new LayerNorm(uniform(rnd, 1, e), uniform(rnd, 0.2, e), 1e-5);
        Linear fc1 = Linear.random(e, 40, true, 4);
        Linear fc2 = Linear.random(40, e, true, 5);
        TransformerBlock block = new TransformerBlock(n1, mha, n2, fc1, fc2, Gelu.Form.EXACT);
        Tensor x = uniform(rnd, 1, 2, 7, e);
        Tensor y;
        try (AttentionEngine eng = engine(backend)) {
            y = block.forward(eng, x, AttentionOptions.builder().causal().build());
        }
        double[] xd = Float64Mha.toDouble(x.data());
        double[] a = layerNorm(xd, n1);
        double[] att = Float64Mha.forward(mha, a, a, a, 2, 7, 7, true, null, null, null).out();
        double[] h = new double[xd.length];
        for (int i = 0; i < h.length; i++) {
            h[i] = xd[i] + att[i];
        }
        double[] u = Float64Mha.linear(layerNorm(h, n2), 14, fc1);
        for (int i = 0; i < u.length; i++) {
            u[i] = 0.5 * u[i] * (1 + Gelu.erf(u[i] / Math.sqrt(2)));
        }
        double[] m = Float64Mha.linear(u, 14, fc2);
        for (int i = 0; i < m.length; i++) {
            m[i] += h[i];
        }
        assertClose(m, y.data(), backend == Backend.REFERENCE ? 2e-5 : 1e-4, "block");
    }

    @Test
    void shapesAndSeededInit() {
        TransformerBlock block = TransformerBlock.builder(16, 4).hidden(24).numKvHeads(2).seed(9)
                .rope(10000, RopeStyle.INTERLEAVED).gelu(Gelu.Form.TANH).build();
        assertEquals(24, block.fc1().outFeatures());
        assertEquals(Activation.GELU_TANH, block.activation());
        Tensor x = uniform(new SplittableRandom(1), 1, 2, 5, 16);
        try (AttentionEngine eng = engine(Backend.REFERENCE)) {
            Tensor y = block.forward(eng, x);
            assertArrayEquals(new int[] {2, 5, 16}, y.shape());
            Tensor y2 = TransformerBlock.builder(16, 4).hidden(24).numKvHeads(2).seed(9)
                    .rope(10000, RopeStyle.INTERLEAVED).gelu(Gelu.Form.TANH).build().forward(eng, x);
            assertArrayEquals(y.data(), y2.data());
            Tensor alibi = TransformerBlock.builder(16, 4).alibi().bias(false).build().forward(eng, x,
                    AttentionOptions.builder().causal().build());
            assertArrayEquals(new int[] {2, 5, 16}, alibi.shape());
        }
        assertEquals(64, TransformerBlock.builder(16, 4).build().fc1().outFeatures());
    }

    @Test
    void zeroedOutputProjectionsMakeItTheIdentity() {
        int e = 8;
        SplittableRandom rnd = new SplittableRandom(2);
        MultiHeadAttention mha = MultiHeadAttention.builder(e, 2).seed(1)
                .outProj(Tensor.zeros(e, e), Tensor.zeros(e)).build();
        TransformerBlock block = new TransformerBlock(new LayerNorm(e), mha, new LayerNorm(e),
                Linear.random(e, 16, true, 2), new Linear(Tensor.zeros(e, 16), Tensor.zeros(e)), Gelu.Form.EXACT);
        Tensor x = uniform(rnd, 3, 2, 6, e);
        try (AttentionEngine eng = engine(Backend.CPU)) {
            assertArrayEquals(x.data(), block.forward(eng, x).data());
        }
    }

    @Test
    void badInputNamesTheArgument() {
        TransformerBlock block = TransformerBlock.builder(8, 2).build();
        try (AttentionEngine eng = engine(Backend.REFERENCE)) {
            assertIae(() -> block.forward(eng, Tensor.zeros(2, 3, 7)), "x", "[2, 3, 7]", "8");
            assertIae(() -> block.forward(eng, Tensor.zeros(3, 8)), "x", "[3, 8]");
        }
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 2).build();
        assertIae(() -> new TransformerBlock(new LayerNorm(8), mha, new LayerNorm(8), Linear.random(8, 16, true, 1),
                Linear.random(12, 8, true, 1), Gelu.Form.EXACT), "fc1 8 -> 16", "fc2 12 -> 8");
        assertIae(() -> new TransformerBlock(new LayerNorm(6), mha, new LayerNorm(8), Linear.random(8, 16, true, 1),
                Linear.random(16, 8, true, 1), Gelu.Form.EXACT), "norm1 6");
        assertIae(() -> new TransformerBlock(new LayerNorm(8), MultiHeadAttention.builder(8, 2).kdim(4).build(),
                new LayerNorm(8), Linear.random(8, 16, true, 1), Linear.random(16, 8, true, 1), Gelu.Form.EXACT),
                "kdim=4");
        assertIae(() -> TransformerBlock.builder(10, 4).build(), "embedDim", "numHeads");
        assertIae(() -> TransformerBlock.builder(8, 2).hidden(0), "hidden");
    }
}

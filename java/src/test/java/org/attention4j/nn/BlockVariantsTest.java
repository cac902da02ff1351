package org.attention4j.nn;

import static org.attention4j.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Block variants of issue 13: activations against their formulas in float64, RMSNorm against a plain loop,
 * post-norm and gated MLPs against the formulas composed from the block's own parts, and the attention map.
 */
class BlockVariantsTest {
    @Test
    void activationsMatchTheirFormulas() {
        double[] xs = {-30, -3, -1, -0.5, 0, 0.25, 1, 2.5, 20};
        for (double x : xs) {
            assertEquals(Math.max(0, x), Activation.RELU.apply(x), 0);
            assertEquals(x / (1 + Math.exp(-x)), Activation.SILU.apply(x), 1e-15 * Math.max(1, Math.abs(x)));
            assertEquals(x / (1 + Math.exp(-1.702 * x)), Activation.QUICK_GELU.apply(x),
                    1e-15 * Math.max(1, Math.abs(x)));
            assertEquals(Gelu.apply(x, Gelu.Form.EXACT), Activation.GELU.apply(x), 0);
            assertEquals(Gelu.apply(x, Gelu.Form.TANH), Activation.GELU_TANH.apply(x), 0);
        }
        assertEquals(0.7310585786300049, Activation.SILU.apply(1), 1e-15);
        for (Activation a : Activation.values()) {
            assertEquals(0.0, a.apply(Double.NEGATIVE_INFINITY), 0, a.name());
            assertEquals(Double.POSITIVE_INFINITY, a.apply(Double.POSITIVE_INFINITY), 0, a.name());
            assertTrue(Double.isNaN(a.apply(Double.NaN)), a.name());
        }
    }

    @Test
    void rmsNormMatchesAPlainLoop() {
        SplittableRandom r = new SplittableRandom(1);
        Tensor w = uniform(r, 1.0, 59);
        Tensor x = uniform(r, 3.0, 2, 7, 59);
        RmsNorm n = new RmsNorm(w, 1e-6);
        float[] y = n.forward(x).data();
        for (int row = 0; row < 14; row++) {
            double sq = 0;
            for (int c = 0; c < 59; c++) {
                sq += (double) x.data()[row * 59 + c] * x.data()[row * 59 + c];
            }
            double inv = 1 / Math.sqrt(sq / 59 + 1e-6);
            for (int c = 0; c < 59; c++) {
                assertEquals((float) (x.data()[row * 59 + c] * inv * w.data()[c]), y[row * 59 + c], 0);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new RmsNorm(w, -1));
    }

    @Test
    void postNormGatedRmsBlocksFollowTheirFormulas() {
        SplittableRandom r = new SplittableRandom(2);
        Tensor x = uniform(r, 1.0, 2, 9, 16);
        try (AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            for (TransformerBlock.Placement place : TransformerBlock.Placement.values()) {
                for (boolean gated : new boolean[] {false, true}) {
                    for (boolean rms : new boolean[] {false, true}) {
                        TransformerBlock b = TransformerBlock.builder(16, 4).hidden(24).seed(7).placement(place)
                                .gated(gated).rmsNorm(rms).activation(gated ? Activation.SILU : Activation.RELU)
                                .build();
                        Tensor expect = byHand(engine, b, x);
                        assertArrayEquals(expect.data(), b.forward(engine, x).data(), place + " gated=" + gated
                                + " rms=" + rms);
                    }
                }
            }
        }
    }

    /** The block's formula written out from its own parts. */
    private static Tensor byHand(AttentionEngine engine, TransformerBlock b, Tensor x) {
        boolean pre = b.placement() == TransformerBlock.Placement.PRE_NORM;
        Tensor a = b.attention().selfAttention(engine, pre ? b.norm1().forward(engine, x) : x).output();
        Tensor h = add(x, a);
        if (!pre) {
            h = b.norm1().forward(engine, h);
        }
        Tensor in = pre ? b.norm2().forward(engine, h) : h;
        float[] up = b.mlp().up().forward(in).data();
        if (b.mlp().gate() == null) {
            for (int i = 0; i < up.length; i++) {
                up[i] = (float) b.activation().apply(up[i]);
            }
        } else {
            float[] g = b.mlp().gate().forward(in).data();
            for (int i = 0; i < up.length; i++) {
                up[i] = (float) b.activation().apply(g[i]) * up[i];
            }
        }
        Tensor m = b.mlp().down().forward(Tensor.of(up, x.dim(0), x.dim(1), b.fc1().outFeatures()));
        Tensor out = add(h, m);
        return pre ? out : b.norm2().forward(engine, out);
    }

    private static Tensor add(Tensor a, Tensor b) {
        float[] s = a.data().clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += b.data()[i];
        }
        return Tensor.of(s, a.shape());
    }

    @Test
    void theBlockReturnsTheAttentionMapWhenAsked() {
        SplittableRandom r = new SplittableRandom(3);
        Tensor x = uniform(r, 1.0, 1, 6, 16);
        TransformerBlock b = TransformerBlock.builder(16, 4).seed(1).build();
        try (AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            AttentionResult res = b.forwardWithWeights(engine, x, AttentionOptions.builder().returnWeights(true)
                    .causal().build());
            Tensor w = res.weights().orElseThrow();
            assertArrayEquals(new int[] {1, 4, 6, 6}, w.shape());
            assertArrayEquals(b.forward(engine, x, AttentionOptions.builder().causal().build()).data(),
                    res.output().data());
            assertEquals(0f, w.data()[1], "causal: query 0 does not see key 1");
        }
    }
}

package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * PyTorch's {@code nn.MultiheadAttention} mask conventions (True = ignore; attn_mask and key_padding_mask
 * together) and its head-averaged map, against the equivalent built-in options on every CPU backend.
 */
class TorchMasksTest {
    @Test
    void ignoredMasksInvertAndCombineLikePyTorch() {
        int b = 2, h = 3, nq = 5, nk = 5, d = 8;
        Tensor q = Ref.random(1, b, h, nq, d);
        Tensor k = Ref.random(2, b, h, nk, d);
        Tensor v = Ref.random(3, b, h, nk, d);
        // attn_mask [Nq, Nk]: True above the diagonal (causal, top-left); key_padding_mask [B, Nk]: the last keys.
        boolean[] causal = new boolean[nq * nk];
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nk; j++) {
                causal[i * nk + j] = j > i;
            }
        }
        int[] lengths = {5, 3};
        boolean[] pad = new boolean[b * nk];
        for (int bi = 0; bi < b; bi++) {
            for (int j = lengths[bi]; j < nk; j++) {
                pad[bi * nk + j] = true;
            }
        }
        AttentionMask both = AttentionMask.ofIgnored(causal, nq, nk).and(AttentionMask.keyPadding(pad, b, nk));
        assertTrue(both.isBoolean());
        assertArrayEquals(new int[] {b, 1, nq, nk}, both.shape());
        for (Backend kind : new Backend[] {Backend.CPU, Backend.REFERENCE}) {
            try (AttentionEngine engine = AttentionEngine.create(kind)) {
                AttentionResult viaMasks = engine.attention(q, k, v, AttentionOptions.builder().mask(both)
                        .returnWeights(true).build());
                AttentionResult builtIn = engine.attention(q, k, v, AttentionOptions.builder()
                        .causal(Causal.TOP_LEFT).kvLengths(lengths).returnWeights(true).build());
                Ref.assertClose(builtIn.output().data(), viaMasks.output().data(), 1e-6, kind + " output");
                Ref.assertClose(builtIn.weights().orElseThrow().data(), viaMasks.weights().orElseThrow().data(),
                        1e-6, kind + " weights");
            }
        }
        // A float attn_mask with a boolean padding mask: float, -inf where padded.
        float[] bias = new float[nq * nk];
        java.util.Arrays.fill(bias, 0.5f);
        AttentionMask mixed = AttentionMask.ofFloat(bias, nq, nk).and(AttentionMask.keyPadding(pad, b, nk));
        assertFalse(mixed.isBoolean());
        assertEquals(Float.NEGATIVE_INFINITY, mixed.floatData()[nq * nk + 3]);
        assertEquals(0.5f, mixed.floatData()[nq * nk + 2]);
        assertThrows(IllegalArgumentException.class, () -> AttentionMask.ofIgnored(causal, nq, nk)
                .and(AttentionMask.ofIgnored(new boolean[4], 4)));
    }

    @Test
    void averagedWeightsAreTheMeanOverHeads() {
        Tensor q = Ref.random(4, 1, 4, 3, 8);
        Tensor k = Ref.random(5, 1, 2, 6, 8);
        Tensor v = Ref.random(6, 1, 2, 6, 8);
        try (AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            AttentionResult r = engine.attention(q, k, v, AttentionOptions.builder().returnWeights(true).build());
            Tensor avg = r.averagedWeights().orElseThrow();
            assertArrayEquals(new int[] {1, 3, 6}, avg.shape());
            float[] w = r.weights().orElseThrow().data();
            for (int e = 0; e < 18; e++) {
                double s = 0;
                for (int hi = 0; hi < 4; hi++) {
                    s += w[hi * 18 + e];
                }
                assertEquals((float) (s / 4), avg.data()[e], 0);
            }
            assertTrue(engine.attention(q, k, v).averagedWeights().isEmpty());
        }
    }
}

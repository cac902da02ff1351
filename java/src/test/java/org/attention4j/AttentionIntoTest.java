package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** {@code attentionInto}: the caller's output tensor is filled, on every CPU backend, poisoned first. */
class AttentionIntoTest {
    @Test
    void theOutputLandsInTheCallersTensorAndEqualsAttention() {
        long seed = 11;
        for (Backend kind : new Backend[] {Backend.CPU, Backend.REFERENCE}) {
            try (AttentionEngine engine = AttentionEngine.builder().backend(kind).threads(2).build()) {
                for (int[] s : new int[][] {{2, 4, 97, 113, 59, 31}, {1, 32, 1, 1025, 64, 64}, {3, 2, 1, 1, 1, 1}}) {
                    int b = s[0], h = s[1], nq = s[2], nk = s[3], d = s[4], dv = s[5];
                    Tensor q = Ref.random(seed++, b, h, nq, d);
                    Tensor k = Ref.random(seed++, b, Math.max(1, h / 2), nk, d);   // grouped-query heads
                    Tensor v = Ref.random(seed++, b, k.dim(1), nk, dv);
                    AttentionOptions o = AttentionOptions.builder().causal(Causal.BOTTOM_RIGHT)
                            .kvLengths(b == 2 ? new int[] {nk, 0} : null).returnLse(true).build();
                    Tensor expect = engine.attention(q, k, v, o).output();
                    Tensor out = Tensor.zeros(b, h, nq, dv);
                    Arrays.fill(out.data(), Float.NaN);   // poisoned: every element must be written
                    AttentionResult got = engine.attentionInto(q, k, v, o, out);
                    assertSame(out, got.output());
                    assertArrayEquals(expect.data(), out.data(), kind + " " + Arrays.toString(s));
                    assertTrue(got.logSumExp().isPresent());
                }
            }
        }
    }

    @Test
    void aWrongShapeOrAnAliasedInputIsRefused() {
        Tensor q = Ref.random(12, 1, 2, 5, 8);
        Tensor k = Ref.random(13, 1, 2, 7, 8);
        Tensor v = Ref.random(14, 1, 2, 7, 8);
        try (AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.attentionInto(q, k, v, null, Tensor.zeros(1, 2, 5, 7)));
            assertTrue(e.getMessage().contains("out must have shape [1, 2, 5, 8]"), e.getMessage());
            IllegalArgumentException alias = assertThrows(IllegalArgumentException.class,
                    () -> engine.attentionInto(q, k, v, null, q));
            assertTrue(alias.getMessage().contains("shares its array"), alias.getMessage());
            // An empty problem zero-fills the caller's tensor.
            Tensor empty = Tensor.zeros(1, 2, 5, 8);
            Arrays.fill(empty.data(), Float.NaN);
            Tensor k0 = Tensor.zeros(1, 2, 0, 8);
            engine.attentionInto(q, k0, Tensor.zeros(1, 2, 0, 8), null, empty);
            for (float x : empty.data()) {
                assertTrue(x == 0f, "trivial problem leaves zeros");
            }
        }
    }
}

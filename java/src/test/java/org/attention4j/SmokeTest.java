package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void singleKeyReturnsItsValue() {
        try (AttentionEngine e = AttentionEngine.create(Backend.REFERENCE)) {
            Tensor q = Tensor.of(new float[] {1, 2}, 1, 1, 1, 2);
            Tensor k = Tensor.of(new float[] {3, 4}, 1, 1, 1, 2);
            Tensor v = Tensor.of(new float[] {5, 6, 7}, 1, 1, 1, 3);
            AttentionResult r = e.attention(q, k, v);
            assertEquals(5f, r.output().get(0, 0, 0, 0));
            assertEquals(7f, r.output().get(0, 0, 0, 2));
        }
    }
}

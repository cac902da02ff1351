package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Field;

import org.attention4j.AttentionOptions;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.Test;

/** Work run on a caller's thread leaves no per-thread block buffers behind on that thread. */
class ThreadCacheReviewTest {

    @SuppressWarnings("unchecked")
    private static ThreadLocal<Object> cache() throws ReflectiveOperationException {
        Field f = QueryTile.class.getDeclaredField("CACHE");
        f.setAccessible(true);
        return (ThreadLocal<Object>) f.get(null);
    }

    @Test
    void callerThreadKeepsNoBlockAfterACall() throws Exception {
        Tensor q = Tensor.zeros(1, 2, 100, 128);
        Tensor k = Tensor.zeros(1, 2, 300, 128);
        Tensor v = Tensor.zeros(1, 2, 300, 128);
        AttentionProblem p = AttentionProblem.of(q, k, v, AttentionOptions.DEFAULTS);
        for (int threads : new int[] {1, 2}) {
            try (TiledCpuBackend cpu = new TiledCpuBackend(threads)) {
                assertNotNull(cpu.compute(p).output());
                assertNull(cache().get(), "block left on the caller's thread with " + threads + " threads");
            }
        }
    }
}

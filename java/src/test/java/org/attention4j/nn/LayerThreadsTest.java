package org.attention4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

import org.attention4j.AttentionEngine;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;

/** The layers' rows run on the engine's workers, never on the JVM-wide common pool, with the same results. */
class LayerThreadsTest {
    @Test
    void parallelForRunsEveryIndexOnceOnTheEnginesThreads() {
        try (AttentionEngine engine = AttentionEngine.builder().backend(Backend.CPU).threads(2).build()) {
            int n = 1000;
            int[] hits = new int[n];
            Set<String> threads = ConcurrentHashMap.newKeySet();
            engine.parallelFor(n, i -> {
                synchronized (hits) {
                    hits[i]++;
                }
                threads.add(Thread.currentThread().getName());
            });
            for (int h : hits) {
                assertEquals(1, h);
            }
            assertFalse(threads.stream().anyMatch(t -> t.contains("ForkJoinPool")), threads.toString());
            assertThrows(IllegalArgumentException.class, () -> engine.parallelFor(-1, i -> { }));
            RuntimeException boom = assertThrows(RuntimeException.class, () -> engine.parallelFor(50, i -> {
                if (i == 17) {
                    throw new IllegalStateException("row 17");
                }
            }));
            assertTrue(boom.getMessage().contains("row 17"), boom.getMessage());
        }
    }

    @Test
    void layersGiveTheSameResultOnTheEnginesThreads() {
        Linear lin = Linear.random(256, 512, true, 1L);
        LayerNorm norm = new LayerNorm(256);
        Tensor x = org.attention4j.testing.TestData.uniform(new SplittableRandom(5), 1.0, 4, 300, 256);   // large enough for threads
        try (AttentionEngine engine = AttentionEngine.builder().backend(Backend.CPU).threads(2).build()) {
            assertArrayEquals(lin.forward(x).data(), lin.forward(engine, x).data());
            assertArrayEquals(norm.forward(x).data(), norm.forward(engine, x).data());
        }
    }
}

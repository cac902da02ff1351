package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.attention4j.AttentionOptions;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.Test;

/**
 * When a call's query tasks are fewer than the threads, its keys are split into shares on key-tile boundaries
 * that cover every key once (the merge itself is checked against the reference in {@link TiledCpuBackendTest}).
 */
class KeySplitTest {
    private static AttentionProblem decode(int hq, int hkv, int nk, boolean weights) {
        return AttentionProblem.of(Tensor.zeros(1, hq, 1, 64), Tensor.zeros(1, hkv, nk, 64),
                Tensor.zeros(1, hkv, nk, 64), AttentionOptions.builder().returnWeights(weights).build());
    }

    @Test
    void fewQueryTasksSplitTheKeysIntoWholeTilesCoveringEveryKeyOnce() {
        try (TiledCpuBackend cpu = new TiledCpuBackend(4)) {
            AttentionProblem p = decode(8, 1, 10_000, false);
            CallState[] shares = cpu.keyShares(p, new CallState(p, TiledCpuBackend.BC), 1);
            assertEquals(4, shares.length, "one share per thread");
            int next = 0;
            for (CallState s : shares) {
                assertEquals(next, s.keyLo, "shares are contiguous");
                assertEquals(0, s.keyLo % TiledCpuBackend.BC, "shares start on a key tile");
                next = s.keyHi;
            }
            assertEquals(10_000, next, "the last share ends at Nk");
        }
    }

    @Test
    void enoughTasksWeightsOrFewKeysKeepTheCallWhole() {
        try (TiledCpuBackend cpu = new TiledCpuBackend(4)) {
            AttentionProblem p = decode(8, 1, 10_000, false);
            CallState cs = new CallState(p, TiledCpuBackend.BC);
            assertEquals(1, cpu.keyShares(p, cs, 4).length, "as many tasks as threads");
            AttentionProblem w = decode(8, 1, 10_000, true);
            assertEquals(1, cpu.keyShares(w, new CallState(w, TiledCpuBackend.BC), 1).length, "weights asked for");
            AttentionProblem few = decode(8, 1, 2 * TiledCpuBackend.SPLIT_KEYS - 1, false);
            assertEquals(1, cpu.keyShares(few, new CallState(few, TiledCpuBackend.BC), 1).length, "few keys");
        }
    }
}

package org.attention4j.cuda;

import java.util.Arrays;

/**
 * How the GPU benchmarks time attention4j, the way {@code bench/torch_timing.py} times PyTorch (issue 11): wall
 * clock around calls that each return synchronised, 3 calls of warm-up, the median of 5 rounds.
 */
final class BenchTiming {
    private static final int ROUNDS = 5;

    private BenchTiming() {
    }

    /** Milliseconds per call: the median over rounds of {@code iters / 5} calls each (at least one). */
    static double medianMs(Runnable call, int iters) {
        for (int i = 0; i < 3; i++) {
            call.run();
        }
        int perRound = Math.max(1, iters / ROUNDS);
        double[] rounds = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < perRound; i++) {
                call.run();
            }
            rounds[r] = (System.nanoTime() - t0) / 1e6 / perRound;
        }
        Arrays.sort(rounds);
        return rounds[ROUNDS / 2];
    }
}

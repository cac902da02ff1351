package org.attention4j.cuda;

import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Benchmark inputs, cheap to make: uniform in {@code [-sqrt 3, sqrt 3)} (mean 0, variance 1, as the Gaussian
 * inputs they replace), filled in parallel chunks each seeded from {@code (seed, chunk)}, so the values do not
 * depend on the thread count (the long-sequence GPU test uses them too). {@code nextGaussian} per element cost
 * minutes of host time on the GPU machine before the first kernel ran (issue 11): its time belongs to kernels.
 */
final class BenchInputs {
    private static final int CHUNK = 1 << 20;
    private static final float SQRT3 = (float) Math.sqrt(3);

    private BenchInputs() {
    }

    /** {@code n} values for input {@code seed}. */
    static float[] values(long seed, long n) {
        float[] a = new float[Math.toIntExact(n)];
        int chunks = (a.length + CHUNK - 1) / CHUNK;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + c);
            for (int i = c * CHUNK, end = Math.min(a.length, i + CHUNK); i < end; i++) {
                a[i] = ((float) r.nextDouble() * 2 - 1) * SQRT3;
            }
        });
        return a;
    }
}

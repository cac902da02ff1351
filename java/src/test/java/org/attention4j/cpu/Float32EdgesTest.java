package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.KvCache;
import org.attention4j.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The cpu backend over float32's whole range, against the reference with the naive-float32 rule
 * ({@link TiledCpuBackendTest#check}): weights down to float's underflow (not a fast exp's floor), scores near
 * {@code FLT_MAX} (no overflow from folding the scale into Q), infinite values. Shapes reach the row kernels
 * (few queries), the tile kernels and several key tiles, for both kernel kinds (one per surefire execution).
 */
class Float32EdgesTest {
    private static TiledCpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new TiledCpuBackend(2);
    }

    @AfterAll
    static void shut() {
        cpu.close();
    }

    /** q rows (1, 0, 0) and k rows (x_j, 0, 0): score j is exactly {@code scale * x_j}. */
    private static Tensor[] scored(int nq, float[] x, int dv) {
        int nk = x.length;
        Tensor q = Tensor.zeros(1, 1, nq, 3);
        Tensor k = Tensor.zeros(1, 1, nk, 3);
        for (int i = 0; i < nq; i++) {
            q.data()[i * 3] = 1f;
        }
        for (int j = 0; j < nk; j++) {
            k.data()[j * 3] = x[j];
        }
        return new Tensor[] {q, k, Tensor.zeros(1, 1, nk, dv)};
    }

    private static AttentionOptions all(double scale) {
        return AttentionOptions.builder().scale(scale).returnWeights(true).returnLse(true).build();
    }

    @ParameterizedTest
    @CsvSource({"1, 2", "1, 130", "33, 130", "9, 251"})
    void weightsFarBelowOneInAMillionAreKept(int nq, int nk) {
        // Score 0 on key 0, between -60 and -40 on the others: weights near exp(-50) = 2e-22, which float holds
        // and a 2^-63 floor (1e-19) would lose. Values of 1e30 make those weights carry the output.
        Random r = new Random(nq * 1000L + nk);
        float[] x = new float[nk];
        for (int j = 1; j < nk; j++) {
            x[j] = -40f - 20f * r.nextFloat();
        }
        Tensor[] t = scored(nq, x, 2);
        float[] v = t[2].data();
        v[0] = 1f;
        v[1] = 1f;
        for (int j = 1; j < nk; j++) {
            v[2 * j] = 1e30f;
            v[2 * j + 1] = (float) r.nextGaussian();
        }
        AttentionResult got = TiledCpuBackendTest.check(cpu, t[0], t[1], t[2], all(1), nq + "x" + nk);
        double want = 1;
        for (int j = 1; j < nk; j++) {
            want += Math.exp(x[j]) * 1e30;
        }
        float[] w = got.weights().orElseThrow().data();
        for (int i = 0; i < nq; i++) {
            assertEquals(want, got.output().data()[2 * i], want * 1e-5, "output row " + i);
            for (int j = 1; j < nk; j++) {
                assertEquals(Math.exp(x[j]), w[i * nk + j], Math.exp(x[j]) * 1e-5, "weight " + i + "," + j);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 2", "33, 130"})
    void anInfiniteValueBehindATinyWeightGivesInfinityNotNaN(int nq, int nk) {
        float[] x = new float[nk];
        Arrays.fill(x, 1, nk, -50f);
        Tensor[] t = scored(nq, x, 3);
        float[] v = t[2].data();
        Arrays.fill(v, 1f);
        v[3 * (nk - 1)] = Float.POSITIVE_INFINITY;            // last key, column 0
        v[3 * (nk - 1) + 1] = Float.NEGATIVE_INFINITY;        // column 1
        AttentionResult got = TiledCpuBackendTest.check(cpu, t[0], t[1], t[2], all(1), "inf " + nq + "x" + nk);
        for (int i = 0; i < nq; i++) {
            assertEquals(Float.POSITIVE_INFINITY, got.output().data()[3 * i], "row " + i);
            assertEquals(Float.NEGATIVE_INFINITY, got.output().data()[3 * i + 1], "row " + i);
            assertEquals(1f, got.output().data()[3 * i + 2], 1e-6f, "row " + i);
        }
    }

    /**
     * The max jumps by 200 in the last key tile, so the accumulator's rescale factor underflows to 0, and that tile
     * holds an infinite value: the old accumulator must be scaled before the new keys are added (scaling after
     * would turn the infinity into {@code inf * 0 = NaN}). Value dim 16 reaches the row-major accumulator.
     */
    @ParameterizedTest
    @CsvSource({"1, 251", "5, 251", "33, 251"})
    void anInfiniteValueAfterAJumpOfTheMaxGivesInfinityNotNaN(int nq, int nk) {
        float[] x = new float[nk];
        for (int j = nk - 20; j < nk; j++) {
            x[j] = 200f;
        }
        int dv = 16;
        Tensor[] t = scored(nq, x, dv);
        float[] v = t[2].data();
        Arrays.fill(v, 1f);
        v[dv * (nk - 1)] = Float.POSITIVE_INFINITY;   // last key, column 0
        AttentionResult got = TiledCpuBackendTest.check(cpu, t[0], t[1], t[2], all(1), "jump " + nq + "x" + nk);
        for (int i = 0; i < nq; i++) {
            assertEquals(Float.POSITIVE_INFINITY, got.output().data()[dv * i], "row " + i);
            assertEquals(1f, got.output().data()[dv * i + 1], 1e-6f, "row " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 2", "1, 130", "33, 130", "9, 251"})
    void scoresNearTheFloatMaximumDoNotOverflow(int nq, int nk) {
        // scale 1e38 times keys up to 2.5 (and down to -3): scores to +-3e38, inside float, 1.44 times that not.
        Random r = new Random(nk);
        float[] x = new float[nk];
        for (int j = 0; j < nk; j++) {
            x[j] = -3f + 5.4f * r.nextFloat();
        }
        x[nk / 2] = 2.5f;
        for (int j = 0; j < nk; j++) {
            x[j] = Math.min(x[j], 2.5f);
        }
        Tensor[] t = scored(nq, x, 2);
        float[] v = t[2].data();
        for (int j = 0; j < nk; j++) {
            v[2 * j] = j;
            v[2 * j + 1] = 1f;
        }
        AttentionResult got = TiledCpuBackendTest.check(cpu, t[0], t[1], t[2], all(1e38), "big " + nq + "x" + nk);
        for (int i = 0; i < nq; i++) {
            float lse = got.logSumExp().orElseThrow().data()[i];
            assertEquals(2.5e38f, lse, 2.5e38f * 1e-6f, "lse row " + i);
            assertTrue(Float.isFinite(got.output().data()[2 * i]), "row " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 2", "33, 130"})
    void scoresNearMinusTheFloatMaximumStillHaveAMax(int nq, int nk) {
        // Every score between -3e38 and -2.4e38: far from -inf, so the row has an answer (its largest key's value).
        float[] x = new float[nk];
        for (int j = 0; j < nk; j++) {
            x[j] = -3f + 0.6f * j / (nk - 1);
        }
        Tensor[] t = scored(nq, x, 1);
        for (int j = 0; j < nk; j++) {
            t[2].data()[j] = j;
        }
        AttentionResult got = TiledCpuBackendTest.check(cpu, t[0], t[1], t[2], all(1e38), "neg " + nq + "x" + nk);
        for (int i = 0; i < nq; i++) {
            assertEquals(nk - 1, got.output().data()[i], 1e-6f, "row " + i);
            assertEquals(-2.4e38f, got.logSumExp().orElseThrow().data()[i], 2.4e38f * 1e-6f, "row " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 2", "33, 130"})
    void floatMaskEntriesNearTheFloatMaximum(int nq, int nk) {
        // Biases of +-3e38 added to small scores: finite sums, which a naive float32 softmax handles.
        Random r = new Random(nq + nk);
        Tensor q = TiledCpuBackendTest.random(r, 1, 2, nq, 8);
        Tensor k = TiledCpuBackendTest.random(r, 1, 2, nk, 8);
        Tensor v = TiledCpuBackendTest.random(r, 1, 2, nk, 5);
        float[] bias = new float[nq * nk];
        for (int i = 0; i < bias.length; i++) {
            bias[i] = r.nextInt(4) == 0 ? 3e38f : r.nextInt(3) == 0 ? -3e38f : 0f;
        }
        AttentionOptions o = AttentionOptions.builder().mask(AttentionMask.ofFloat(bias, nq, nk))
                .returnWeights(true).returnLse(true).build();
        AttentionResult got = TiledCpuBackendTest.check(cpu, q, k, v, o, "mask " + nq + "x" + nk);
        for (float f : got.output().data()) {
            assertTrue(Float.isFinite(f), "finite output");
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 130", "4, 251"})
    void decodeKeepsTheSameRange(int nq, int nk) {
        // The decode path (its own kernels over a KV cache) with tiny weights and huge scores together.
        Random r = new Random(nk * 7L + nq);
        float[] x = new float[nk];
        for (int j = 0; j < nk; j++) {
            x[j] = j == 3 ? 0.5f : -0.2f - 0.3f * r.nextFloat();
        }
        Tensor[] t = scored(nq, x, 2);
        for (int j = 0; j < nk; j++) {
            t[2].data()[2 * j] = j == 3 ? 1f : 1e30f;
            t[2].data()[2 * j + 1] = 1f;
        }
        // scale 100: scores 50 and -20..-50, so weights reach exp(-100) = 4e-44 (a float subnormal) ... exp(-70).
        AttentionOptions o = AttentionOptions.builder().scale(100).returnLse(true).build();
        try (AttentionEngine c = AttentionEngine.create(Backend.CPU);
                AttentionEngine ref = AttentionEngine.create(Backend.REFERENCE);
                KvCache kc = c.newKvCache(1, 1, nk, 3, 2);
                KvCache kr = ref.newKvCache(1, 1, nk, 3, 2)) {
            kc.append(t[1], t[2]);
            kr.append(t[1], t[2]);
            AttentionResult want = ref.decode(t[0], kr, o);
            AttentionResult got = c.decode(t[0], kc, o);
            float[] wo = want.output().data(), go = got.output().data();
            for (int i = 0; i < wo.length; i++) {
                assertEquals(wo[i], go[i], Math.abs(wo[i]) * 1e-5 + 1e-6, "output " + i);
            }
            float[] wl = want.logSumExp().orElseThrow().data(), gl = got.logSumExp().orElseThrow().data();
            for (int i = 0; i < wl.length; i++) {
                assertEquals(wl[i], gl[i], Math.abs(wl[i]) * 1e-6, "lse " + i);
            }
            assertTrue(wo[0] > 1.5, "the tiny weights carry the output: " + wo[0]);
        }
    }
}

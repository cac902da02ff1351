package org.attention4j.cpu;

import java.util.Random;

import org.attention4j.AttentionOptions;
import org.attention4j.Rope;
import org.attention4j.RopeScaling;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Partial rotary and RoPE scalings on the cpu backend against the float64 reference (which
 * {@code RopeScalingTest} checks against Hugging Face's formulation), on awkward shapes: tiles of many rows and of
 * few (decode), grouped-query heads, odd head dims with an even rotary part, positions far past an original
 * context, with and without weights.
 */
class RopeVariantsTest {
    private static TiledCpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new TiledCpuBackend(2);
    }

    @AfterAll
    static void shut() {
        cpu.close();
    }

    private static RopeScaling scaling(String name) {
        return switch (name) {
            case "linear" -> new RopeScaling.Linear(4);
            case "ntk" -> new RopeScaling.NtkAware(8);
            case "llama3" -> new RopeScaling.Llama3(8, 1, 4, 256);
            case "yarn" -> RopeScaling.Yarn.of(8, 256);
            default -> null;
        };
    }

    @ParameterizedTest(name = "{0} R={1} {2} Hq={3} Hkv={4} Nq={5} Nk={6} D={7}")
    @CsvSource({
            "HALF, 32, none, 4, 2, 97, 113, 64",
            "INTERLEAVED, 16, linear, 2, 2, 113, 97, 64",
            "HALF, 32, yarn, 2, 1, 97, 200, 59",
            "HALF, 0, llama3, 8, 2, 1, 1025, 128",
            "INTERLEAVED, 0, yarn, 4, 4, 16, 300, 40",
            "HALF, 64, ntk, 2, 2, 77, 77, 80",
            "HALF, 2, linear, 2, 2, 3, 97, 33",
            "INTERLEAVED, 24, llama3, 6, 3, 7, 130, 256"})
    void matchesReference(RopeStyle style, int rotary, String scaling, int hq, int hkv, int nq, int nk, int d) {
        Random r = new Random(nq * 131L + nk + d + rotary);
        Tensor q = TiledCpuBackendTest.random(r, 2, hq, nq, d);
        Tensor k = TiledCpuBackendTest.random(r, 2, hkv, nk, d);
        Tensor v = TiledCpuBackendTest.random(r, 2, hkv, nk, 48);
        Rope base = new Rope(10000, style, null, null, rotary, scaling(scaling));
        boolean small = (long) nq * nk <= 200_000;
        TiledCpuBackendTest.check(cpu, q, k, v, AttentionOptions.builder().rope(base).causal().returnLse(true)
                .returnWeights(small).build(), "default positions, causal");
        // Positions past the original contexts above (256), where the scalings change the angles most.
        int[] qp = new int[2 * nq];
        int[] kp = new int[2 * nk];
        for (int i = 0; i < qp.length; i++) {
            qp[i] = 3000 + 7 * i;
        }
        for (int j = 0; j < kp.length; j++) {
            kp[j] = 2000 + 5 * j;
        }
        TiledCpuBackendTest.check(cpu, q, k, v, AttentionOptions.builder().rope(base.withPositions(qp, kp))
                .returnLse(true).build(), "explicit far positions");
    }
}

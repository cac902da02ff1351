package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Causal;
import org.attention4j.Tensor;
import org.attention4j.cpu.ReferenceBackend;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Proves the row-major mapping of {@link CublasPlan} (grouped heads, chunks, Nq != Nk, Dv != D) without a GPU:
 * the plan's GEMMs run on {@link CublasEmulator}, a plain softmax stands in for the kernel, and the result must
 * match the float64 reference backend.
 */
class CublasPlanTest {

    @ParameterizedTest(name = "B={0} Hq={1} Hkv={2} Nq={3} Nk={4} D={5} Dv={6} workspace={7}")
    @CsvSource({
            "1, 1, 1, 1, 1, 1, 1, 1000000",
            "2, 4, 4, 5, 7, 3, 2, 1000000",
            "2, 6, 2, 5, 7, 3, 4, 1000000",     // GQA g=3, one chunk
            "1, 8, 1, 9, 4, 5, 5, 1000000",     // MQA
            "3, 6, 2, 5, 7, 3, 4, 420",         // two whole batches per chunk (Hq*Nq*Nk = 210)
            "2, 6, 2, 5, 7, 3, 4, 105",         // one group (3 heads) per chunk
            "2, 6, 2, 5, 7, 3, 4, 70",          // two heads per chunk, never crossing a group
            "1, 4, 2, 13, 3, 6, 1, 40",         // one head per chunk, Nq > Nk, Dv = 1
            "3, 2, 1, 1, 17, 4, 3, 1",          // workspace below one head: still one head per chunk
    })
    void planMatchesReferenceOnEmulatedCublas(int b, int hq, int hkv, int nq, int nk, int d, int dv, long ws) {
        Random rnd = new Random(31L * nq + nk + ws);
        Tensor q = random(rnd, b, hq, nq, d);
        Tensor k = random(rnd, b, hkv, nk, d);
        Tensor v = random(rnd, b, hkv, nk, dv);
        // Every mask at once, with a broadcast float mask, so that the chunk offsets are exercised.
        int[] kvLengths = new int[b];
        for (int i = 0; i < b; i++) {
            kvLengths[i] = i == 1 ? 0 : 1 + rnd.nextInt(nk);
        }
        float[] bias = new float[hq * nq * nk];
        for (int i = 0; i < bias.length; i++) {
            bias[i] = rnd.nextInt(7) == 0 ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian();
        }
        AttentionOptions opts = AttentionOptions.builder().causal(Causal.TOP_LEFT).kvLengths(kvLengths)
                .mask(AttentionMask.ofFloat(bias, 1, hq, nq, nk)).alibi().window(nk, -1)
                .returnLse(true).build();
        runPlan(q, k, v, opts, ws);
        runPlan(q, k, v, AttentionOptions.builder().returnLse(true).causal().build(), ws);
        runPlan(q, k, v, AttentionOptions.builder().returnLse(true).build(), ws);
    }

    private static void runPlan(Tensor q, Tensor k, Tensor v, AttentionOptions opts, long ws) {
        AttentionProblem p = AttentionProblem.of(q, k, v, opts);
        int b = p.batch(), hq = p.heads(), nq = p.nq(), nk = p.nk(), dv = p.valueDim();
        CublasPlan plan = CublasPlan.of(b, hq, p.kvHeads(), nq, nk, p.dim(), dv, 1f, ws);
        assertTrue(plan.workspaceElements() <= Math.max(ws, (long) nq * nk));

        float[] out = new float[b * hq * nq * dv];
        float[] lse = new float[b * hq * nq];
        Arrays.fill(out, Float.NaN);                      // poisoned: every element must be written
        Arrays.fill(lse, Float.NaN);
        float[] work = new float[(int) plan.workspaceElements()];
        float[] probs = new float[work.length];
        int covered = 0;
        long[] strides = p.maskStrides();
        int[] kvl = p.hasKvLengths() ? p.options().kvLengths() : null;
        for (CublasPlan.Chunk c : plan.chunks()) {
            assertEquals(covered, c.f0(), "chunks are contiguous");
            covered += c.count();
            Arrays.fill(work, Float.NaN);
            CublasEmulator.gemmStridedBatched(c.scores(), k.data(), q.data(), work);
            SoftmaxKernelEmulator.run(work, probs, new SoftmaxKernelEmulator.Args(c.nb(), c.nh(), nq, nk,
                    (float) p.scale(), p.causal().ordinal(), p.windowLeft(), p.windowRight(), kvl, c.b0(), null, 0,
                    null, p.mask() == null ? null : p.mask().floatData(), c.maskOffset(strides), strides,
                    p.alibiSlopes(), c.h0(), lse, c.firstRow(nq)));
            CublasEmulator.gemmStridedBatched(c.values(), v.data(), probs, out);
        }
        assertEquals(b * hq, covered);
        AttentionResult ref = new ReferenceBackend().compute(p);
        assertClose(ref.output().data(), out, "output");
        assertClose(ref.logSumExp().orElseThrow().data(), lse, "lse");
    }

    private static void assertClose(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            boolean ok = want[i] == got[i]
                    || Math.abs(got[i] - want[i]) <= 1e-5f + 1e-5f * Math.abs(want[i]);
            assertTrue(ok, what + " element " + i + ": " + got[i] + " vs " + want[i]);
        }
    }

    @Test
    void groupedHeadsShareOneGemmPerKvHeadWithoutChunks() {
        CublasPlan p = CublasPlan.of(2, 8, 2, 100, 300, 64, 32, 1f, Long.MAX_VALUE);
        assertEquals(1, p.chunks().size());
        GemmCall s = p.chunks().get(0).scores();
        // the parameters spelled out in the class comment
        assertEquals(new GemmCall(true, false, 300, 4 * 100, 64, 1f, 0f, 0, 64, 300L * 64, 0, 64,
                4L * 100 * 64, 0, 300, 4L * 100 * 300, 4), s);
        GemmCall o = p.chunks().get(0).values();
        assertEquals(new GemmCall(false, false, 32, 400, 300, 1f, 0f, 0, 32, 300L * 32, 0, 300, 400L * 300,
                0, 32, 400L * 32, 4), o);
    }

    @Test
    void chunksRespectTheWorkspaceAndGroups() {
        CublasPlan p = CublasPlan.of(1, 4, 2, 10, 10, 8, 8, 1f, 100);
        assertEquals(4, p.chunks().size(), "one head per chunk");
        assertEquals(1, p.chunks().get(0).scores().batch());
        CublasPlan whole = CublasPlan.of(3, 4, 2, 10, 10, 8, 8, 1f, 800);
        assertEquals(2, whole.chunks().size(), "two batches, then one");
        assertEquals(2, whole.chunks().get(1).b0());
        assertEquals(1, whole.chunks().get(1).nb());
        CublasPlan parts = CublasPlan.of(1, 6, 2, 10, 10, 8, 8, 1f, 200);
        for (CublasPlan.Chunk c : parts.chunks()) {
            assertEquals(c.h0() / 3, (c.h0() + c.nh() - 1) / 3, "chunk " + c + " crosses a group");
        }
    }

    @Test
    void checkRejectsWhatCublasRejects() {
        GemmCall bad = new GemmCall(true, false, 4, 4, 8, 1f, 0f, 0, 4, 32, 0, 8, 32, 0, 4, 16, 1);
        assertThrows(IllegalStateException.class, bad::check, "lda < k for a transposed A");
        GemmCall overlap = new GemmCall(false, false, 4, 4, 4, 1f, 0f, 0, 4, 16, 0, 4, 16, 0, 4, 8, 2);
        assertThrows(IllegalStateException.class, overlap::check);
        assertThrows(IllegalArgumentException.class, () -> CublasPlan.of(1, 3, 2, 1, 1, 1, 1, 1f, 10));
    }

    static Tensor random(Random rnd, int... shape) {
        return org.attention4j.testing.TestData.gaussian(rnd, shape);
    }
}

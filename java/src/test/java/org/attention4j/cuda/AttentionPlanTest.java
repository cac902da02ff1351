package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Proves the row-major mapping of {@link AttentionPlan} (grouped heads, chunks, Nq != Nk, Dv != D) without a GPU:
 * the plan's GEMMs run on {@link CublasEmulator}, a plain softmax stands in for the kernel, and the result must
 * match the float64 reference backend.
 */
class AttentionPlanTest {

    @ParameterizedTest(name = "B={0} Hq={1} Hkv={2} Nq={3} Nk={4} D={5} Dv={6} workspace={7}")
    @CsvSource({
            "1, 1, 1, 1, 1, 1, 1, 1000000",
            "2, 4, 4, 5, 7, 3, 2, 1000000",
            "2, 6, 2, 5, 7, 3, 4, 1000000",     // GQA g=3, whole range
            "1, 8, 1, 9, 4, 5, 5, 1000000",     // MQA
            "2, 6, 2, 5, 7, 3, 4, 84",          // GQA, chunks of 1 row (B*Hq*Nk = 84)
            "2, 6, 2, 5, 7, 3, 4, 200",         // chunks of 2 rows, last chunk shorter
            "1, 4, 2, 13, 3, 6, 1, 30",         // chunks, Nq > Nk, Dv = 1
            "3, 2, 1, 1, 17, 4, 3, 1",          // workspace below one row: still one row per chunk
    })
    void planMatchesReferenceOnEmulatedCublas(int b, int hq, int hkv, int nq, int nk, int d, int dv, long ws) {
        Random rnd = new Random(31L * nq + nk + ws);
        Tensor q = random(rnd, b, hq, nq, d);
        Tensor k = random(rnd, b, hkv, nk, d);
        Tensor v = random(rnd, b, hkv, nk, dv);
        double scale = 1.0 / Math.sqrt(d);
        AttentionPlan plan = AttentionPlan.of(b, hq, hkv, nq, nk, d, dv, (float) scale, ws);
        assertTrue(plan.workspaceElements() <= Math.max(ws, (long) b * hq * nk));

        float[] out = new float[b * hq * nq * dv];
        Arrays.fill(out, Float.NaN);                      // poisoned: every element must be written
        float[] work = new float[(int) plan.workspaceElements()];
        int covered = 0;
        for (AttentionPlan.Chunk c : plan.chunks()) {
            assertEquals(covered, c.row0(), "chunks are contiguous");
            covered += c.rows();
            Arrays.fill(work, Float.NaN);
            for (GemmCall g : c.scores()) {
                CublasEmulator.gemmStridedBatched(g, k.data(), q.data(), work);
            }
            softmaxRows(work, b * hq * c.rows(), nk);
            for (GemmCall g : c.values()) {
                CublasEmulator.gemmStridedBatched(g, v.data(), work, out);
            }
        }
        assertEquals(nq, covered);
        AttentionResult ref;
        try (AttentionEngine e = AttentionEngine.create(Backend.REFERENCE)) {
            ref = e.attention(q, k, v, AttentionOptions.DEFAULTS);
        }
        float[] want = ref.output().data();
        for (int i = 0; i < want.length; i++) {
            float err = Math.abs(out[i] - want[i]);
            assertTrue(err <= 1e-5f + 1e-5f * Math.abs(want[i]), "element " + i + ": " + out[i] + " vs " + want[i]);
        }
    }

    @Test
    void groupedHeadsShareOneGemmPerKvHeadWithoutChunks() {
        AttentionPlan p = AttentionPlan.of(2, 8, 2, 100, 300, 64, 32, 0.125f, Long.MAX_VALUE);
        assertEquals(1, p.chunks().size());
        GemmCall s = p.chunks().get(0).scores().get(0);
        assertEquals(1, p.chunks().get(0).scores().size());
        // the parameters spelled out in the class comment
        assertEquals(new GemmCall(true, false, 300, 4 * 100, 64, 0.125f, 0f, 0, 64, 300L * 64, 0, 64,
                4L * 100 * 64, 0, 300, 4L * 100 * 300, 4), s);
        GemmCall o = p.chunks().get(0).values().get(0);
        assertEquals(new GemmCall(false, false, 32, 400, 300, 1f, 0f, 0, 32, 300L * 32, 0, 300, 400L * 300,
                0, 32, 400L * 32, 4), o);
    }

    @Test
    void chunkRowsRespectTheWorkspace() {
        assertEquals(1, AttentionPlan.rowsPerChunk(1, 1, 10, 1000, 5));
        assertEquals(3, AttentionPlan.rowsPerChunk(2, 2, 10, 10, 120));
        assertEquals(10, AttentionPlan.rowsPerChunk(2, 2, 10, 10, Long.MAX_VALUE));
        AttentionPlan p = AttentionPlan.of(1, 4, 2, 10, 10, 8, 8, 1f, 120);
        assertEquals(4, p.chunks().size());
        assertEquals(2, p.chunks().get(0).scores().size(), "one GEMM per head of the group when chunked");
        assertEquals(1, p.chunks().get(3).rows());
    }

    @Test
    void checkRejectsWhatCublasRejects() {
        GemmCall bad = new GemmCall(true, false, 4, 4, 8, 1f, 0f, 0, 4, 32, 0, 8, 32, 0, 4, 16, 1);
        assertThrows(IllegalStateException.class, bad::check, "lda < k for a transposed A");
        GemmCall overlap = new GemmCall(false, false, 4, 4, 4, 1f, 0f, 0, 4, 16, 0, 4, 16, 0, 4, 8, 2);
        assertThrows(IllegalStateException.class, overlap::check);
        assertThrows(IllegalArgumentException.class, () -> AttentionPlan.of(1, 3, 2, 1, 1, 1, 1, 1f, 10));
    }

    /** Plain float64 softmax of each row in place (the fused kernel's job, without masks). */
    private static void softmaxRows(float[] s, int rows, int n) {
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                max = Math.max(max, s[r * n + j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += Math.exp(s[r * n + j] - max);
            }
            for (int j = 0; j < n; j++) {
                s[r * n + j] = (float) (Math.exp(s[r * n + j] - max) / sum);
            }
        }
    }

    static Tensor random(Random rnd, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] a = t.data();
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return t;
    }
}

package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fused kernels' launch formulas exist twice, in {@code cuda/flash_math.h} (what the kernels use) and in
 * {@link FlashLaunch} (what the host launches with): block rows, the v2 key-tile rule, the largest head dim and
 * the dynamic shared memory of v1 for every D and of v2 for every bucket, and the decode's split count over a grid of
 * shapes (batch, grouped-query heads, new queries, cache length, multiprocessors). This compiles the header with g++ (no
 * nvcc, no GPU), prints its values and requires the Java ones to be equal, so that the two cannot drift.
 */
class FlashFormulasTest {

    @Test
    void launchFormulasAreTheHeadersOnes(@TempDir Path tmp) throws IOException, InterruptedException {
        String out = HeaderProgram.run(tmp, "flash_math.h", String.join("\n",
                "    std::printf(\"V1_BR %d\\nV2_BR %d\\nMAX_D %d\\nV1_THREADS %d\\nV2_THREADS %d\\n\", A4J_FLASH_V1_BR,",
                "                A4J_FLASH_V2_BR, A4J_FLASH_MAX_D, A4J_FLASH_V1_THREADS, A4J_FLASH_V2_THREADS);",
                "    for (int d = 1; d <= A4J_FLASH_MAX_D; d++) std::printf(\"v1 %d %d\\n\", d, a4j_flash_v1_smem(d));",
                "    for (int dp = 32; dp <= A4J_FLASH_MAX_D; dp += 32)",
                "        std::printf(\"v2 %d %d %d\\n\", dp, a4j_flash_v2_bc(dp), a4j_flash_v2_smem(dp));",
                // The decode split rule over batch, grouped-query shapes, new queries, cache lengths and GPU sizes.
                "    int bs[] = {1, 3, 64}, hs[][2] = {{8, 8}, {32, 8}, {64, 1}}, nqs[] = {1, 4, 16};",
                "    int caps[] = {1, 255, 256, 257, 4096, 131072}, smss[] = {1, 80, 132};",
                "    for (int b : bs) for (auto& h : hs) for (int nq : nqs) for (int cap : caps) for (int sms : smss)",
                "        std::printf(\"split %d %d %d %d %d %d %d\\n\", b, h[0], h[1], nq, cap, sms,",
                "                    a4j_flash_decode_splits(b, h[0], h[1], nq, cap, sms));"));

        Map<String, Integer> constants = new HashMap<>();
        int v1Rows = 0;
        int v2Rows = 0;
        int splitRows = 0;
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f[0].equals("v1")) {
                int d = Integer.parseInt(f[1]);
                assertEquals(Integer.parseInt(f[2]), FlashLaunch.forwardV1(DType.FP32, 1, 1, 1, d).sharedMem(),
                        "v1 shared memory at D=" + d);
                v1Rows++;
            } else if (f[0].equals("split")) {
                int[] a = new int[7];
                for (int i = 0; i < 7; i++) {
                    a[i] = Integer.parseInt(f[i + 1]);
                }
                assertEquals(a[6], FlashLaunch.decodeSplits(a[0], a[1], a[2], a[3], a[4], a[5]),
                        "decode splits of B, Hq, Hkv, Nq, capacity, SMs = " + line.substring(6));
                splitRows++;
            } else if (f[0].equals("v2")) {
                int dp = Integer.parseInt(f[1]);
                FlashLaunch l = FlashLaunch.forwardV2(DType.FP16, 1, 1, 1, dp);
                assertTrue(l.function().endsWith("_d" + dp), l.function());
                assertEquals(Integer.parseInt(f[3]), l.sharedMem(), "v2 shared memory of bucket " + dp);
                assertEquals(dp, FlashLaunch.bucket(dp), "bucket " + dp + " is one of FlashLaunch.V2_BUCKETS");
                v2Rows++;
            } else {
                constants.put(f[0], Integer.parseInt(f[1]));
            }
        }
        assertEquals(FlashLaunch.MAX_DIM, v1Rows, "every head dim checked");
        assertEquals(FlashLaunch.V2_BUCKETS.length, v2Rows, "every bucket checked");
        assertEquals(3 * 3 * 3 * 6 * 3, splitRows, "every decode shape checked");
        assertEquals(FlashLaunch.V1_BR, constants.get("V1_BR"));
        assertEquals(FlashLaunch.V2_BR, constants.get("V2_BR"));
        assertEquals(FlashLaunch.MAX_DIM, constants.get("MAX_D"));
        assertEquals(FlashLaunch.forwardV1(DType.FP32, 1, 1, 1, 64).block(), constants.get("V1_THREADS"));
        assertEquals(FlashLaunch.forwardV2(DType.BF16, 1, 1, 1, 64).block(), constants.get("V2_THREADS"));
    }
}

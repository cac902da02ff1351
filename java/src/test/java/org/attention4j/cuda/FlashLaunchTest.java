package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fused kernels' launch geometry against the numbers of cuda/README.md ("Fused attention (issue 4)"). */
class FlashLaunchTest {

    @ParameterizedTest(name = "D={0} -> d{1}, {2} bytes")
    @CsvSource({
            "1, 32, 15360", "32, 32, 15360", "33, 64, 27648", "59, 64, 27648", "64, 64, 27648", "96, 96, 39936",
            "111, 128, 52224", "128, 128, 52224", "160, 160, 43008", "192, 192, 51200", "224, 224, 59392",
            "256, 256, 67584",
    })
    void forwardV2BucketsAndSharedMemory(int d, int bucket, int shared) {
        FlashLaunch l = FlashLaunch.forwardV2(DType.FP16, 3, 8, 1025, d);
        assertEquals("a4j_flash_fwd_v2_f16_d" + bucket, l.function());
        assertEquals(shared, l.sharedMem());
        assertEquals(shared > 49152, l.needsSharedOptIn());
        assertEquals(17, l.gridX());          // ceil(1025 / 64)
        assertEquals(8, l.gridY());
        assertEquals(3, l.gridZ());
        assertEquals(128, l.block());
        assertEquals("a4j_flash_fwd_v2_bf16_d" + bucket, FlashLaunch.forwardV2(DType.BF16, 1, 1, 1, d).function());
    }

    @Test
    void forwardV1() {
        FlashLaunch l = FlashLaunch.forwardV1(DType.FP32, 70000, 12, 113, 64);
        assertEquals("a4j_flash_fwd_v1_f32", l.function());
        assertEquals(8, l.gridX());           // ceil(113 / 16)
        assertEquals(12, l.gridY());
        assertEquals(65535, l.gridZ());       // batches grid-stride over z
        assertEquals(128, l.block());
        assertEquals(4 * (48 * 64 + 544), l.sharedMem());
        assertFalse(FlashLaunch.forwardV1(DType.FP16, 1, 1, 1, 244).needsSharedOptIn());
        assertTrue(FlashLaunch.forwardV1(DType.BF16, 1, 1, 1, 245).needsSharedOptIn());
        assertEquals("a4j_flash_fwd_v1_bf16", FlashLaunch.forwardV1(DType.BF16, 1, 1, 1, 1).function());
        assertThrows(IllegalArgumentException.class, () -> FlashLaunch.forwardV1(DType.FP32, 1, 1, 1, 257));
        assertThrows(IllegalArgumentException.class, () -> FlashLaunch.forwardV2(DType.FP32, 1, 1, 1, 64));
    }

    @Test
    void weightsPass() {
        FlashLaunch l = FlashLaunch.weights(DType.FP16, 2, 4, 1023, 1025);
        assertEquals("a4j_flash_weights_f16", l.function());
        assertEquals(33, l.gridX());          // ceil(1025 / 32)
        assertEquals(32, l.gridY());          // ceil(1023 / 32)
        assertEquals(8, l.gridZ());           // B * Hq
        assertEquals(256, l.block());
        assertEquals(8448, l.sharedMem());
        FlashLaunch big = FlashLaunch.weights(DType.FP32, 4000, 32, 4_000_000, 1);
        assertEquals(65535, big.gridY());
        assertEquals(65535, big.gridZ());
    }

    @Test
    void theDecodeSplitRuleIsTheKernelsOne() throws java.io.IOException {
        java.nio.file.Path h = java.nio.file.Path.of(System.getProperty("attention4j.cudaSources", "../cuda"),
                "flash_math.h");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(h), "no CUDA sources at " + h);
        String src = java.nio.file.Files.readString(h);
        assertEquals(FlashLaunch.DECODE_BLOCKS_PER_SM, define(src, "A4J_FLASH_DECODE_BLOCKS_PER_SM"));
        assertEquals(FlashLaunch.DECODE_MIN_KEYS, define(src, "A4J_FLASH_DECODE_MIN_KEYS"));
    }

    private static int define(String src, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("#define " + name + " (\\d+)").matcher(src);
        org.junit.jupiter.api.Assertions.assertTrue(m.find(), name + " not defined in flash_math.h");
        return Integer.parseInt(m.group(1));
    }

    @Test
    void decodeGridIsCappedAndTheKernelStrides() {
        // 4096 kv heads x 16 groups of 16 rows (g = 16, Nq = 16): 65536 y blocks, one past the limit.
        FlashLaunch l = FlashLaunch.decodeSplit(DType.FP16, 1, 4096 * 16, 4096, 16, 64, 1);
        assertEquals(65535, l.gridY());
        assertEquals(32, FlashLaunch.decodeSplit(DType.FP16, 1, 32, 8, 16, 64, 1).gridY());   // 8 x 4
    }

    @Test
    void decodeSplitCountFillsTheDevice() {
        // H200: 132 SMs. Llama-style B=1, Hq=32, Hkv=8, one query: 8 row blocks, ceil(528 / 8) = 66 splits.
        assertEquals(66, FlashLaunch.decodeSplits(1, 32, 8, 1, 32768, 132));
        // A short cache caps the splits at one per 256 keys.
        assertEquals(4, FlashLaunch.decodeSplits(1, 32, 8, 1, 1000, 132));
        assertEquals(1, FlashLaunch.decodeSplits(1, 32, 8, 1, 1, 132));
        // A large batch nearly fills the device by itself: 512 row blocks, ceil(528 / 512) = 2.
        assertEquals(2, FlashLaunch.decodeSplits(64, 32, 8, 1, 131072, 132));
        assertEquals(1, FlashLaunch.decodeSplits(128, 32, 8, 1, 131072, 132));
        // 16 queries of 4 grouped heads: 64 rows per kv head = 4 row blocks each.
        assertEquals(9, FlashLaunch.decodeSplits(2, 32, 8, 16, 131072, 132));  // ceil(528 / 64)
        FlashLaunch l = FlashLaunch.decodeSplit(DType.BF16, 2, 32, 8, 16, 128, 5);
        assertEquals("a4j_flash_decode_split_bf16", l.function());
        assertEquals(5, l.gridX());
        assertEquals(8 * 4, l.gridY());
        assertEquals(2, l.gridZ());
        assertEquals(128, l.block());
        assertEquals(4 * (48 * 128 + 544), l.sharedMem());
        assertEquals(4L * 5 * 1024 * 128, FlashLaunch.decodePartialOutBytes(5, 1024, 128));
        assertEquals(4L * 5 * 1024, FlashLaunch.decodePartialLseBytes(5, 1024));
    }

    @Test
    void rowKernels() {
        FlashLaunch c = FlashLaunch.decodeCombine(DType.FP32, 17);
        assertEquals("a4j_flash_decode_combine_f32", c.function());
        assertEquals(3, c.gridX());           // one warp per row, 8 rows per block
        assertEquals(256, c.block());
        assertEquals(0, c.sharedMem());
        FlashLaunch m = FlashLaunch.merge(DType.FP16, 1L << 40);
        assertEquals("a4j_lse_merge_f16", m.function());
        assertEquals(Integer.MAX_VALUE, m.gridX());
        assertThrows(IllegalArgumentException.class, () -> FlashLaunch.merge(DType.FP32, 0));
        FlashLaunch a = FlashLaunch.append(DType.BF16, 2, 8, 3, 128);
        assertEquals("a4j_kv_append_bf16", a.function());
        assertEquals(24, a.gridX());          // ceil(2*8*3*128 / 256)
        assertEquals(256, a.block());
    }
}

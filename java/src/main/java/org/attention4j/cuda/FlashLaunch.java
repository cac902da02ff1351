package org.attention4j.cuda;

/**
 * Launch geometry of the fused kernels (cuda/README.md, "Fused attention (issue 4)") as pure functions of the
 * problem, so that every grid, block, shared-memory size, split count and workspace size is unit-tested on the
 * CPU exactly as the GPU will get it.
 *
 * @param function  the kernel's name in the fatbin
 * @param gridX     grid x
 * @param gridY     grid y
 * @param gridZ     grid z
 * @param block     threads per block
 * @param sharedMem dynamic shared memory bytes (above {@link #DEFAULT_SHARED_LIMIT} the function needs the
 *                  opt-in attribute first)
 */
record FlashLaunch(String function, int gridX, int gridY, int gridZ, int block, int sharedMem) {

    /** Dynamic shared memory a kernel may use without {@code CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES}. */
    static final int DEFAULT_SHARED_LIMIT = 49152;
    /** The largest head dim of the fused kernels. */
    static final int MAX_DIM = 256;
    /** Forward v1: query rows per block. */
    static final int V1_BR = 16;
    /** Forward v2: query rows per block. */
    static final int V2_BR = 64;
    /** Decode: rows (query heads x queries of one kv head) per block. */
    static final int DECODE_ROWS = 16;
    /** The padded head-dim buckets of forward v2. */
    static final int[] V2_BUCKETS = {32, 64, 96, 128, 160, 192, 224, 256};

    private static final int MAX_GRID_YZ = 65535;

    /** Whether the function needs the shared-memory opt-in before this launch. */
    boolean needsSharedOptIn() {
        return sharedMem > DEFAULT_SHARED_LIMIT;
    }

    /** Forward version 1 (CUDA cores, any type, D 1..256). */
    static FlashLaunch forwardV1(DType t, int batch, int heads, int maxNq, int dim) {
        requireDim(dim);
        return new FlashLaunch("a4j_flash_fwd_v1_" + Kernels.suffix(t), ceilDiv(maxNq, V1_BR), heads, gridZ(batch),
                128, v1Shared(dim));
    }

    /** Forward version 2 (tensor cores, FP16/BF16, sm_80+), in the smallest head-dim bucket that holds D. */
    static FlashLaunch forwardV2(DType t, int batch, int heads, int maxNq, int dim) {
        if (t == DType.FP32) {
            throw new IllegalArgumentException("forward v2 is for FP16/BF16, not " + t);
        }
        int dp = bucket(dim);
        int bc = dp <= 128 ? 64 : 32;
        return new FlashLaunch("a4j_flash_fwd_v2_" + Kernels.suffix(t) + "_d" + dp, ceilDiv(maxNq, V2_BR), heads,
                gridZ(batch), 128, 2 * (64 + 2 * bc) * (dp + 8));
    }

    /** The weights pass: P = exp(S - lse) over {@code [B, Hq, Nq, Nk]}. */
    static FlashLaunch weights(DType t, int batch, int heads, int nq, int nk) {
        return new FlashLaunch("a4j_flash_weights_" + Kernels.suffix(t), ceilDiv(nk, 32),
                (int) Math.min(ceilDiv(nq, 32), MAX_GRID_YZ), (int) Math.min((long) batch * heads, MAX_GRID_YZ), 256,
                8448);
    }

    /** The split-K decode pass over {@code numSplits} key ranges. */
    static FlashLaunch decodeSplit(DType t, int batch, int heads, int kvHeads, int nq, int dim, int numSplits) {
        requireDim(dim);
        int g = heads / kvHeads;
        return new FlashLaunch("a4j_flash_decode_split_" + Kernels.suffix(t), numSplits,
                (int) Math.min(kvHeads * ceilDiv((long) g * nq, DECODE_ROWS), MAX_GRID_YZ), gridZ(batch), 128,
                v1Shared(dim));   // the kernel strides over y (and z) past the cap
    }

    /** Decode blocks per SM the split count aims at: {@code A4J_FLASH_DECODE_BLOCKS_PER_SM} of cuda/flash_math.h. */
    static final int DECODE_BLOCKS_PER_SM = 4;
    /** Fewest cached keys per split: {@code A4J_FLASH_DECODE_MIN_KEYS} of cuda/flash_math.h. */
    static final int DECODE_MIN_KEYS = 256;

    /**
     * The split count of a decode, as {@code a4j_flash_decode_splits} in cuda/flash_math.h (the native benchmark's
     * rule too): about {@link #DECODE_BLOCKS_PER_SM} blocks per SM
     * ({@code ceil(4 * SMs / (B * Hkv * ceil(g * Nq / 16)))}), at least 1 and at most one split per
     * {@link #DECODE_MIN_KEYS} cached keys, so that short caches are not cut into splits with nothing to do.
     */
    static int decodeSplits(int batch, int heads, int kvHeads, int nq, int capacity, int sms) {
        long rowBlocks = (long) batch * kvHeads * ceilDiv((long) (heads / kvHeads) * nq, DECODE_ROWS);
        long want = ceilDiv((long) DECODE_BLOCKS_PER_SM * sms, rowBlocks);
        long most = Math.max(1, ceilDiv(capacity, DECODE_MIN_KEYS));
        return (int) Math.max(1, Math.min(want, most));
    }

    /** Bytes of the decode's partial outputs {@code float [numSplits, B*Hq*Nq, D]}. */
    static long decodePartialOutBytes(int numSplits, long rows, int dim) {
        return 4L * numSplits * rows * dim;
    }

    /** Bytes of the decode's partial log-sum-exps {@code float [numSplits, B*Hq*Nq]}. */
    static long decodePartialLseBytes(int numSplits, long rows) {
        return 4L * numSplits * rows;
    }

    /** The decode's combine of {@code rows} rows (same geometry as the merge). */
    static FlashLaunch decodeCombine(DType out, long rows) {
        return rowsPerWarp("a4j_flash_decode_combine_" + Kernels.suffix(out), rows);
    }

    /** The public LSE merge of {@code rows} rows. */
    static FlashLaunch merge(DType t, long rows) {
        return rowsPerWarp("a4j_lse_merge_" + Kernels.suffix(t), rows);
    }

    /** The KV-cache append of {@code Nnew} tokens. */
    static FlashLaunch append(DType t, int batch, int kvHeads, int nNew, int dim) {
        return new FlashLaunch("a4j_kv_append_" + Kernels.suffix(t),
                Kernels.elementwiseGrid((long) batch * kvHeads * nNew * dim), 1, 1, 256, 0);
    }

    /** The smallest v2 bucket holding {@code dim}. */
    static int bucket(int dim) {
        requireDim(dim);
        for (int b : V2_BUCKETS) {
            if (b >= dim) {
                return b;
            }
        }
        throw new AssertionError(dim);
    }

    private static FlashLaunch rowsPerWarp(String name, long rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be >= 1, got " + rows);
        }
        return new FlashLaunch(name, (int) Math.min(ceilDiv(rows, 8), Integer.MAX_VALUE), 1, 1, 256, 0);
    }

    private static int v1Shared(int dim) {
        return 4 * (48 * dim + 544);
    }

    private static int gridZ(int batch) {
        return Math.min(batch, MAX_GRID_YZ);
    }

    private static void requireDim(int dim) {
        if (dim < 1 || dim > MAX_DIM) {
            throw new IllegalArgumentException("the fused kernels take head dims 1.." + MAX_DIM + ", got D=" + dim);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}

package org.attention4j.cuda;

/**
 * Launch geometry of the fused softmax kernel (cuda/README.md, softmax.cu), as a pure function of the problem:
 * version 1 (one block per row) when there are enough rows or they are short, else version 2 (a row split over
 * {@code numChunks} blocks, with a {@code [rows, numChunks, 2]} float workspace of partial max/sum pairs).
 * Version 3 ({@code cached}: version 1 with the row held in shared memory, so S is read from memory once instead
 * of twice) replaces version 1 where the row fits 48 KiB of shared memory (no opt-in needed), unless the system
 * property {@code attention4j.cuda.softmaxCached=false} (for racing the two on a GPU; cuda/README.md).
 *
 * @param split      whether version 2 is used
 * @param cached     whether version 3 is used (never with {@code split})
 * @param block      threads per block
 * @param sharedMem  dynamic shared memory bytes
 * @param gridX      grid x (rows for version 1, chunks for version 2)
 * @param gridY      grid y (1, or rows capped at 65535 for version 2)
 * @param chunkLen   keys per chunk (version 2; 0 otherwise)
 * @param numChunks  chunks per row (version 2; 0 otherwise)
 */
record SoftmaxLaunch(boolean split, boolean cached, int block, int sharedMem, int gridX, int gridY, int chunkLen,
        int numChunks) {

    private static final int MAX_GRID_X = Integer.MAX_VALUE;
    private static final int MAX_GRID_Y = 65535;
    /** Dynamic shared memory a kernel may take without the opt-in attribute. */
    static final int DEFAULT_SHARED_LIMIT = 48 * 1024;
    private static final boolean CACHED =
            Boolean.parseBoolean(System.getProperty("attention4j.cuda.softmaxCached", "true"));

    /** The launch for {@code rows} rows of {@code nk} keys on a device with {@code sms} multiprocessors. */
    static SoftmaxLaunch of(long rows, int nk, int sms) {
        return of(rows, nk, sms, CACHED);
    }

    /** As {@link #of(long, int, int)}, with version 3 allowed or not. */
    static SoftmaxLaunch of(long rows, int nk, int sms, boolean allowCached) {
        if (rows < 1 || nk < 1 || sms < 1) {
            throw new IllegalArgumentException("softmax launch needs rows, Nk, SMs >= 1: " + rows + ", " + nk + ", "
                    + sms);
        }
        int block = nk >= 8192 ? 512 : 256;
        int shared = statsSharedMem(block);
        if (rows >= 2L * sms || nk <= 8192) {
            long cachedShared = cachedSharedMem(block, nk);
            boolean cached = allowCached && cachedShared <= DEFAULT_SHARED_LIMIT;
            return new SoftmaxLaunch(false, cached, block, cached ? (int) cachedShared : shared,
                    (int) Math.min(rows, MAX_GRID_X), 1, 0, 0);
        }
        // About four blocks per SM in total, each chunk at least 2048 keys, a multiple of 4.
        long perRow = ceilDiv(4L * sms, rows);
        long len = ceilDiv(nk, perRow);
        len = (len + 3) / 4 * 4;
        int chunkLen = (int) Math.max(2048, len);
        int numChunks = (int) ceilDiv(nk, chunkLen);
        return new SoftmaxLaunch(true, false, block, shared, numChunks, (int) Math.min(rows, MAX_GRID_Y), chunkLen,
                numChunks);
    }

    /** Versions 1 and 2's dynamic shared memory: one (max, sum) pair per warp ({@code a4j_softmax_smem}). */
    static int statsSharedMem(int block) {
        return 8 * (block / 32);
    }

    /**
     * Version 3's dynamic shared memory: the per-warp slots padded to 16 bytes, then the row with room to keep its
     * 16-byte alignment ({@code a4j_softmax_cached_smem} in cuda/softmax_math.h; SoftmaxFormulasTest).
     */
    static long cachedSharedMem(int block, int nk) {
        return 16L * ((block / 32 + 1) / 2) + 4L * ((long) nk + 3);
    }

    /** Bytes of the version-2 partials workspace for {@code rows} rows (0 for version 1). */
    long partialBytes(long rows) {
        return split ? 8L * rows * numChunks : 0;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}

package org.attention4j.nn;

import org.attention4j.Tensor;

/** The bookkeeping both positional encodings share: checking {@code x} and adding table rows to it. */
final class PositionalEncodings {
    private PositionalEncodings() {
    }

    /** Checks {@code x [B, N, E]} and a start position {@code >= 0}, returning {@code N}. */
    static int checkInput(Tensor x, int dim, int startPosition) {
        Shapes.requireRank3(x, "x", dim, "[B, N, E]");
        if (startPosition < 0) {
            throw new IllegalArgumentException("startPosition must be >= 0, got " + startPosition);
        }
        int n = x.dim(1);
        if ((long) startPosition + n - 1 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("positions startPosition=" + startPosition + " .. startPosition + N - 1"
                    + " (N=" + n + ") overflow an int");
        }
        return n;
    }

    /** {@code dst[b, i, :] = src[b, i, :] + table[i, :]} for a table {@code [N, E]} (dst may be src). */
    static void add(float[] src, float[] table, float[] dst, int batch, int n, int dim) {
        int perBatch = n * dim;
        for (int b = 0; b < batch; b++) {
            int off = b * perBatch;
            for (int t = 0; t < perBatch; t++) {
                dst[off + t] = src[off + t] + table[t];
            }
        }
    }
}

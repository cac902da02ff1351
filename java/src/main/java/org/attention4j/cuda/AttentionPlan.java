package org.attention4j.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * How one attention problem maps onto cuBLAS: the GEMMs of every query-row chunk and the workspace they need.
 * Pure arithmetic, computed on the host and unit-tested against a CPU emulation of cuBLAS.
 *
 * <h2>Row-major tensors through a column-major BLAS</h2>
 * A row-major {@code [rows, cols]} matrix is, to cuBLAS, the column-major {@code cols x rows} matrix (its
 * transpose) with leading dimension {@code cols}. The {@code g = Hq / Hkv} query heads that share key/value head
 * {@code hk} are adjacent in {@code Q [B, Hq, Nq, D]}, so for batch {@code b} they form one row-major
 * {@code [g*Nq, D]} block, and their scores one {@code [g*Nq, Nk]} block of {@code S [B, Hq, Nq, Nk]}:
 * <ul>
 *   <li>{@code S^T = K_(b,hk) . Q_(b,hk)^T} (column-major): {@code gemm(T, N, m=Nk, n=g*Nq, k=D, A=K, lda=D,
 *       B=Q, ldb=D, C=S, ldc=Nk)}, batched over {@code t = b*Hkv + hk} with strides {@code Nk*D},
 *       {@code g*Nq*D}, {@code g*Nq*Nk};</li>
 *   <li>{@code O^T = V^T . P^T}: {@code gemm(N, N, m=Dv, n=g*Nq, k=Nk, A=V, lda=Dv, B=P, ldb=Nk, C=O,
 *       ldc=Dv)}, strides {@code Nk*Dv}, {@code g*Nq*Nk}, {@code g*Nq*Dv}.</li>
 * </ul>
 * No copy of K or V is made for grouped-query attention.
 *
 * <h2>Chunks of query rows</h2>
 * The scores need {@code B*Hq*Nq*Nk} elements. When that exceeds the workspace limit, the queries are processed
 * {@link #rowsPerChunk()} rows at a time; the workspace then holds {@code [B, Hq, r, Nk]} for rows
 * {@code i0 .. i0+r-1}. The {@code g} heads of a group are then no longer adjacent in Q, so each chunk issues
 * {@code g} GEMMs of {@code n = r} instead of one of {@code n = g*Nq}. O is written in place in its final
 * layout in both cases.
 *
 * @param batch        B
 * @param heads        Hq
 * @param kvHeads      Hkv
 * @param nq           Nq
 * @param nk           Nk
 * @param dim          D
 * @param valueDim     Dv
 * @param scoresAlpha  the factor of the score GEMM (the scale, or 1 when the softmax kernel applies it)
 * @param rowsPerChunk query rows per chunk
 * @param chunks       the chunks, in order
 */
record AttentionPlan(int batch, int heads, int kvHeads, int nq, int nk, int dim, int valueDim, float scoresAlpha,
                     int rowsPerChunk, List<Chunk> chunks) {

    /**
     * One chunk of query rows.
     *
     * @param row0   first query row
     * @param rows   number of query rows
     * @param scores GEMMs writing the workspace {@code S [B, Hq, rows, Nk]} from K and Q
     * @param values GEMMs writing O from V and the workspace {@code P [B, Hq, rows, Nk]}
     */
    record Chunk(int row0, int rows, List<GemmCall> scores, List<GemmCall> values) {
    }

    /**
     * Plans a problem.
     *
     * @param workspaceElements the most score elements one chunk may hold ({@code B*Hq*r*Nk <= this}); at least
     *                          one row per chunk is always planned
     */
    static AttentionPlan of(int batch, int heads, int kvHeads, int nq, int nk, int dim, int valueDim,
                            float scoresAlpha, long workspaceElements) {
        if (batch < 1 || heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || nq < 1 || nk < 1 || dim < 1
                || valueDim < 1) {
            throw new IllegalArgumentException("cannot plan B=" + batch + " Hq=" + heads + " Hkv=" + kvHeads + " Nq="
                    + nq + " Nk=" + nk + " D=" + dim + " Dv=" + valueDim);
        }
        int r = rowsPerChunk(batch, heads, nq, nk, workspaceElements);
        int g = heads / kvHeads;
        int bh = batch * kvHeads;
        List<Chunk> chunks = new ArrayList<>();
        for (int i0 = 0; i0 < nq; i0 += r) {
            int rows = Math.min(r, nq - i0);
            List<GemmCall> scores = new ArrayList<>();
            List<GemmCall> values = new ArrayList<>();
            // Whole query range: the group's heads are adjacent, one GEMM covers them; else one per head.
            int segments = rows == nq ? 1 : g;
            int n = rows == nq ? g * nq : rows;
            for (int j = 0; j < segments; j++) {
                long qOff = ((long) j * nq + i0) * dim;
                long wOff = (long) j * rows * nk;          // workspace [B*Hkv, g, rows, Nk]
                long oOff = ((long) j * nq + i0) * valueDim;
                scores.add(new GemmCall(true, false, nk, n, dim, scoresAlpha, 0f,
                        0, dim, (long) nk * dim,
                        qOff, dim, (long) g * nq * dim,
                        wOff, nk, (long) g * rows * nk, bh).check());
                values.add(new GemmCall(false, false, valueDim, n, nk, 1f, 0f,
                        0, valueDim, (long) nk * valueDim,
                        wOff, nk, (long) g * rows * nk,
                        oOff, valueDim, (long) g * nq * valueDim, bh).check());
            }
            chunks.add(new Chunk(i0, rows, List.copyOf(scores), List.copyOf(values)));
        }
        return new AttentionPlan(batch, heads, kvHeads, nq, nk, dim, valueDim, scoresAlpha, r, List.copyOf(chunks));
    }

    /** Query rows per chunk so that {@code B*Hq*r*Nk <= workspaceElements}, between 1 and Nq. */
    static int rowsPerChunk(int batch, int heads, int nq, int nk, long workspaceElements) {
        long perRow = (long) batch * heads * nk;
        long r = workspaceElements / perRow;
        return (int) Math.max(1, Math.min(nq, r));
    }

    /** Elements of the score workspace one chunk uses: {@code B*Hq*r*Nk}. */
    long workspaceElements() {
        return (long) batch * heads * rowsPerChunk * nk;
    }

    /** Hq / Hkv. */
    int group() {
        return heads / kvHeads;
    }
}

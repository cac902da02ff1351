package org.attention4j.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * How one attention problem maps onto cuBLAS and the softmax kernel: the GEMMs of every chunk, the workspace
 * they need, and the offsets of the kernel's per-batch and per-head arguments. Pure arithmetic, computed on the
 * host and unit-tested against a CPU emulation of cuBLAS and of the kernel's documented semantics.
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
 * <h2>Chunks</h2>
 * The scores need {@code B*Hq*Nq*Nk} elements. When that exceeds the workspace, the (batch, query head) pairs
 * are processed in chunks, each a contiguous range of the flattened index {@code b*Hq + h}: whole batches when a
 * batch fits, else whole key/value groups of one batch, else query heads of one group. Each chunk is one score
 * GEMM, one softmax launch (its batch and head origin passed as offset pointers, which the kernel's indexing
 * allows) and one value GEMM writing O in place. A single head's {@code Nq x Nk} scores are the smallest unit:
 * the kernel indexes rows from query 0, so query rows are not split.
 *
 * @param batch         B
 * @param heads         Hq
 * @param kvHeads       Hkv
 * @param nq            Nq
 * @param nk            Nk
 * @param dim           D
 * @param valueDim      Dv
 * @param headsPerChunk the most (batch, head) pairs one chunk holds
 * @param chunks        the chunks, in order
 */
record CublasPlan(int batch, int heads, int kvHeads, int nq, int nk, int dim, int valueDim, int headsPerChunk,
                     List<Chunk> chunks) {

    /**
     * One chunk: the (batch, query head) pairs {@code f0 .. f0+count-1} of the flattened index {@code b*Hq + h},
     * which are batches {@code b0 .. b0+nb-1} and, within them, heads {@code h0 .. h0+nh-1} (all heads when
     * {@code nb > 1}).
     *
     * @param f0     first flattened (batch, head) pair
     * @param b0     first batch
     * @param nb     batches (the kernel's B)
     * @param h0     first query head within the batch
     * @param nh     query heads per batch (the kernel's Hq)
     * @param scores the GEMM writing the workspace {@code S [nb*nh, Nq, Nk]} from K and Q
     * @param values the GEMM writing O from V and the workspace {@code P}
     */
    record Chunk(int f0, int b0, int nb, int h0, int nh, GemmCall scores, GemmCall values) {

        /** (batch, head) pairs in this chunk. */
        int count() {
            return nb * nh;
        }

        /** First score row of this chunk in {@code [B*Hq*Nq]}: where its log-sum-exp goes. */
        long firstRow(int nq) {
            return (long) f0 * nq;
        }

        /** Element offset of this chunk's origin {@code (b0, h0, 0, 0)} in a mask with the given strides. */
        long maskOffset(long[] strides) {
            return strides == null ? 0 : b0 * strides[0] + h0 * strides[1];
        }
    }

    /**
     * Plans a problem.
     *
     * @param scoresAlpha       the factor of the score GEMM (1 when the softmax kernel applies the scale)
     * @param workspaceElements the most score elements one chunk should hold; one head's {@code Nq*Nk} is
     *                          always allowed
     */
    static CublasPlan of(int batch, int heads, int kvHeads, int nq, int nk, int dim, int valueDim,
                            float scoresAlpha, long workspaceElements) {
        if (batch < 1 || heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || nq < 1 || nk < 1 || dim < 1
                || valueDim < 1) {
            throw new IllegalArgumentException("cannot plan B=" + batch + " Hq=" + heads + " Hkv=" + kvHeads + " Nq="
                    + nq + " Nk=" + nk + " D=" + dim + " Dv=" + valueDim);
        }
        int g = heads / kvHeads;
        long perHead = (long) nq * nk;
        long fit = Math.max(1, workspaceElements / perHead);
        List<Chunk> chunks = new ArrayList<>();
        int per;
        if (fit >= heads) {
            int nbPer = (int) Math.min(batch, fit / heads);
            per = nbPer * heads;
            for (int b0 = 0; b0 < batch; b0 += nbPer) {
                int nb = Math.min(nbPer, batch - b0);
                chunks.add(chunk(b0, nb, 0, heads, heads, g, nq, nk, dim, valueDim, scoresAlpha));
            }
        } else {
            // Within one batch: whole groups when one fits, else parts of a group.
            int step = fit >= g ? (int) (fit / g) * g : (int) fit;
            per = step;
            for (int b = 0; b < batch; b++) {
                for (int h0 = 0; h0 < heads; ) {
                    int nh = Math.min(step, heads - h0);
                    if (step < g) {
                        nh = Math.min(nh, g - h0 % g);           // never cross a group boundary
                    }
                    chunks.add(chunk(b, 1, h0, nh, heads, g, nq, nk, dim, valueDim, scoresAlpha));
                    h0 += nh;
                }
            }
        }
        return new CublasPlan(batch, heads, kvHeads, nq, nk, dim, valueDim, per, List.copyOf(chunks));
    }

    private static Chunk chunk(int b0, int nb, int h0, int nh, int heads, int g, int nq, int nk, int dim,
                               int valueDim, float alpha) {
        int f0 = b0 * heads + h0;
        int units;
        int n;
        if (nh % g == 0 && h0 % g == 0) {
            // Whole groups: batched over the key/value heads t = f0/g .., n = g*Nq.
            units = nb * nh / g;
            n = g * nq;
        } else {
            // Heads h0 .. h0+nh-1 of one group: adjacent in Q, one GEMM with n = nh*Nq against one K.
            units = 1;
            n = nh * nq;
        }
        int t0 = f0 / g;
        GemmCall s = new GemmCall(true, false, nk, n, dim, alpha, 0f,
                (long) t0 * nk * dim, dim, (long) nk * dim,
                (long) f0 * nq * dim, dim, (long) n * dim,
                0, nk, (long) n * nk, units);
        GemmCall o = new GemmCall(false, false, valueDim, n, nk, 1f, 0f,
                (long) t0 * nk * valueDim, valueDim, (long) nk * valueDim,
                0, nk, (long) n * nk,
                (long) f0 * nq * valueDim, valueDim, (long) n * valueDim, units);
        return new Chunk(f0, b0, nb, h0, nh, s.check(), o.check());
    }

    /** Elements of the score workspace the largest chunk uses. */
    long workspaceElements() {
        long most = 0;
        for (Chunk c : chunks) {
            most = Math.max(most, (long) c.count() * nq * nk);
        }
        return most;
    }

    /** Hq / Hkv. */
    int group() {
        return heads / kvHeads;
    }
}

// The CUDA-core tile loop shared by the fused forward version 1 (flash_fwd.cu) and the split-K decode
// (flash_decode.cu): one block of 4 warps holds Br = 16 query rows (4 per warp) that share a batch and a kv
// head, and walks the keys [k0, k1) in tiles of Bc = 32 with an online softmax. No kernels here.
//
// Per key tile j: Kj is staged in shared memory (fp32, rows padded to D + 1 floats: lane c reads key c's row
// without bank conflicts), each lane scores one key for the warp's 4 rows, the warp reduces the tile maximum
// and the sum of p; then Vj replaces Kj in the same buffer and each lane accumulates its slice of the head dim
// (d = lane + 32c) of O. Index math and the softmax statistics are flash_math.h's, which the CPU model runs.
#ifndef ATTENTION4J_FLASH_CORE_CUH
#define ATTENTION4J_FLASH_CORE_CUH

#include "common.cuh"
#include "flash_math.h"

__device__ __forceinline__ float a4j_warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(A4J_FULL_MASK, v, o));
    return v;
}

// Rows of the block: block row r is global row rr = rowBase + r, valid when rr < rowEnd, with query index
// i = rr % nqMod and query head h = hBase + rr / nqMod (the forward: nqMod huge, so i = rr and h = hBase;
// decode: g heads x Nq queries of one kv head). O (type TO, D per row) is written at the row's Q offset
// (Dv == D, same layout as Q), lse at the row's lse offset.
// DC: head-dim slices of 32 per lane (D <= 32 * DC); a4j_flash_core_any picks the smallest of 2, 4, 8 so that
// short heads do not issue the predicated-off work of 256-wide ones.
template <typename T, typename TO, int DC>
__device__ void a4j_flash_core(const T* __restrict__ Q, const T* __restrict__ K, const T* __restrict__ V,
                               TO* __restrict__ O, float* __restrict__ lseOut, const A4jFlashSeq& s, int D,
                               float scale2, int causal, int windowLeft, int windowRight,
                               const float* alibiSlopes, int hkv, int rowBase, int rowEnd, int nqMod, int hBase,
                               int k0, int k1) {
    constexpr int BR = A4J_FLASH_V1_BR, BC = A4J_FLASH_V1_BC, RPW = A4J_FLASH_V1_ROWS_PER_WARP;
    constexpr int NW = A4J_FLASH_V1_THREADS / 32;
    // One buffer: Qi [BR][D], Kj or Vj [BC][D + 1], the tile's p [BR][BC] (all fp32).
    extern __shared__ float a4j_smem_flash_core[];
    float* sQ = a4j_smem_flash_core;
    float* sKV = sQ + BR * D;
    float* sP = sKV + BC * (D + 1);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;

    __syncthreads();  // the previous problem of this block (grid-stride loop) is done with every buffer
    for (int r = warp; r < BR; r += NW) {
        int rr = rowBase + r;
        bool valid = rr < rowEnd;
        long long off = valid ? s.qBase + (long long)(hBase + rr / nqMod) * s.qHead + (long long)(rr % nqMod) * s.qRow : 0;
        for (int d = lane; d < D; d += 32) sQ[r * D + d] = valid ? a4j_to_float(Q[off + d]) : 0.0f;
    }
    // This warp's rows: mask geometry, running statistics, O slices.
    A4jFlashRow mk[RPW];
    float m[RPW], l[RPW], acc[RPW][DC];
#pragma unroll
    for (int k = 0; k < RPW; k++) {
        int rr = rowBase + warp * RPW + k;
        int h = hBase + rr / nqMod;
        float slope = (alibiSlopes != nullptr && rr < rowEnd) ? alibiSlopes[h] : 0.0f;
        mk[k] = a4j_flash_row(s, rr < rowEnd ? rr % nqMod : -1, causal, windowLeft, windowRight, slope);
        m[k] = -INFINITY;
        l[k] = 0.0f;
#pragma unroll
        for (int c = 0; c < DC; c++) acc[k][c] = 0.0f;
    }
    const bool warpActive = rowBase + warp * RPW < rowEnd;  // uniform over the warp
    const T* Kh = K + s.kBase + (long long)hkv * s.kHead;
    const T* Vh = V + s.kBase + (long long)hkv * s.kHead;
    const int nTiles = a4j_flash_num_tiles(k0, k1, BC);
    for (int t = 0; t < nTiles; t++) {
        const int j0 = k0 + t * BC;
        const int nj = min(BC, k1 - j0);
        __syncthreads();  // Qi is complete (first tile) and every warp is done reading V of the previous tile
        for (int c = warp; c < BC; c += NW) {
            for (int d = lane; d < D; d += 32) {
                sKV[c * (D + 1) + d] = c < nj ? a4j_to_float(Kh[(long long)(j0 + c) * s.kRow + d]) : 0.0f;
            }
        }
        __syncthreads();  // Kj is complete before any lane scores a key another warp loaded
        float dot[RPW];
#pragma unroll
        for (int k = 0; k < RPW; k++) dot[k] = 0.0f;
        // a warp without a valid row (decode with few rows: 1 query x 1 head uses one warp of four) skips the
        // arithmetic; its rows stay at m = -inf, l = 0 and are never written
        for (int d = 0; d < (warpActive ? D : 0); d++) {
            float kv = sKV[lane * (D + 1) + d];
#pragma unroll
            for (int k = 0; k < RPW; k++) dot[k] += sQ[(warp * RPW + k) * D + d] * kv;
        }
#pragma unroll
        for (int k = 0; k < RPW; k++) {
            // lanes past the tile's end (or past this split's end) are not keys of this block
            float s2 = lane < nj ? a4j_flash_score2(mk[k], j0 + lane, dot[k], scale2) : -INFINITY;
            float alpha;
            float shift = a4j_flash_update(m[k], a4j_warp_max(s2), &alpha);
            float p = a4j_flash_p(s2, shift);
            l[k] = alpha * l[k] + a4j_warp_sum(p);
#pragma unroll
            for (int c = 0; c < DC; c++) acc[k][c] *= alpha;
            sP[(warp * RPW + k) * BC + lane] = p;
        }
        __syncthreads();  // every warp is done reading Kj before Vj overwrites the buffer
        for (int c = warp; c < BC; c += NW) {
            for (int d = lane; d < D; d += 32) {
                sKV[c * (D + 1) + d] = c < nj ? a4j_to_float(Vh[(long long)(j0 + c) * s.kRow + d]) : 0.0f;
            }
        }
        __syncthreads();  // Vj is complete (and this warp's p row, written by its own lanes, is visible)
        for (int c = 0; c < (warpActive ? nj : 0); c++) {
            const float* vrow = sKV + c * (D + 1);
#pragma unroll
            for (int k = 0; k < RPW; k++) {
                float p = sP[(warp * RPW + k) * BC + c];
#pragma unroll
                for (int dc = 0; dc < DC; dc++) {
                    int d = lane + 32 * dc;
                    if (d < D) acc[k][dc] += p * vrow[d];
                }
            }
        }
    }
#pragma unroll
    for (int k = 0; k < RPW; k++) {
        int rr = rowBase + warp * RPW + k;
        if (rr >= rowEnd) continue;
        int h = hBase + rr / nqMod, i = rr % nqMod;
        float inv, lse;
        a4j_flash_finish(m[k], l[k], &inv, &lse);
        long long off = s.qBase + (long long)h * s.qHead + (long long)i * s.qRow;
#pragma unroll
        for (int dc = 0; dc < DC; dc++) {
            int d = lane + 32 * dc;
            if (d < D) O[off + d] = a4j_from_float<TO>(acc[k][dc] * inv);
        }
        if (lseOut != nullptr && lane == 0) lseOut[s.lseBase + (long long)h * s.lseHead + (long long)i * s.lseRow] = lse;
    }
}

template <typename T, typename TO>
__device__ __forceinline__ void a4j_flash_core_any(const T* Q, const T* K, const T* V, TO* O, float* lseOut,
                                                   const A4jFlashSeq& s, int D, float scale2, int causal,
                                                   int windowLeft, int windowRight, const float* alibiSlopes, int hkv,
                                                   int rowBase, int rowEnd, int nqMod, int hBase, int k0, int k1) {
    if (D <= 64) {
        a4j_flash_core<T, TO, 2>(Q, K, V, O, lseOut, s, D, scale2, causal, windowLeft, windowRight, alibiSlopes, hkv,
                                 rowBase, rowEnd, nqMod, hBase, k0, k1);
    } else if (D <= 128) {
        a4j_flash_core<T, TO, 4>(Q, K, V, O, lseOut, s, D, scale2, causal, windowLeft, windowRight, alibiSlopes, hkv,
                                 rowBase, rowEnd, nqMod, hBase, k0, k1);
    } else {
        a4j_flash_core<T, TO, A4J_FLASH_MAX_D / 32>(Q, K, V, O, lseOut, s, D, scale2, causal, windowLeft, windowRight,
                                                    alibiSlopes, hkv, rowBase, rowEnd, nqMod, hBase, k0, k1);
    }
}

#endif

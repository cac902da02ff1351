// Host/device arithmetic of the fused attention kernels (flash_fwd.cu, flash_decode.cu), shared with the
// host-only CPU model (native-tests/cpu_model) so that the model runs the kernels' own:
//  - tile constants (Br, Bc, threads) of every version,
//  - sequence geometry of the dense, varlen (cuSeqlens) and KV-cache layouts,
//  - per-row visible key interval (key length, causal, window) and the biased score in log2 units,
//  - union of the rows' intervals over a block (the key tiles it loads: the rest are skipped),
//  - split-K partition of that union (decode) into whole tiles,
//  - online softmax step (m, l, alpha) and the finish (1/l, lse),
//  - log-sum-exp merge of partial results (decode combine and the public merge).
// Plain C++ under g++; __host__ __device__ under nvcc (A4J_HD from softmax_math.h).
#ifndef ATTENTION4J_FLASH_MATH_H
#define ATTENTION4J_FLASH_MATH_H

#include <math.h>
#include "softmax_math.h"

#define A4J_LOG2E 1.4426950408889634f
#define A4J_LN2 0.6931471805599453f

// Version 1 (CUDA cores) and decode: 4 warps; a block holds A4J_FLASH_V1_BR query rows (4 per warp) and walks
// the keys in tiles of A4J_FLASH_V1_BC (one key per lane for the scores, one head-dim slice per lane for O).
#define A4J_FLASH_V1_THREADS 128
#define A4J_FLASH_V1_BR 16
#define A4J_FLASH_V1_BC 32

// Decode's split count, the one rule (FlashLaunch.decodeSplits mirrors it; FlashLaunchTest reads these two
// numbers from this file): enough splits for about A4J_FLASH_DECODE_BLOCKS_PER_SM blocks per SM, each split at
// least A4J_FLASH_DECODE_MIN_KEYS cached keys.
#define A4J_FLASH_DECODE_BLOCKS_PER_SM 4
#define A4J_FLASH_DECODE_MIN_KEYS 256
A4J_HD int a4j_flash_decode_splits(int B, int Hq, int Hkv, int Nq, int capacity, int sms) {
    long long rowBlocks = (long long)B * Hkv * (((long long)(Hq / Hkv) * Nq + 15) / 16);
    long long want = ((long long)A4J_FLASH_DECODE_BLOCKS_PER_SM * sms + rowBlocks - 1) / rowBlocks;
    long long most = (capacity + A4J_FLASH_DECODE_MIN_KEYS - 1) / A4J_FLASH_DECODE_MIN_KEYS;
    if (most < 1) most = 1;
    long long n = want < most ? want : most;
    return (int)(n < 1 ? 1 : n);
}
#define A4J_FLASH_V1_ROWS_PER_WARP (A4J_FLASH_V1_BR / (A4J_FLASH_V1_THREADS / 32))
#define A4J_FLASH_MAX_D 256
// Version 2 (tensor cores): 4 warps x 16 rows; Bc 64 up to a 128 head-dim bucket, 32 above (registers).
#define A4J_FLASH_V2_THREADS 128
#define A4J_FLASH_V2_BR 64
A4J_HD int a4j_flash_v2_bc(int dp) { return dp <= 128 ? 64 : 32; }
// Weights recompute: 32 x 32 tiles of P per block of 256 threads.
#define A4J_FLASH_W_TILE 32
#define A4J_FLASH_W_THREADS 256

// Dynamic shared memory of each version (bytes), as cuda/README.md states it.
A4J_HD int a4j_flash_v1_smem(int D) {
    return 4 * (A4J_FLASH_V1_BR * D + A4J_FLASH_V1_BC * (D + 1) + A4J_FLASH_V1_BR * A4J_FLASH_V1_BC);
}
A4J_HD int a4j_flash_v2_smem(int dp) { return 2 * (A4J_FLASH_V2_BR + 2 * a4j_flash_v2_bc(dp)) * (dp + 8); }

// Where sequence b's tokens live and how long it is. Element (h, i, d) of Q is at qBase + h*qHead + i*qRow + d
// (K and V alike with k*), its lse at lseBase + h*lseHead + i*lseRow.
struct A4jFlashSeq {
    long long qBase, qHead, qRow;
    long long kBase, kHead, kRow;
    long long lseBase, lseHead, lseRow;
    int Nq;     // this sequence's queries
    int Nk;     // this sequence's stored keys
    int kvLen;  // keys [0, kvLen) exist (<= the stored keys)
    int diagOff;  // query i's diagonal is key i + diagOff: Nk - Nq (its own sequence) or diagonals[b]
};

// Dense [B,H,N,D] (cuQ == cuK == NULL) or varlen token-major [total, H, D] with cumulative offsets.
// diagonals: per sequence, where the diagonal sits (the call's start positions, queryStart - keyStart), or NULL.
A4J_HD A4jFlashSeq a4j_flash_seq(int b, int Hq, int Hkv, int Nq, int Nk, int D, const int* kvLengths,
                                 const int* diagonals, const int* cuQ, const int* cuK) {
    A4jFlashSeq s;
    if (cuQ != nullptr && cuK != nullptr) {
        long long q0 = cuQ[b], k0 = cuK[b];
        s.Nq = (int)(cuQ[b + 1] - q0);
        s.Nk = (int)(cuK[b + 1] - k0);
        s.kvLen = s.Nk;
        s.diagOff = diagonals != nullptr ? diagonals[b] : s.Nk - s.Nq;
        s.qRow = (long long)Hq * D;
        s.qHead = D;
        s.qBase = q0 * s.qRow;
        s.kRow = (long long)Hkv * D;
        s.kHead = D;
        s.kBase = k0 * s.kRow;
        s.lseRow = Hq;
        s.lseHead = 1;
        s.lseBase = q0 * Hq;
        return s;
    }
    s.Nq = Nq;
    s.Nk = Nk;
    s.diagOff = diagonals != nullptr ? diagonals[b] : Nk - Nq;
    s.kvLen = kvLengths != nullptr ? kvLengths[b] : Nk;
    if (s.kvLen > Nk) s.kvLen = Nk;
    if (s.kvLen < 0) s.kvLen = 0;
    s.qRow = D;
    s.qHead = (long long)Nq * D;
    s.qBase = (long long)b * Hq * s.qHead;
    s.kRow = D;
    s.kHead = (long long)Nk * D;
    s.kBase = (long long)b * Hkv * s.kHead;
    s.lseRow = 1;
    s.lseHead = Nq;
    s.lseBase = (long long)b * Hq * Nq;
    return s;
}

// KV cache [B, Hkv, capacity, D] holding len = cacheSeqlens[b] keys; the diagonal aligns against len.
A4J_HD A4jFlashSeq a4j_flash_seq_cache(int b, int Hq, int Hkv, int Nq, int capacity, int D, const int* cacheSeqlens) {
    A4jFlashSeq s = a4j_flash_seq(b, Hq, Hkv, Nq, capacity, D, nullptr, nullptr, nullptr, nullptr);
    int len = cacheSeqlens[b];
    if (len > capacity) len = capacity;
    if (len < 0) len = 0;
    s.Nk = len;
    s.kvLen = len;
    s.diagOff = len - Nq;
    return s;
}

// One query row's visible keys [jb, je), its diagonal and ALiBi slope (log2 units). Rows outside the sequence
// (i >= Nq: the tail of the last query tile) see nothing.
struct A4jFlashRow {
    int jb, je;
    int diag;
    float slope2;
};
A4J_HD A4jFlashRow a4j_flash_row(const A4jFlashSeq& s, int i, int causal, int windowLeft, int windowRight,
                                 float slope) {
    A4jFlashRow r;
    r.diag = i + s.diagOff;
    r.slope2 = slope * A4J_LOG2E;
    if (i < 0 || i >= s.Nq) {
        r.jb = 0;
        r.je = 0;
        return r;
    }
    a4j_visible_range_at(i, s.diagOff, s.Nk, s.kvLen, causal, windowLeft, windowRight, &r.jb, &r.je);
    return r;
}

// Score of key j in log2 units: (scale*q.k - slope*|diag - j|) * log2(e), -inf when j is not visible.
// scale2 = scale * log2(e). exp2 of differences of these equals exp of the natural-log scores.
A4J_HD float a4j_flash_score2(const A4jFlashRow& r, int j, float dot, float scale2) {
    if (j < r.jb || j >= r.je) return -INFINITY;
    int dist = r.diag - j;
    return dot * scale2 - r.slope2 * (float)(dist < 0 ? -dist : dist);
}

// The union [*kb, *ke) of the visible intervals of block rows r in [r0, r1) with query index i = r % nqMod (the
// forward passes a huge nqMod: i = r; decode packs g heads x Nq queries). Empty: kb == ke == 0. Tiles outside
// it are masked for every row and are never loaded.
A4J_HD void a4j_flash_union_keys(const A4jFlashSeq& s, int r0, int r1, int nqMod, int causal, int windowLeft,
                                 int windowRight, int* kb, int* ke) {
    int lo = 0x7fffffff, hi = 0;
    for (int r = r0; r < r1; r++) {
        A4jFlashRow row = a4j_flash_row(s, r % nqMod, causal, windowLeft, windowRight, 0.0f);
        if (row.jb >= row.je) continue;
        if (row.jb < lo) lo = row.jb;
        if (row.je > hi) hi = row.je;
    }
    if (lo >= hi) {
        lo = 0;
        hi = 0;
    }
    *kb = lo;
    *ke = hi;
}

// Number of key tiles of bc keys over [kb, ke); tile t covers [kb + t*bc, min(kb + (t+1)*bc, ke)).
A4J_HD int a4j_flash_num_tiles(int kb, int ke, int bc) { return ke > kb ? (ke - kb + bc - 1) / bc : 0; }

// Split s of numSplits over [kb, ke) in whole tiles of bc keys: [*s0, *s1); empty (s0 == s1) for splits past
// the end. The splits are disjoint and cover [kb, ke) exactly.
A4J_HD void a4j_flash_split_keys(int kb, int ke, int numSplits, int split, int bc, int* s0, int* s1) {
    long long tiles = a4j_flash_num_tiles(kb, ke, bc);
    long long per = (tiles + numSplits - 1) / numSplits;
    long long a = kb + (long long)split * per * bc;
    long long e = a + per * bc;
    if (e > ke) e = ke;
    if (a >= e) {
        *s0 = ke;
        *s1 = ke;
        return;
    }
    *s0 = (int)a;
    *s1 = (int)e;
}

// Online softmax, once per row and key tile, given the tile's maximum score mTile (log2 units, -inf when the
// tile has no visible key for the row): m becomes the running maximum, *alpha rescales the old l and O, and
// the return value is the shift for this tile's probabilities p = exp2(s - shift). While the row has seen no
// key, the shift is 0 (not -inf: exp2(-inf - -inf) would be NaN) and alpha is 0 (l and O are 0 anyway).
A4J_HD float a4j_flash_update(float& m, float mTile, float* alpha) {
    float mNew = fmaxf(m, mTile);
    float shift = mNew == -INFINITY ? 0.0f : mNew;
    *alpha = exp2f(m - shift);
    m = mNew;
    return shift;
}
A4J_HD float a4j_flash_p(float s2, float shift) { return exp2f(s2 - shift); }

// End of the row: O is multiplied by *inv; lse in natural log. A row that saw no key: O = 0, lse = -inf.
A4J_HD void a4j_flash_finish(float m, float l, float* inv, float* lse) {
    if (!(l > 0.0f) && l == l) {  // l == 0: no key (NaN falls through and propagates)
        *inv = 0.0f;
        *lse = -INFINITY;
        return;
    }
    *inv = 1.0f / l;
    *lse = (m + log2f(l)) * A4J_LN2;
}

// Log-sum-exp of S partial lse values (natural log) at lse[s * stride]; -inf when all are -inf.
A4J_HD float a4j_merge_lse(const float* lse, int S, long long stride) {
    float mx = -INFINITY;
    for (int s = 0; s < S; s++) mx = fmaxf(mx, lse[s * stride]);
    if (mx == -INFINITY) return -INFINITY;
    float sum = 0.0f;
    for (int s = 0; s < S; s++) {
        float ls = lse[s * stride];
        if (ls != -INFINITY) sum += expf(ls - mx);
    }
    return mx + logf(sum);
}
// Weight of a partial with lse ls in the merge whose total is lse; 0 exactly for an empty partial (the caller
// skips it so that its O, whatever it holds, never enters the sum).
A4J_HD float a4j_merge_weight(float ls, float lse) {
    return (ls == -INFINITY || lse == -INFINITY) ? 0.0f : expf(ls - lse);
}

// KV-cache append: element e of Knew/Vnew [B, Hkv, Nnew, D] goes to element *dst of the cache
// [B, Hkv, capacity, D]; false when its row is past newLens[b] or its position outside [0, capacity).
A4J_HD bool a4j_kv_append_dst(long long e, const int* cacheSeqlens, const int* newLens, int Hkv, int Nnew,
                              int capacity, int D, long long* dst) {
    const int d = (int)(e % D);
    const long long row = e / D;  // (b*Hkv + hkv)*Nnew + n
    const int n = (int)(row % Nnew);
    const long long bh = row / Nnew;
    const int b = (int)(bh / Hkv);
    if (n >= (newLens != nullptr ? newLens[b] : Nnew)) return false;
    const long long pos = (long long)cacheSeqlens[b] + n;
    if (pos < 0 || pos >= capacity) return false;  // the host validates; never write outside the cache
    *dst = (bh * capacity + pos) * D + d;
    return true;
}

// Version 2's fragment plumbing (mma.sync m16n8k16 and ldmatrix, as the PTX ISA lays them out), shared with the
// CPU model, which emulates ldmatrix / mma from the ISA's description and runs the warp through these:
// - element offsets (row stride LD) that lane passes to ldmatrix.x4 for the A operand (Qi rows of warp w,
//   k-step ks), for the B operand of S = Qi.Kj^T (keys of n-tile pair np, k-step ks; non-transposed) and for
//   the B operand of O = P.Vj (keys of k-step ks, head dims of n-tile pair np; transposed);
// - the (row, column) of accumulator element e (0..3) of lane in a 16 x 8 tile;
// - which register of the A fragment of P.V's k-step n/2 holds S n-tile n's pair for row half (0: g, 1: g+8).
A4J_HD int a4j_v2_ldm_a(int lane, int warp, int ks, int LD) {
    return (warp * 16 + (lane & 15)) * LD + ks * 16 + (lane >> 4) * 8;
}
A4J_HD int a4j_v2_ldm_k(int lane, int np, int ks, int LD) {
    int mi = lane >> 3;
    return (np * 16 + (mi >> 1) * 8 + (lane & 7)) * LD + ks * 16 + (mi & 1) * 8;
}
A4J_HD int a4j_v2_ldm_v(int lane, int np, int ks, int LD) {
    int mi = lane >> 3;
    return (ks * 16 + (mi & 1) * 8 + (lane & 7)) * LD + np * 16 + (mi >> 1) * 8;
}
A4J_HD int a4j_mma_c_row(int lane, int e) { return (lane >> 2) + (e >= 2 ? 8 : 0); }
A4J_HD int a4j_mma_c_col(int lane, int e) { return 2 * (lane & 3) + (e & 1); }
A4J_HD int a4j_v2_pa_reg(int n, int half) { return (n & 1) * 2 + half; }

#endif

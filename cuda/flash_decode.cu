/*
Decoding against a KV cache (FlashDecoding), the log-sum-exp merge of partial results, and the KV-cache append.

Kernels and versions:
  decode version 1: a4j_flash_decode_split_{f32,f16,bf16} + a4j_flash_decode_combine_{f32,f16,bf16}
      A few new queries (1..16) against a long cache [B, Hkv, capacity, D] holding cacheSeqlens[b] keys. The
      visible keys are split into numSplits ranges of whole 32-key tiles (grid x), so that a single query row
      still fills the GPU; each split runs the CUDA-core tile loop of flash_core.cuh over the g*Nq rows of one
      kv head (all query heads of the group and all new queries: one K/V tile load serves them all, 16 rows
      per block) and writes its normalised partial O (fp32) and lse to a workspace. The combine merges the
      splits of each row through their lse (flash_math.h), empty splits (lse -inf) contributing nothing.
  merge: a4j_lse_merge_{f32,f16,bf16}
      The public merge primitive: S partial (O_s, lse_s) over disjoint key shards -> (O, lse), one warp per row.
  cache: a4j_kv_append_{f32,f16,bf16}, a4j_kv_advance
      Copies new K/V rows into the cache at each batch's current length; advances the lengths.

Tests: native-tests/flash_test.cu; the split partition and the merge math (flash_math.h) run on the CPU in
native-tests/cpu_model.
*/
#include "common.cuh"
#include "flash_math.h"
#include "flash_core.cuh"

#define A4J_DECODE_PARAMS                                                                                  \
    const int *cacheSeqlens, int B, int Hq, int Hkv, int Nq, int capacity, int D, float scale, int causal, \
        int windowLeft, int windowRight, const float *alibiSlopes, int numSplits
#define A4J_DECODE_ARGS                                                                                 \
    cacheSeqlens, B, Hq, Hkv, Nq, capacity, D, scale, causal, windowLeft, windowRight, alibiSlopes, numSplits

template <typename T>
__device__ void a4j_flash_decode_split(const T* Q, const T* Kc, const T* Vc, float* partO, float* partLse,
                                       A4J_DECODE_PARAMS) {
    const int g = Hq / Hkv;
    const int groupRows = g * Nq;  // rows of one kv head: head hkv*g + r / Nq, query r % Nq
    const int rowGroups = (groupRows + A4J_FLASH_V1_BR - 1) / A4J_FLASH_V1_BR;
    const int split = blockIdx.x;
    const long long rows = (long long)B * Hq * Nq;
    const float scale2 = scale * A4J_LOG2E;
    // y strides over (kv head, row group) and z over the batch: the host caps both grid dims at 65535. Every
    // trip count is uniform per block, so the barriers inside the core are reached by all its threads.
    const int yBlocks = Hkv * rowGroups;
    for (int yb = blockIdx.y; yb < yBlocks; yb += gridDim.y) {
        const int hkv = yb / rowGroups;
        const int r0 = (yb % rowGroups) * A4J_FLASH_V1_BR;
        for (int b = blockIdx.z; b < B; b += gridDim.z) {
            A4jFlashSeq s = a4j_flash_seq_cache(b, Hq, Hkv, Nq, capacity, D, cacheSeqlens);
            int kb, ke, s0, s1;
            a4j_flash_union_keys(s, r0, min(r0 + A4J_FLASH_V1_BR, groupRows), Nq, causal, windowLeft, windowRight,
                                 &kb, &ke);
            a4j_flash_split_keys(kb, ke, numSplits, split, A4J_FLASH_V1_BC, &s0, &s1);
            a4j_flash_core_any<T, float>(Q, Kc, Vc, partO + split * rows * D, partLse + split * rows, s, D, scale2,
                                         causal, windowLeft, windowRight, alibiSlopes, hkv, r0, groupRows, Nq, hkv * g,
                                         s0, s1);
        }
    }
}

extern "C" __global__ void __launch_bounds__(A4J_FLASH_V1_THREADS)
a4j_flash_decode_split_f32(const float* Q, const float* Kcache, const float* Vcache, float* partO, float* partLse,
                           A4J_DECODE_PARAMS) {
    a4j_flash_decode_split<float>(Q, Kcache, Vcache, partO, partLse, A4J_DECODE_ARGS);
}
extern "C" __global__ void __launch_bounds__(A4J_FLASH_V1_THREADS)
a4j_flash_decode_split_f16(const __half* Q, const __half* Kcache, const __half* Vcache, float* partO, float* partLse,
                           A4J_DECODE_PARAMS) {
    a4j_flash_decode_split<__half>(Q, Kcache, Vcache, partO, partLse, A4J_DECODE_ARGS);
}
extern "C" __global__ void __launch_bounds__(A4J_FLASH_V1_THREADS)
a4j_flash_decode_split_bf16(const __nv_bfloat16* Q, const __nv_bfloat16* Kcache, const __nv_bfloat16* Vcache,
                            float* partO, float* partLse, A4J_DECODE_PARAMS) {
    a4j_flash_decode_split<__nv_bfloat16>(Q, Kcache, Vcache, partO, partLse, A4J_DECODE_ARGS);
}

// ---------------------------------------------------------------------------------------------------------
// merge: partO [S, rows, Dv] (TI), partLse [S, rows] -> O [rows, Dv] (TO), lse [rows]; one warp per row

template <typename TI, typename TO>
__device__ void a4j_lse_merge_rows(const TI* partO, const float* partLse, TO* O, float* lse, long long rows, int S,
                                   int Dv) {
    const int lane = threadIdx.x & 31;
    const long long warps = (long long)gridDim.x * (blockDim.x >> 5);
    for (long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); row < rows; row += warps) {
        const float L = a4j_merge_lse(partLse + row, S, rows);  // every lane: the same value
        for (int d = lane; d < Dv; d += 32) {
            float acc = 0.0f;
            for (int s = 0; s < S; s++) {
                float ls = partLse[s * rows + row];
                if (ls == -INFINITY) continue;  // an empty shard: its O is not read at all
                acc += a4j_merge_weight(ls, L) * a4j_to_float(partO[(s * rows + row) * Dv + d]);
            }
            O[row * Dv + d] = a4j_from_float<TO>(acc);
        }
        if (lse != nullptr && lane == 0) lse[row] = L;
    }
}

#define A4J_MERGE_PARAMS long long rows, int S, int Dv
extern "C" __global__ void a4j_lse_merge_f32(const float* partO, const float* partLse, float* O, float* lse,
                                             A4J_MERGE_PARAMS) {
    a4j_lse_merge_rows<float, float>(partO, partLse, O, lse, rows, S, Dv);
}
extern "C" __global__ void a4j_lse_merge_f16(const __half* partO, const float* partLse, __half* O, float* lse,
                                             A4J_MERGE_PARAMS) {
    a4j_lse_merge_rows<__half, __half>(partO, partLse, O, lse, rows, S, Dv);
}
extern "C" __global__ void a4j_lse_merge_bf16(const __nv_bfloat16* partO, const float* partLse, __nv_bfloat16* O,
                                              float* lse, A4J_MERGE_PARAMS) {
    a4j_lse_merge_rows<__nv_bfloat16, __nv_bfloat16>(partO, partLse, O, lse, rows, S, Dv);
}
extern "C" __global__ void a4j_flash_decode_combine_f32(const float* partO, const float* partLse, float* O,
                                                        float* lse, long long rows, int numSplits, int D) {
    a4j_lse_merge_rows<float, float>(partO, partLse, O, lse, rows, numSplits, D);
}
extern "C" __global__ void a4j_flash_decode_combine_f16(const float* partO, const float* partLse, __half* O,
                                                        float* lse, long long rows, int numSplits, int D) {
    a4j_lse_merge_rows<float, __half>(partO, partLse, O, lse, rows, numSplits, D);
}
extern "C" __global__ void a4j_flash_decode_combine_bf16(const float* partO, const float* partLse,
                                                         __nv_bfloat16* O, float* lse, long long rows,
                                                         int numSplits, int D) {
    a4j_lse_merge_rows<float, __nv_bfloat16>(partO, partLse, O, lse, rows, numSplits, D);
}

// ---------------------------------------------------------------------------------------------------------
// KV-cache append and advance

template <typename T>
__device__ void a4j_kv_append(const T* Knew, const T* Vnew, T* Kc, T* Vc, const int* cacheSeqlens,
                              const int* newLens, int B, int Hkv, int Nnew, int capacity, int D) {
    // index math: a4j_kv_append_dst (flash_math.h), checked by the CPU model
    const long long total = (long long)B * Hkv * Nnew * D;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (long long)gridDim.x * blockDim.x) {
        long long dst;
        if (!a4j_kv_append_dst(e, cacheSeqlens, newLens, Hkv, Nnew, capacity, D, &dst)) continue;
        Kc[dst] = Knew[e];
        Vc[dst] = Vnew[e];
    }
}

#define A4J_APPEND_PARAMS \
    const int *cacheSeqlens, const int *newLens, int B, int Hkv, int Nnew, int capacity, int D
#define A4J_APPEND_ARGS cacheSeqlens, newLens, B, Hkv, Nnew, capacity, D
extern "C" __global__ void a4j_kv_append_f32(const float* Knew, const float* Vnew, float* Kcache, float* Vcache,
                                             A4J_APPEND_PARAMS) {
    a4j_kv_append<float>(Knew, Vnew, Kcache, Vcache, A4J_APPEND_ARGS);
}
extern "C" __global__ void a4j_kv_append_f16(const __half* Knew, const __half* Vnew, __half* Kcache, __half* Vcache,
                                             A4J_APPEND_PARAMS) {
    a4j_kv_append<__half>(Knew, Vnew, Kcache, Vcache, A4J_APPEND_ARGS);
}
extern "C" __global__ void a4j_kv_append_bf16(const __nv_bfloat16* Knew, const __nv_bfloat16* Vnew,
                                              __nv_bfloat16* Kcache, __nv_bfloat16* Vcache, A4J_APPEND_PARAMS) {
    a4j_kv_append<__nv_bfloat16>(Knew, Vnew, Kcache, Vcache, A4J_APPEND_ARGS);
}

extern "C" __global__ void a4j_kv_advance(int* cacheSeqlens, const int* newLens, int B, int Nnew, int capacity) {
    int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= B) return;
    long long v = (long long)cacheSeqlens[b] + (newLens != nullptr ? newLens[b] : Nnew);
    cacheSeqlens[b] = (int)(v < capacity ? v : capacity);
}

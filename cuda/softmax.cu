/*
Fused masked softmax over attention score rows, writing the probabilities P and the log-sum-exp.

Input S: fp32 [rows = B*Hq*Nq, Nk], row r = ((b*Hq + h)*Nq + i), as the cuBLAS S = Q.K^T GEMM writes it.
Per key: s = scale*S + floatMask - slope_h*|i + Nk - Nq - j|, removed by key length, causal (either
alignment), window, boolean mask or s == -inf; then P = exp(s - max) / sum, lse = max + log(sum); a row with
no key left gives P = 0 and lse = -inf. The exact contract (parameters, launch rules) is cuda/README.md.

Kernels and versions:
  version 1: a4j_softmax_{f32,f16,bf16}
      One block per row (grid-stride over rows), any Nk. Pass 1: each thread keeps an online (max, sum) over
      its keys, float4 loads on the aligned body of the row; one block reduction merges them. Pass 2 re-reads
      the row (mostly from L2) and writes P with vector stores. Keys outside the visible interval of key
      length / causal / window are never read, only zero-filled.
  version 2: a4j_softmax_split_stats + a4j_softmax_split_finish_{f32,f16,bf16}
      A row split into chunks of chunkLen keys over gridDim.x blocks, for long rows and few rows (decoding with
      Nk = 128k and a handful of rows leaves version 1 with a few busy SMs). stats writes each chunk's
      (max, sum) to a workspace; finish merges the row's partials, writes P for its chunk and chunk 0 the lse.
  version 3: a4j_softmax_cached_{f32,f16,bf16}
      Version 1 with the visible part of the row first copied to dynamic shared memory (16-byte aligned as in
      global memory), so S is read from DRAM once: 1 read + 1 write instead of 2 reads (the second hopefully
      from L2) + 1 write. For rows whose cache fits the shared memory (Nk <= ~12k without an opt-in).
  The host picks version 1 (or 3 where its shared memory fits) when rows >= 2 * numSMs or Nk <= 8192, else
  version 2 (README).

Precision: the softmax is fp32 whatever P's type; expf (not __expf) keeps P within a few ulp.

Build: cuda/build.sh compiles all.cu (which includes this file) into the fatbin. Tests: native-tests/softmax_test.cu
(make -C native-tests; validates every version against a CPU reference, then benchmarks), and the host-only
native-tests/cpu_model runs the per-row code of softmax_row.h thread by thread on the CPU.
*/
#include "common.cuh"
#include "softmax_row.h"

#define A4J_MASK_PARAMS                                                                            \
    int B, int Hq, int Nq, int Nk, float scale, int causal, int windowLeft, int windowRight,       \
        const int *kvLengths, const int *diagonals, const unsigned char *boolMask, const float *floatMask, \
        long long maskStrideB, long long maskStrideH, long long maskStrideI, long long maskStrideJ, \
        const float *alibiSlopes
#define A4J_MASK_ARGS                                                                              \
    B, Hq, Nq, Nk, scale, causal, windowLeft, windowRight, kvLengths, diagonals, boolMask, floatMask, \
        maskStrideB, maskStrideH, maskStrideI, maskStrideJ, alibiSlopes

// Block-wide merge of every thread's (m, l); the result lands in every thread. scratch: blockDim.x/32 float2.
__device__ __forceinline__ void a4j_block_stats(float& m, float& l, float2* scratch) {
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nWarps = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) {
        float m2 = __shfl_xor_sync(A4J_FULL_MASK, m, o);
        float l2 = __shfl_xor_sync(A4J_FULL_MASK, l, o);
        a4j_stat_merge(m, l, m2, l2);
    }
    if (lane == 0) scratch[warp] = make_float2(m, l);
    __syncthreads();  // every warp's statistic is in shared memory before any thread merges them
    m = -INFINITY;
    l = 0.0f;
    for (int w = 0; w < nWarps; w++) {
        float2 p = scratch[w];
        a4j_stat_merge(m, l, p.x, p.y);  // same order in every thread: identical results block-wide
    }
    __syncthreads();  // all reads done before the next row's reduction overwrites the slots
}

// ---------------------------------------------------------------------------------------------------------
// version 1: one block per row

template <typename T>
__device__ void a4j_softmax_rows(const float* S, T* P, float* lse, A4J_MASK_PARAMS) {
    extern __shared__ float2 a4j_smem_softmax[];  // blockDim.x/32 (max, sum) slots
    long long rows = (long long)B * Hq * Nq;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        A4jRow r = a4j_make_row(S, row, A4J_MASK_ARGS);
        float m, l;
        a4j_thread_stats(r, 0, Nk, threadIdx.x, blockDim.x, m, l);
        a4j_block_stats(m, l, a4j_smem_softmax);
        a4j_write_p(r, P + row * (long long)Nk, 0, Nk, m, l, threadIdx.x, blockDim.x);
        if (lse != nullptr && threadIdx.x == 0) lse[row] = a4j_lse(m, l);
    }
}

extern "C" __global__ void a4j_softmax_f32(const float* S, float* P, float* lse, A4J_MASK_PARAMS) {
    a4j_softmax_rows<float>(S, P, lse, A4J_MASK_ARGS);
}
extern "C" __global__ void a4j_softmax_f16(const float* S, __half* P, float* lse, A4J_MASK_PARAMS) {
    a4j_softmax_rows<__half>(S, P, lse, A4J_MASK_ARGS);
}
extern "C" __global__ void a4j_softmax_bf16(const float* S, __nv_bfloat16* P, float* lse, A4J_MASK_PARAMS) {
    a4j_softmax_rows<__nv_bfloat16>(S, P, lse, A4J_MASK_ARGS);
}

// ---------------------------------------------------------------------------------------------------------
// version 3: version 1 with the row's visible keys cached in shared memory (one global read instead of two)

template <typename T>
__device__ void a4j_softmax_rows_cached(const float* S, T* P, float* lse, A4J_MASK_PARAMS) {
    // One buffer: blockDim.x/32 (max, sum) slots, padded to 16 bytes, then the row cache (Nk + 3 floats).
    extern __shared__ float4 a4j_smem_cached[];
    int nWarps = blockDim.x >> 5;
    float2* scratch = reinterpret_cast<float2*>(a4j_smem_cached);
    float* cache = reinterpret_cast<float*>(a4j_smem_cached + (nWarps + 1) / 2);
    long long rows = (long long)B * Hq * Nq;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        A4jRow g = a4j_make_row(S, row, A4J_MASK_ARGS);
        A4jRow r = a4j_cache_row(g, cache, threadIdx.x, blockDim.x);
        __syncthreads();  // the cached row is complete before threads read keys another thread copied
        float m, l;
        a4j_thread_stats(r, 0, Nk, threadIdx.x, blockDim.x, m, l);
        a4j_block_stats(m, l, scratch);
        a4j_write_p(r, P + row * (long long)Nk, 0, Nk, m, l, threadIdx.x, blockDim.x);
        if (lse != nullptr && threadIdx.x == 0) lse[row] = a4j_lse(m, l);
        __syncthreads();  // every thread is done reading the cache before the next row overwrites it
    }
}

extern "C" __global__ void a4j_softmax_cached_f32(const float* S, float* P, float* lse, A4J_MASK_PARAMS) {
    a4j_softmax_rows_cached<float>(S, P, lse, A4J_MASK_ARGS);
}
extern "C" __global__ void a4j_softmax_cached_f16(const float* S, __half* P, float* lse, A4J_MASK_PARAMS) {
    a4j_softmax_rows_cached<__half>(S, P, lse, A4J_MASK_ARGS);
}
extern "C" __global__ void a4j_softmax_cached_bf16(const float* S, __nv_bfloat16* P, float* lse, A4J_MASK_PARAMS) {
    a4j_softmax_rows_cached<__nv_bfloat16>(S, P, lse, A4J_MASK_ARGS);
}

// ---------------------------------------------------------------------------------------------------------
// version 2: a row split into chunks over gridDim.x; partial = float [rows, numChunks, 2]

extern "C" __global__ void a4j_softmax_split_stats(const float* S, float* partial, int chunkLen,
                                                   A4J_MASK_PARAMS) {
    extern __shared__ float2 a4j_smem_split[];  // blockDim.x/32 (max, sum) slots
    long long rows = (long long)B * Hq * Nq;
    int numChunks = a4j_num_chunks(Nk, chunkLen);
    int chunk = blockIdx.x;
    int c0, c1;
    if (chunk >= numChunks) return;  // a grid wider than the chunks (uniform per block, before any barrier)
    a4j_chunk_range(Nk, chunkLen, chunk, &c0, &c1);
    for (long long row = blockIdx.y; row < rows; row += gridDim.y) {
        A4jRow r = a4j_make_row(S, row, A4J_MASK_ARGS);
        float m, l;
        a4j_thread_stats(r, c0, c1, threadIdx.x, blockDim.x, m, l);
        a4j_block_stats(m, l, a4j_smem_split);
        if (threadIdx.x == 0) {
            float* out = partial + 2 * (row * numChunks + chunk);
            out[0] = m;
            out[1] = l;
        }
    }
}

template <typename T>
__device__ void a4j_softmax_split_finish(const float* S, T* P, float* lse, const float* partial, int chunkLen,
                                         A4J_MASK_PARAMS) {
    extern __shared__ float2 a4j_smem_finish[];  // blockDim.x/32 (max, sum) slots
    long long rows = (long long)B * Hq * Nq;
    int numChunks = a4j_num_chunks(Nk, chunkLen);
    int chunk = blockIdx.x;
    int c0, c1;
    if (chunk >= numChunks) return;  // a grid wider than the chunks (uniform per block, before any barrier)
    a4j_chunk_range(Nk, chunkLen, chunk, &c0, &c1);
    for (long long row = blockIdx.y; row < rows; row += gridDim.y) {
        // Every chunk of the row merges all partials in the same order, so all agree on (max, sum) bitwise.
        const float* part = partial + 2 * row * numChunks;
        float m = -INFINITY, l = 0.0f;
        for (int c = threadIdx.x; c < numChunks; c += blockDim.x) a4j_stat_merge(m, l, part[2 * c], part[2 * c + 1]);
        a4j_block_stats(m, l, a4j_smem_finish);
        A4jRow r = a4j_make_row(S, row, A4J_MASK_ARGS);
        a4j_write_p(r, P + row * (long long)Nk, c0, c1, m, l, threadIdx.x, blockDim.x);
        if (lse != nullptr && chunk == 0 && threadIdx.x == 0) lse[row] = a4j_lse(m, l);
    }
}

extern "C" __global__ void a4j_softmax_split_finish_f32(const float* S, float* P, float* lse, const float* partial,
                                                        int chunkLen, A4J_MASK_PARAMS) {
    a4j_softmax_split_finish<float>(S, P, lse, partial, chunkLen, A4J_MASK_ARGS);
}
extern "C" __global__ void a4j_softmax_split_finish_f16(const float* S, __half* P, float* lse, const float* partial,
                                                        int chunkLen, A4J_MASK_PARAMS) {
    a4j_softmax_split_finish<__half>(S, P, lse, partial, chunkLen, A4J_MASK_ARGS);
}
extern "C" __global__ void a4j_softmax_split_finish_bf16(const float* S, __nv_bfloat16* P, float* lse,
                                                         const float* partial, int chunkLen, A4J_MASK_PARAMS) {
    a4j_softmax_split_finish<__nv_bfloat16>(S, P, lse, partial, chunkLen, A4J_MASK_ARGS);
}

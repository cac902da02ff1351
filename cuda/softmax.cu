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
  The host picks version 1 when rows >= 2 * numSMs or Nk <= 8192, else version 2 (README).

Precision: the softmax is fp32 whatever P's type; expf (not __expf) keeps P within a few ulp.

Build: cuda/build.sh compiles all.cu (which includes this file) into the fatbin. Tests: native-tests/softmax_test.cu
(make -C native-tests; validates every version against a CPU reference, then benchmarks), and the host-only
native-tests/cpu_model checks the shared arithmetic in softmax_math.h.
*/
#include "common.cuh"
#include "softmax_math.h"

// Everything about one row that the per-key code needs, resolved once per row.
struct A4jRow {
    const float* s;            // the row of S
    const unsigned char* bm;   // boolean mask at (b, h, i, 0), or NULL
    const float* fm;           // float mask at (b, h, i, 0), or NULL
    long long msJ;             // mask stride along keys
    float scale;
    float slope;               // ALiBi slope of head h, 0 without ALiBi
    int diag;                  // i + Nk - Nq
    int jBegin, jEnd;          // visible interval from key length, causal, window
};

#define A4J_MASK_PARAMS                                                                            \
    int B, int Hq, int Nq, int Nk, float scale, int causal, int windowLeft, int windowRight,       \
        const int *kvLengths, const unsigned char *boolMask, const float *floatMask,               \
        long long maskStrideB, long long maskStrideH, long long maskStrideI, long long maskStrideJ, \
        const float *alibiSlopes
#define A4J_MASK_ARGS                                                                              \
    B, Hq, Nq, Nk, scale, causal, windowLeft, windowRight, kvLengths, boolMask, floatMask,         \
        maskStrideB, maskStrideH, maskStrideI, maskStrideJ, alibiSlopes

__device__ __forceinline__ A4jRow a4j_make_row(const float* S, long long row, A4J_MASK_PARAMS) {
    (void)B;
    A4jRow r;
    int i = (int)(row % Nq);
    long long bh = row / Nq;
    int h = (int)(bh % Hq);
    int b = (int)(bh / Hq);
    r.s = S + row * (long long)Nk;
    long long mOff = b * maskStrideB + h * maskStrideH + i * maskStrideI;
    r.bm = boolMask ? boolMask + mOff : nullptr;
    r.fm = floatMask ? floatMask + mOff : nullptr;
    r.msJ = maskStrideJ;
    r.scale = scale;
    r.slope = alibiSlopes ? alibiSlopes[h] : 0.0f;
    r.diag = i + Nk - Nq;
    int kvLen = kvLengths ? kvLengths[b] : Nk;
    a4j_visible_range(i, Nq, Nk, kvLen, causal, windowLeft, windowRight, &r.jBegin, &r.jEnd);
    return r;
}

__device__ __forceinline__ float a4j_key_score(const A4jRow& r, int j, float x) {
    bool keep = r.bm ? r.bm[j * r.msJ] != 0 : true;
    float fmask = r.fm ? r.fm[j * r.msJ] : 0.0f;
    return a4j_score(x, r.scale, keep, fmask, r.slope, r.diag, j);
}

// Splits [a, e) into a scalar head, a float4-aligned body of whole vectors and a scalar tail.
struct A4jSpan {
    int a, body, tail, e;  // head [a, body), vectors [body, tail), tail [tail, e)
};
__device__ __forceinline__ A4jSpan a4j_span(const float* s, int a, int e) {
    A4jSpan sp;
    sp.a = a;
    sp.e = e;
    int mis = (int)((reinterpret_cast<uintptr_t>(s + a) >> 2) & 3);  // floats past the last 16-byte boundary
    int body = a + ((4 - mis) & 3);
    if (body > e) body = e;
    sp.body = body;
    sp.tail = body + ((e - body) & ~3);
    return sp;
}

// This thread's (max, sum) over the visible keys of the row that fall in [c0, c1).
__device__ __forceinline__ void a4j_thread_stats(const A4jRow& r, int c0, int c1, float& m, float& l) {
    int a = max(c0, r.jBegin), e = min(c1, r.jEnd);
    m = -INFINITY;
    l = 0.0f;
    if (a >= e) return;
    A4jSpan sp = a4j_span(r.s, a, e);
    int t = threadIdx.x, nt = blockDim.x;
    for (int j = sp.a + t; j < sp.body; j += nt) a4j_stat_add(m, l, a4j_key_score(r, j, r.s[j]));
    for (int j = sp.tail + t; j < sp.e; j += nt) a4j_stat_add(m, l, a4j_key_score(r, j, r.s[j]));
    for (int j = sp.body + 4 * t; j < sp.tail; j += 4 * nt) {
        float4 v = __ldg(reinterpret_cast<const float4*>(r.s + j));
        a4j_stat_add(m, l, a4j_key_score(r, j, v.x));
        a4j_stat_add(m, l, a4j_key_score(r, j + 1, v.y));
        a4j_stat_add(m, l, a4j_key_score(r, j + 2, v.z));
        a4j_stat_add(m, l, a4j_key_score(r, j + 3, v.w));
    }
}

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

// Writes P over [c0, c1) of the row given its final statistic (mx, sum).
template <typename T>
__device__ __forceinline__ void a4j_write_p(const A4jRow& r, T* p, int c0, int c1, float mx, float sum) {
    // An empty row (sum == 0, mx == -inf) writes zeros: every visible score is -inf there, and
    // exp(-inf - 0) * 0 = 0 avoids the NaN of -inf - -inf.
    bool empty = sum == 0.0f;
    float shift = empty ? 0.0f : mx;
    float inv = empty ? 0.0f : 1.0f / sum;
    int t = threadIdx.x, nt = blockDim.x;
    int a = max(c0, r.jBegin), e = min(c1, r.jEnd);
    if (a >= e) {
        a = c0;  // nothing visible in this range: all zeros
        e = c0;
    }
    T zero = a4j_from_float<T>(0.0f);
    for (int j = c0 + t; j < a; j += nt) p[j] = zero;
    for (int j = e + t; j < c1; j += nt) p[j] = zero;
    if (a >= e) return;
    A4jSpan sp = a4j_span(r.s, a, e);
    for (int j = sp.a + t; j < sp.body; j += nt) {
        p[j] = a4j_from_float<T>(expf(a4j_key_score(r, j, r.s[j]) - shift) * inv);
    }
    for (int j = sp.tail + t; j < sp.e; j += nt) {
        p[j] = a4j_from_float<T>(expf(a4j_key_score(r, j, r.s[j]) - shift) * inv);
    }
    // P's row need not share S's alignment (fp16 rows, offset buffers): fall back to scalar stores then.
    bool vecStore = a4j_aligned(p + sp.body, 4 * sizeof(T));
    for (int j = sp.body + 4 * t; j < sp.tail; j += 4 * nt) {
        float4 v = *reinterpret_cast<const float4*>(r.s + j);  // not __ldg: P may alias S in place (f32)
        float p0 = expf(a4j_key_score(r, j, v.x) - shift) * inv;
        float p1 = expf(a4j_key_score(r, j + 1, v.y) - shift) * inv;
        float p2 = expf(a4j_key_score(r, j + 2, v.z) - shift) * inv;
        float p3 = expf(a4j_key_score(r, j + 3, v.w) - shift) * inv;
        if (vecStore) {
            a4j_store4(p + j, p0, p1, p2, p3);
        } else {
            p[j] = a4j_from_float<T>(p0);
            p[j + 1] = a4j_from_float<T>(p1);
            p[j + 2] = a4j_from_float<T>(p2);
            p[j + 3] = a4j_from_float<T>(p3);
        }
    }
}

__device__ __forceinline__ float a4j_lse(float mx, float sum) {
    return sum == 0.0f ? -INFINITY : mx + logf(sum);
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
        a4j_thread_stats(r, 0, Nk, m, l);
        a4j_block_stats(m, l, a4j_smem_softmax);
        a4j_write_p(r, P + row * (long long)Nk, 0, Nk, m, l);
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
// version 2: a row split into chunks over gridDim.x; partial = float [rows, numChunks, 2]

extern "C" __global__ void a4j_softmax_split_stats(const float* S, float* partial, int chunkLen,
                                                   A4J_MASK_PARAMS) {
    extern __shared__ float2 a4j_smem_split[];  // blockDim.x/32 (max, sum) slots
    long long rows = (long long)B * Hq * Nq;
    int numChunks = (Nk + chunkLen - 1) / chunkLen;
    int chunk = blockIdx.x;
    int c0 = chunk * chunkLen, c1 = min(Nk, c0 + chunkLen);
    for (long long row = blockIdx.y; row < rows; row += gridDim.y) {
        A4jRow r = a4j_make_row(S, row, A4J_MASK_ARGS);
        float m, l;
        a4j_thread_stats(r, c0, c1, m, l);
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
    int numChunks = (Nk + chunkLen - 1) / chunkLen;
    int chunk = blockIdx.x;
    int c0 = chunk * chunkLen, c1 = min(Nk, c0 + chunkLen);
    for (long long row = blockIdx.y; row < rows; row += gridDim.y) {
        // Every chunk of the row merges all partials in the same order, so all agree on (max, sum) bitwise.
        const float* part = partial + 2 * row * numChunks;
        float m = -INFINITY, l = 0.0f;
        for (int c = threadIdx.x; c < numChunks; c += blockDim.x) a4j_stat_merge(m, l, part[2 * c], part[2 * c + 1]);
        a4j_block_stats(m, l, a4j_smem_finish);
        A4jRow r = a4j_make_row(S, row, A4J_MASK_ARGS);
        a4j_write_p(r, P + row * (long long)Nk, c0, c1, m, l);
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

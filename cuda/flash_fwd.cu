/*
Fused attention forward: O = softmax(scale * Q.K^T + bias) V tile by tile with an online softmax (the Nq x Nk
scores are never written), plus the second pass that recomputes the weights from the forward's log-sum-exp.
Masks: key lengths, causal (bottom-right / top-left), window, ALiBi, exactly as the softmax ABI; grouped and
multi-query heads (query head h reads kv head h / (Hq/Hkv)); dense [B,H,N,D] or varlen token-major [total,H,D]
with cumulative offsets (the FLASHARGS of cuda/README.md).

Kernels and versions:
  version 1: a4j_flash_fwd_v1_{f32,f16,bf16}
      CUDA cores, fp32 math, any D 1..256 (flash_core.cuh): 4 warps, Br = 16 rows, Bc = 32 keys, one key per
      lane for the scores and one head-dim slice per lane for O. The correctness baseline, and the path for
      sm_75 and for fp32.
  version 2: a4j_flash_fwd_v2_{f16,bf16}_d{32,64,96,128,160,192,224,256}
      Tensor cores: mma.sync m16n8k16 (fp32 accumulate), ldmatrix fragments from shared memory, cp.async
      prefetch of Kj+1 / Vj+1 while the current tile is in use. 4 warps x 16 rows = Br 64; Bc 64 (d <= 128) or
      32; the head dim padded to the bucket DP with zeros. The probabilities stay in registers between the two
      products (the accumulator layout of S is the A-operand layout of P.V). sm_80+ (traps below).
  version 3: reserved for a Hopper wgmma/TMA kernel (not written yet).
  weights:   a4j_flash_weights_{f32,f16,bf16}
      P = exp(scale*q.k + bias - lse) in 32 x 32 tiles on CUDA cores, masked entries 0.

Tests: native-tests/flash_test.cu (validate every version against a CPU reference, then benchmark); the tile
math (flash_math.h) runs on the CPU in native-tests/cpu_model.
*/
#include "common.cuh"
#include "flash_math.h"
#include "flash_core.cuh"

#define A4J_FLASH_PARAMS                                                                                 \
    int B, int Hq, int Hkv, int Nq, int Nk, int D, float scale, int causal, int windowLeft, int windowRight, \
        const int *kvLengths, const int *diagonals, const float *alibiSlopes, const int *cuSeqlensQ,           \
        const int *cuSeqlensK
#define A4J_FLASH_ARGS                                                                                 \
    B, Hq, Hkv, Nq, Nk, D, scale, causal, windowLeft, windowRight, kvLengths, diagonals, alibiSlopes,  \
        cuSeqlensQ, cuSeqlensK

// ---------------------------------------------------------------------------------------------------------
// version 1

template <typename T>
__device__ void a4j_flash_fwd_v1(const T* Q, const T* K, const T* V, T* O, float* lse, A4J_FLASH_PARAMS) {
    const int qt = gridDim.x - 1 - blockIdx.x;  // causal: the longest rows first
    const int h = blockIdx.y;
    const int hkv = h / (Hq / Hkv);
    const float scale2 = scale * A4J_LOG2E;
    for (int b = blockIdx.z; b < B; b += gridDim.z) {
        A4jFlashSeq s = a4j_flash_seq(b, Hq, Hkv, Nq, Nk, D, kvLengths, diagonals, cuSeqlensQ, cuSeqlensK);
        const int i0 = qt * A4J_FLASH_V1_BR;
        if (i0 >= s.Nq) continue;  // uniform over the block
        int kb, ke;
        a4j_flash_union_keys(s, i0, min(i0 + A4J_FLASH_V1_BR, s.Nq), 0x7fffffff, causal, windowLeft, windowRight,
                             &kb, &ke);
        a4j_flash_core_any<T, T>(Q, K, V, O, lse, s, D, scale2, causal, windowLeft, windowRight, alibiSlopes, hkv, i0,
                             s.Nq, 0x7fffffff, h, kb, ke);
    }
}

extern "C" __global__ void __launch_bounds__(A4J_FLASH_V1_THREADS)
a4j_flash_fwd_v1_f32(const float* Q, const float* K, const float* V, float* O, float* lse, A4J_FLASH_PARAMS) {
    a4j_flash_fwd_v1<float>(Q, K, V, O, lse, A4J_FLASH_ARGS);
}
extern "C" __global__ void __launch_bounds__(A4J_FLASH_V1_THREADS)
a4j_flash_fwd_v1_f16(const __half* Q, const __half* K, const __half* V, __half* O, float* lse, A4J_FLASH_PARAMS) {
    a4j_flash_fwd_v1<__half>(Q, K, V, O, lse, A4J_FLASH_ARGS);
}
extern "C" __global__ void __launch_bounds__(A4J_FLASH_V1_THREADS)
a4j_flash_fwd_v1_bf16(const __nv_bfloat16* Q, const __nv_bfloat16* K, const __nv_bfloat16* V, __nv_bfloat16* O,
                      float* lse, A4J_FLASH_PARAMS) {
    a4j_flash_fwd_v1<__nv_bfloat16>(Q, K, V, O, lse, A4J_FLASH_ARGS);
}

// ---------------------------------------------------------------------------------------------------------
// version 2: tensor cores (sm_80+)

__device__ __forceinline__ uint32_t a4j_smem_addr(const void* p) {
    return (uint32_t)__cvta_generic_to_shared(p);
}

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
// 16-byte asynchronous copy global -> shared; bytes = 0 zero-fills the destination without reading src.
__device__ __forceinline__ void a4j_cp_async16(void* dst, const void* src, int bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(a4j_smem_addr(dst)), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void a4j_cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void a4j_cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ void a4j_ldmatrix_x4(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3,
                                                const void* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(a4j_smem_addr(p)));
}
__device__ __forceinline__ void a4j_ldmatrix_x4_trans(uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3,
                                                      const void* p) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(a4j_smem_addr(p)));
}

// D(16x8, fp32) += A(16x16, row) * B(16x8, col).
template <typename T>
__device__ __forceinline__ void a4j_mma16816(float* c, const uint32_t* a, uint32_t b0, uint32_t b1);
template <>
__device__ __forceinline__ void a4j_mma16816<__half>(float* c, const uint32_t* a, uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void a4j_mma16816<__nv_bfloat16>(float* c, const uint32_t* a, uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two fp32 values rounded to T and packed as the low (x) and high (y) halves of one register.
template <typename T> __device__ __forceinline__ uint32_t a4j_pack2(float x, float y);
template <> __device__ __forceinline__ uint32_t a4j_pack2<__half>(float x, float y) {
    __half2 v = __floats2half2_rn(x, y);
    return *reinterpret_cast<uint32_t*>(&v);
}
template <> __device__ __forceinline__ uint32_t a4j_pack2<__nv_bfloat16>(float x, float y) {
    __nv_bfloat162 v = __floats2bfloat162_rn(x, y);
    return *reinterpret_cast<uint32_t*>(&v);
}

// ROWS rows of DP elements into shared memory (row stride LD) from src rows r0.. (stride rowStride): rows past
// nValid and columns past D are zeros. vec: 16-byte cp.async (D % 8 == 0, 16-byte aligned src); otherwise
// element by element (synchronous).
template <typename T, int DP, int ROWS>
__device__ __forceinline__ void a4j_v2_load_rows(T* dst, const T* src, long long rowStride, int r0, int nValid,
                                                 int D, bool vec) {
    constexpr int LD = DP + 8;
    if (vec) {
        constexpr int CPR = DP / 8;  // 16-byte chunks per row
        for (int c = threadIdx.x; c < ROWS * CPR; c += A4J_FLASH_V2_THREADS) {
            int row = c / CPR, col = (c % CPR) * 8;
            bool ok = row < nValid && col < D;
            const T* g = ok ? src + (long long)(r0 + row) * rowStride + col : src;
            a4j_cp_async16(dst + row * LD + col, g, ok ? 16 : 0);
        }
    } else {
        T zero = a4j_from_float<T>(0.0f);
        for (int e = threadIdx.x; e < ROWS * DP; e += A4J_FLASH_V2_THREADS) {
            int row = e / DP, col = e % DP;
            dst[row * LD + col] = (row < nValid && col < D) ? src[(long long)(r0 + row) * rowStride + col] : zero;
        }
    }
}
#endif

template <typename T, int DP>
__device__ void a4j_flash_fwd_v2(const T* Q, const T* K, const T* V, T* O, float* lse, A4J_FLASH_PARAMS) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
    __trap();  // mma.sync m16n8k16 and cp.async need sm_80: the host runs version 1 on older GPUs
#else
    constexpr int BR = A4J_FLASH_V2_BR;
    constexpr int BC = DP <= 128 ? 64 : 32;
    constexpr int LD = DP + 8;       // shared row stride in elements: 16-byte pad keeps ldmatrix conflict-free
    constexpr int NT_S = BC / 8;     // n-tiles (8 keys) of a warp's S
    constexpr int NT_O = DP / 8;     // n-tiles (8 dims) of a warp's O
    constexpr int KS_QK = DP / 16;   // k-steps of Q.K^T
    constexpr int KS_PV = BC / 16;   // k-steps of P.V
    extern __shared__ __align__(16) unsigned char a4j_smem_flash_v2[];
    T* sQ = reinterpret_cast<T*>(a4j_smem_flash_v2);
    T* sK = sQ + BR * LD;
    T* sV = sK + BC * LD;

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int tq = lane & 3;  // lanes tq == 0 of each quad write the lse of the quad's rows
    const int qt = gridDim.x - 1 - blockIdx.x;
    const int h = blockIdx.y;
    const int hkv = h / (Hq / Hkv);
    const float scale2 = scale * A4J_LOG2E;
    const float slope = alibiSlopes != nullptr ? alibiSlopes[h] : 0.0f;
    const bool vec = (D % 8) == 0 && a4j_aligned(Q, 16) && a4j_aligned(K, 16) && a4j_aligned(V, 16);

    for (int b = blockIdx.z; b < B; b += gridDim.z) {
        A4jFlashSeq s = a4j_flash_seq(b, Hq, Hkv, Nq, Nk, D, kvLengths, diagonals, cuSeqlensQ, cuSeqlensK);
        const int i0 = qt * BR;
        if (i0 >= s.Nq) continue;  // uniform over the block
        int kb, ke;
        a4j_flash_union_keys(s, i0, min(i0 + BR, s.Nq), 0x7fffffff, causal, windowLeft, windowRight, &kb, &ke);
        const T* Qh = Q + s.qBase + (long long)h * s.qHead;
        const T* Kh = K + s.kBase + (long long)hkv * s.kHead;
        const T* Vh = V + s.kBase + (long long)hkv * s.kHead;
        const int nTiles = a4j_flash_num_tiles(kb, ke, BC);

        __syncthreads();  // the previous problem of this block is done with every buffer
        // cp.async groups: {Qi, K0}, {V0}, then per tile {Kj+1}, {Vj+1} (empty groups past the end)
        a4j_v2_load_rows<T, DP, BR>(sQ, Qh, s.qRow, i0, s.Nq - i0, D, vec);
        if (nTiles > 0) a4j_v2_load_rows<T, DP, BC>(sK, Kh, s.kRow, kb, min(BC, ke - kb), D, vec);
        a4j_cp_async_commit();
        if (nTiles > 0) a4j_v2_load_rows<T, DP, BC>(sV, Vh, s.kRow, kb, min(BC, ke - kb), D, vec);
        a4j_cp_async_commit();

        // This thread's two rows (g and g + 8 of the warp's 16).
        const int iA = i0 + warp * 16 + a4j_mma_c_row(lane, 0), iB = i0 + warp * 16 + a4j_mma_c_row(lane, 2);
        A4jFlashRow rowA = a4j_flash_row(s, iA, causal, windowLeft, windowRight, slope);
        A4jFlashRow rowB = a4j_flash_row(s, iB, causal, windowLeft, windowRight, slope);
        float mA = -INFINITY, mB = -INFINITY, lA = 0.0f, lB = 0.0f;
        float o[NT_O][4];
#pragma unroll
        for (int n = 0; n < NT_O; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;

        for (int t = 0; t < nTiles; t++) {
            const int j0 = kb + t * BC;
            a4j_cp_async_wait<1>();  // all but the newest group (Vj) have landed: Qi and Kj
            __syncthreads();         // ... and every thread's copies of them are visible to all warps
            float sc[NT_S][4];
#pragma unroll
            for (int n = 0; n < NT_S; n++) sc[n][0] = sc[n][1] = sc[n][2] = sc[n][3] = 0.0f;
#pragma unroll
            for (int ks = 0; ks < KS_QK; ks++) {
                uint32_t a[4];
                a4j_ldmatrix_x4(a[0], a[1], a[2], a[3], sQ + a4j_v2_ldm_a(lane, warp, ks, LD));
#pragma unroll
                for (int np = 0; np < NT_S / 2; np++) {
                    uint32_t b0, b1, b2, b3;  // b0, b1: n-tile 2np; b2, b3: n-tile 2np + 1
                    a4j_ldmatrix_x4(b0, b1, b2, b3, sK + a4j_v2_ldm_k(lane, np, ks, LD));
                    a4j_mma16816<T>(sc[2 * np], a, b0, b1);
                    a4j_mma16816<T>(sc[2 * np + 1], a, b2, b3);
                }
            }
            __syncthreads();  // every warp is done reading Kj before the prefetch of Kj+1 overwrites it
            if (t + 1 < nTiles) {
                int jn = j0 + BC;
                a4j_v2_load_rows<T, DP, BC>(sK, Kh, s.kRow, jn, min(BC, ke - jn), D, vec);
            }
            a4j_cp_async_commit();

            // Masks, online softmax (flash_math.h), P packed into A fragments of the P.V product.
            // A tile that every row of the warp sees whole, without ALiBi, needs only the scale: the same values
            // a4j_flash_score2 gives there (dot * scale2 - 0), without its per-element tests.
            const bool plain = slope == 0.0f &&
                               __all_sync(A4J_FULL_MASK, rowA.jb <= j0 && rowA.je >= j0 + BC && rowB.jb <= j0 &&
                                                             rowB.je >= j0 + BC);
            float mtA = -INFINITY, mtB = -INFINITY;
#pragma unroll
            for (int n = 0; n < NT_S; n++) {
                if (plain) {
#pragma unroll
                    for (int e = 0; e < 4; e++) sc[n][e] *= scale2;
                    mtA = fmaxf(mtA, fmaxf(sc[n][0], sc[n][1]));
                    mtB = fmaxf(mtB, fmaxf(sc[n][2], sc[n][3]));
                    continue;
                }
                // element e: row g (e < 2: rowA) or g + 8 (rowB), key j0 + n*8 + a4j_mma_c_col(lane, e)
                const int j = j0 + n * 8 + a4j_mma_c_col(lane, 0);
                sc[n][0] = a4j_flash_score2(rowA, j, sc[n][0], scale2);
                sc[n][1] = a4j_flash_score2(rowA, j + 1, sc[n][1], scale2);
                sc[n][2] = a4j_flash_score2(rowB, j, sc[n][2], scale2);
                sc[n][3] = a4j_flash_score2(rowB, j + 1, sc[n][3], scale2);
                mtA = fmaxf(mtA, fmaxf(sc[n][0], sc[n][1]));
                mtB = fmaxf(mtB, fmaxf(sc[n][2], sc[n][3]));
            }
            // a row's 2 * NT_S scores of this thread + the 3 other lanes of its quad = the tile row
            mtA = fmaxf(mtA, __shfl_xor_sync(A4J_FULL_MASK, mtA, 1));
            mtA = fmaxf(mtA, __shfl_xor_sync(A4J_FULL_MASK, mtA, 2));
            mtB = fmaxf(mtB, __shfl_xor_sync(A4J_FULL_MASK, mtB, 1));
            mtB = fmaxf(mtB, __shfl_xor_sync(A4J_FULL_MASK, mtB, 2));
            float alphaA, alphaB;
            float shiftA = a4j_flash_update(mA, mtA, &alphaA);
            float shiftB = a4j_flash_update(mB, mtB, &alphaB);
            float sumA = 0.0f, sumB = 0.0f;
            uint32_t pa[KS_PV][4];
#pragma unroll
            for (int n = 0; n < NT_S; n++) {
                float p0 = a4j_flash_p(sc[n][0], shiftA), p1 = a4j_flash_p(sc[n][1], shiftA);
                float p2 = a4j_flash_p(sc[n][2], shiftB), p3 = a4j_flash_p(sc[n][3], shiftB);
                sumA += p0 + p1;
                sumB += p2 + p3;
                // S's n-tiles 2k and 2k+1 form the A fragment of k-step k: {rowA lo, rowB lo, rowA hi, rowB hi}
                pa[n >> 1][a4j_v2_pa_reg(n, 0)] = a4j_pack2<T>(p0, p1);
                pa[n >> 1][a4j_v2_pa_reg(n, 1)] = a4j_pack2<T>(p2, p3);
            }
            sumA += __shfl_xor_sync(A4J_FULL_MASK, sumA, 1);
            sumA += __shfl_xor_sync(A4J_FULL_MASK, sumA, 2);
            sumB += __shfl_xor_sync(A4J_FULL_MASK, sumB, 1);
            sumB += __shfl_xor_sync(A4J_FULL_MASK, sumB, 2);
            lA = alphaA * lA + sumA;
            lB = alphaB * lB + sumB;
#pragma unroll
            for (int n = 0; n < NT_O; n++) {
                o[n][0] *= alphaA;
                o[n][1] *= alphaA;
                o[n][2] *= alphaB;
                o[n][3] *= alphaB;
            }

            a4j_cp_async_wait<1>();  // all but the newest group (Kj+1) have landed: Vj
            __syncthreads();         // ... and every thread's copies of Vj are visible to all warps
#pragma unroll
            for (int ks = 0; ks < KS_PV; ks++) {
#pragma unroll
                for (int np = 0; np < NT_O / 2; np++) {
                    uint32_t b0, b1, b2, b3;  // b0, b1: head-dim tile 2np; b2, b3: 2np + 1
                    a4j_ldmatrix_x4_trans(b0, b1, b2, b3, sV + a4j_v2_ldm_v(lane, np, ks, LD));
                    a4j_mma16816<T>(o[2 * np], pa[ks], b0, b1);
                    a4j_mma16816<T>(o[2 * np + 1], pa[ks], b2, b3);
                }
            }
            __syncthreads();  // every warp is done reading Vj before the prefetch of Vj+1 overwrites it
            if (t + 1 < nTiles) {
                int jn = j0 + BC;
                a4j_v2_load_rows<T, DP, BC>(sV, Vh, s.kRow, jn, min(BC, ke - jn), D, vec);
            }
            a4j_cp_async_commit();
        }
        a4j_cp_async_wait<0>();  // nothing in flight into the buffers when the next problem starts

        float invA, invB, lseA, lseB;
        a4j_flash_finish(mA, lA, &invA, &lseA);
        a4j_flash_finish(mB, lB, &invB, &lseB);
        T* OA = O + s.qBase + (long long)h * s.qHead + (long long)iA * s.qRow;
        T* OB = O + s.qBase + (long long)h * s.qHead + (long long)iB * s.qRow;
#pragma unroll
        for (int n = 0; n < NT_O; n++) {
            const int d = n * 8 + a4j_mma_c_col(lane, 0);
            if (iA < s.Nq) {
                if (d < D) OA[d] = a4j_from_float<T>(o[n][0] * invA);
                if (d + 1 < D) OA[d + 1] = a4j_from_float<T>(o[n][1] * invA);
            }
            if (iB < s.Nq) {
                if (d < D) OB[d] = a4j_from_float<T>(o[n][2] * invB);
                if (d + 1 < D) OB[d + 1] = a4j_from_float<T>(o[n][3] * invB);
            }
        }
        if (lse != nullptr && tq == 0) {
            if (iA < s.Nq) lse[s.lseBase + (long long)h * s.lseHead + (long long)iA * s.lseRow] = lseA;
            if (iB < s.Nq) lse[s.lseBase + (long long)h * s.lseHead + (long long)iB * s.lseRow] = lseB;
        }
    }
#endif
}

// MINB: blocks per SM the register allocation must allow (__launch_bounds__' second argument), 1 = no demand.
// d96 compiled to 169 registers a thread, one over the 168 that let 3 blocks of 128 threads share an SM; asking
// for 3 fits it without spills (nvcc -Xptxas -v), so its occupancy is what its shared memory allows.
#define A4J_FLASH_V2(TNAME, T, DP, MINB)                                                                     \
    extern "C" __global__ void __launch_bounds__(A4J_FLASH_V2_THREADS, MINB)                                 \
        a4j_flash_fwd_v2_##TNAME##_d##DP(const T* Q, const T* K, const T* V, T* O, float* lse, A4J_FLASH_PARAMS) { \
        a4j_flash_fwd_v2<T, DP>(Q, K, V, O, lse, A4J_FLASH_ARGS);                                            \
    }
#define A4J_FLASH_V2_BUCKETS(TNAME, T) \
    A4J_FLASH_V2(TNAME, T, 32, 1)      \
    A4J_FLASH_V2(TNAME, T, 64, 1)      \
    A4J_FLASH_V2(TNAME, T, 96, 3)      \
    A4J_FLASH_V2(TNAME, T, 128, 1)     \
    A4J_FLASH_V2(TNAME, T, 160, 1)     \
    A4J_FLASH_V2(TNAME, T, 192, 1)     \
    A4J_FLASH_V2(TNAME, T, 224, 1)     \
    A4J_FLASH_V2(TNAME, T, 256, 1)
A4J_FLASH_V2_BUCKETS(f16, __half)
A4J_FLASH_V2_BUCKETS(bf16, __nv_bfloat16)

// ---------------------------------------------------------------------------------------------------------
// weights: P = exp(scale*q.k + bias - lse), dense mode

template <typename T>
__device__ void a4j_flash_weights(const T* Q, const T* K, const float* lse, float* P, A4J_FLASH_PARAMS) {
    constexpr int TS = A4J_FLASH_W_TILE;       // 32 rows x 32 keys per block
    constexpr int RPT = TS / (A4J_FLASH_W_THREADS / 32);  // rows per thread (4): rows ty + 8k, key lane
    extern __shared__ float a4j_smem_flash_w[];  // sQ [32][33], sK [32][33] (a slice of 32 head dims)
    float* sQ = a4j_smem_flash_w;
    float* sK = sQ + TS * (TS + 1);
    const int ty = threadIdx.x >> 5, tx = threadIdx.x & 31;
    const int j0 = blockIdx.x * TS;
    const int qTiles = (Nq + TS - 1) / TS;
    const float scale2 = scale * A4J_LOG2E;
    for (int qt = blockIdx.y; qt < qTiles; qt += gridDim.y) {
        for (long long bh = blockIdx.z; bh < (long long)B * Hq; bh += gridDim.z) {
            const int b = (int)(bh / Hq), h = (int)(bh % Hq), hkv = h / (Hq / Hkv);
            A4jFlashSeq s = a4j_flash_seq(b, Hq, Hkv, Nq, Nk, D, kvLengths, diagonals, nullptr, nullptr);
            const int i0 = qt * TS;
            const float slope = alibiSlopes != nullptr ? alibiSlopes[h] : 0.0f;
            int kb, ke;
            a4j_flash_union_keys(s, i0, min(i0 + TS, Nq), 0x7fffffff, causal, windowLeft, windowRight, &kb, &ke);
            const bool anyVisible = kb < ke && j0 < ke && j0 + TS > kb;  // uniform over the block
            float acc[RPT];
#pragma unroll
            for (int k = 0; k < RPT; k++) acc[k] = 0.0f;
            if (anyVisible) {
                const T* Qh = Q + s.qBase + (long long)h * s.qHead;
                const T* Kh = K + s.kBase + (long long)hkv * s.kHead;
                for (int d0 = 0; d0 < D; d0 += TS) {
                    __syncthreads();  // every thread is done with the previous slice (or problem) before the overwrite
                    for (int r = ty; r < TS; r += A4J_FLASH_W_THREADS / 32) {
                        int d = d0 + tx;
                        sQ[r * (TS + 1) + tx] = (i0 + r < Nq && d < D) ? a4j_to_float(Qh[(long long)(i0 + r) * s.qRow + d]) : 0.0f;
                        sK[r * (TS + 1) + tx] = (j0 + r < Nk && d < D) ? a4j_to_float(Kh[(long long)(j0 + r) * s.kRow + d]) : 0.0f;
                    }
                    __syncthreads();  // the slice is complete before any thread reads elements others loaded
                    for (int dd = 0; dd < TS; dd++) {
                        float kv = sK[tx * (TS + 1) + dd];
#pragma unroll
                        for (int k = 0; k < RPT; k++) acc[k] += sQ[(ty + 8 * k) * (TS + 1) + dd] * kv;
                    }
                }
            }
            const int j = j0 + tx;
#pragma unroll
            for (int k = 0; k < RPT; k++) {
                const int i = i0 + ty + 8 * k;
                if (i >= Nq || j >= Nk) continue;
                A4jFlashRow row = a4j_flash_row(s, i, causal, windowLeft, windowRight, slope);
                float s2 = a4j_flash_score2(row, j, acc[k], scale2);
                float L = lse[s.lseBase + (long long)h * s.lseHead + i];
                float p = (s2 == -INFINITY || L == -INFINITY) ? 0.0f : exp2f(s2 - L * A4J_LOG2E);
                P[(bh * Nq + i) * (long long)Nk + j] = p;
            }
        }
    }
}

extern "C" __global__ void __launch_bounds__(A4J_FLASH_W_THREADS)
a4j_flash_weights_f32(const float* Q, const float* K, const float* lse, float* P, A4J_FLASH_PARAMS) {
    a4j_flash_weights<float>(Q, K, lse, P, A4J_FLASH_ARGS);
}
extern "C" __global__ void __launch_bounds__(A4J_FLASH_W_THREADS)
a4j_flash_weights_f16(const __half* Q, const __half* K, const float* lse, float* P, A4J_FLASH_PARAMS) {
    a4j_flash_weights<__half>(Q, K, lse, P, A4J_FLASH_ARGS);
}
extern "C" __global__ void __launch_bounds__(A4J_FLASH_W_THREADS)
a4j_flash_weights_bf16(const __nv_bfloat16* Q, const __nv_bfloat16* K, const float* lse, float* P,
                       A4J_FLASH_PARAMS) {
    a4j_flash_weights<__nv_bfloat16>(Q, K, lse, P, A4J_FLASH_ARGS);
}

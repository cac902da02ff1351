// Device helpers shared by every kernel family: element type conversion, vector stores, warp and block
// reductions. No kernels here. Include-guarded, so that all.cu can include every family in one unit.
#ifndef ATTENTION4J_COMMON_CUH
#define ATTENTION4J_COMMON_CUH

#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#define A4J_FULL_MASK 0xffffffffu

// fp32 <-> element type T (round to nearest even for the narrow types).
__device__ __forceinline__ float a4j_to_float(float x) { return x; }
__device__ __forceinline__ float a4j_to_float(__half x) { return __half2float(x); }
__device__ __forceinline__ float a4j_to_float(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T> __device__ __forceinline__ T a4j_from_float(float x);
template <> __device__ __forceinline__ float a4j_from_float<float>(float x) { return x; }
template <> __device__ __forceinline__ __half a4j_from_float<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ __nv_bfloat16 a4j_from_float<__nv_bfloat16>(float x) {
    return __float2bfloat16_rn(x);
}

// Stores 4 consecutive values with one vector store; p must be aligned to 4 * sizeof(T).
__device__ __forceinline__ void a4j_store4(float* p, float a, float b, float c, float d) {
    *reinterpret_cast<float4*>(p) = make_float4(a, b, c, d);
}
__device__ __forceinline__ void a4j_store4(__half* p, float a, float b, float c, float d) {
    __half2 lo = __floats2half2_rn(a, b);
    __half2 hi = __floats2half2_rn(c, d);
    uint2 v;
    v.x = *reinterpret_cast<uint32_t*>(&lo);
    v.y = *reinterpret_cast<uint32_t*>(&hi);
    *reinterpret_cast<uint2*>(p) = v;
}
__device__ __forceinline__ void a4j_store4(__nv_bfloat16* p, float a, float b, float c, float d) {
    __nv_bfloat162 lo = __floats2bfloat162_rn(a, b);
    __nv_bfloat162 hi = __floats2bfloat162_rn(c, d);
    uint2 v;
    v.x = *reinterpret_cast<uint32_t*>(&lo);
    v.y = *reinterpret_cast<uint32_t*>(&hi);
    *reinterpret_cast<uint2*>(p) = v;
}

__device__ __forceinline__ bool a4j_aligned(const void* p, size_t bytes) {
    return (reinterpret_cast<uintptr_t>(p) & (bytes - 1)) == 0;
}

__device__ __forceinline__ float a4j_warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(A4J_FULL_MASK, v, o);
    }
    return v;
}

// Block-wide sum of one float, result in every thread. scratch: >= blockDim.x/32 float2 slots of dynamic
// shared memory (only .x used). blockDim.x must be a multiple of 32.
__device__ __forceinline__ float a4j_block_sum(float v, float2* scratch) {
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nWarps = blockDim.x >> 5;
    v = a4j_warp_sum(v);
    if (lane == 0) {
        scratch[warp].x = v;
    }
    __syncthreads();  // every warp's partial is in shared memory before any warp reads them
    float total = 0.0f;
    for (int w = 0; w < nWarps; w++) {
        total += scratch[w].x;  // every thread sums in the same order: bitwise identical results
    }
    __syncthreads();  // all reads done before the caller's next reduction overwrites the slots
    return total;
}

#endif

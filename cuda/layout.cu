/*
Layout kernels of the multi-head layer and precision conversion.

Kernels and versions (all version 1: one thread per element, grid-stride, coalesced on the contiguous side):
  a4j_split_heads_{f32,f16,bf16}  [B, N, H*hd] (row stride inRowStride) + optional fp32 bias -> [B, H, N, hd]
  a4j_merge_heads_{f32,f16,bf16}  [B, H, N, hd] -> [B, N, H*hd] (row stride outRowStride)
  a4j_add_bias_{f32,f16,bf16}     x[r, c] += bias[c] in place on [rows, cols]
  a4j_f32_to_f16, a4j_f32_to_bf16, a4j_f16_to_f32, a4j_bf16_to_f32   elementwise, round to nearest even

Build: cuda/build.sh (via all.cu). Tests: native-tests/layout_test.cu (GPU, bit-exact); native-tests/cpu_model checks
the index math (layout_math.h) on the CPU.
*/
#include "common.cuh"
#include "layout_math.h"

#define A4J_GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

template <typename T>
__device__ void a4j_split_heads(const T* in, long long inRowStride, const float* bias, T* out, int B, int N, int H,
                                int hd) {
    long long total = (long long)B * N * H * hd;
    A4J_GRID_STRIDE(o, total) {
        int col;
        long long src = a4j_split_source(o, N, H, hd, inRowStride, &col);
        float v = a4j_to_float(in[src]);
        if (bias) v += bias[col];
        out[o] = a4j_from_float<T>(v);
    }
}

template <typename T>
__device__ void a4j_merge_heads(const T* in, T* out, long long outRowStride, int B, int N, int H, int hd) {
    long long total = (long long)B * N * H * hd;
    A4J_GRID_STRIDE(o, total) {  // o walks the output [B, N, H*hd] so that writes are coalesced
        long long dst;
        long long src = a4j_merge_source(o, N, H, hd, outRowStride, &dst);
        out[dst] = in[src];
    }
}

template <typename T>
__device__ void a4j_add_bias(T* x, const float* bias, long long rows, int cols) {
    long long total = rows * cols;
    A4J_GRID_STRIDE(o, total) {
        x[o] = a4j_from_float<T>(a4j_to_float(x[o]) + bias[o % cols]);
    }
}

#define A4J_LAYOUT_KERNELS(SUFFIX, T)                                                                          \
    extern "C" __global__ void a4j_split_heads_##SUFFIX(const T* in, long long inRowStride, const float* bias,  \
                                                         T* out, int B, int N, int H, int hd) {                 \
        a4j_split_heads<T>(in, inRowStride, bias, out, B, N, H, hd);                                            \
    }                                                                                                          \
    extern "C" __global__ void a4j_merge_heads_##SUFFIX(const T* in, T* out, long long outRowStride, int B,     \
                                                         int N, int H, int hd) {                                \
        a4j_merge_heads<T>(in, out, outRowStride, B, N, H, hd);                                                 \
    }                                                                                                          \
    extern "C" __global__ void a4j_add_bias_##SUFFIX(T* x, const float* bias, long long rows, int cols) {       \
        a4j_add_bias<T>(x, bias, rows, cols);                                                                   \
    }
A4J_LAYOUT_KERNELS(f32, float)
A4J_LAYOUT_KERNELS(f16, __half)
A4J_LAYOUT_KERNELS(bf16, __nv_bfloat16)
#undef A4J_LAYOUT_KERNELS

template <typename From, typename To>
__device__ void a4j_convert(const From* in, To* out, long long n) {
    A4J_GRID_STRIDE(i, n) { out[i] = a4j_from_float<To>(a4j_to_float(in[i])); }
}

extern "C" __global__ void a4j_f32_to_f16(const float* in, __half* out, long long n) {
    a4j_convert<float, __half>(in, out, n);
}
extern "C" __global__ void a4j_f32_to_bf16(const float* in, __nv_bfloat16* out, long long n) {
    a4j_convert<float, __nv_bfloat16>(in, out, n);
}
extern "C" __global__ void a4j_f16_to_f32(const __half* in, float* out, long long n) {
    a4j_convert<__half, float>(in, out, n);
}
extern "C" __global__ void a4j_bf16_to_f32(const __nv_bfloat16* in, float* out, long long n) {
    a4j_convert<__nv_bfloat16, float>(in, out, n);
}

#undef A4J_GRID_STRIDE

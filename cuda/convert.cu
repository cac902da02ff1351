/*
Precision conversion kernels (uploads and downloads of fp16 / bf16 device tensors).

Kernels and versions (all version 1: one thread per element, grid-stride, coalesced):
  a4j_f32_to_f16, a4j_f32_to_bf16, a4j_f16_to_f32, a4j_bf16_to_f32   elementwise, round to nearest even

Build: cuda/build.sh (via all.cu). Test: native-tests/convert_test.cu (GPU, bit-exact against the CPU's rounding).
(The head split / merge, bias and LayerNorm kernels that once lived here and in layernorm.cu were removed: no Java
code launched them, since the nn layers run on the CPU; see docs/DESIGN.md.)
*/
#include "common.cuh"

#define A4J_GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

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

/*
LayerNorm over the last dim of x [rows, C] (PyTorch's nn.LayerNorm): mean, biased variance, both in fp32 and
two-pass (sum of (x - mean)^2, not E[x^2] - mean^2, which cancels badly for large means), then
y = (x - mean) / sqrt(var + eps) * gamma + beta with fp32 gamma/beta (NULL = 1 / 0). y may equal x.

Kernels and versions:
  version 1: a4j_layernorm_{f32,f16,bf16}
      one block per row, grid-stride over rows; three sweeps over the row (mean, variance, write), the
      second and third mostly served from L1/L2.

Build: cuda/build.sh (via all.cu). Tests: native-tests/layernorm_test.cu.
*/
#include "common.cuh"

template <typename T>
__device__ void a4j_layernorm(const T* x, T* y, const float* gamma, const float* beta, long long rows, int C,
                              float eps) {
    extern __shared__ float2 a4j_smem_ln[];  // blockDim.x/32 reduction slots
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * C;
        T* yr = y + row * C;
        float s = 0.0f;
        for (int c = threadIdx.x; c < C; c += blockDim.x) s += a4j_to_float(xr[c]);
        float mean = a4j_block_sum(s, a4j_smem_ln) / C;
        float q = 0.0f;
        for (int c = threadIdx.x; c < C; c += blockDim.x) {
            float d = a4j_to_float(xr[c]) - mean;
            q += d * d;
        }
        float rstd = 1.0f / sqrtf(a4j_block_sum(q, a4j_smem_ln) / C + eps);
        // In place (y == x) is safe: each element is read and written by the same thread, after both sums.
        for (int c = threadIdx.x; c < C; c += blockDim.x) {
            float v = (a4j_to_float(xr[c]) - mean) * rstd;
            if (gamma) v *= gamma[c];
            if (beta) v += beta[c];
            yr[c] = a4j_from_float<T>(v);
        }
    }
}

#define A4J_LN_KERNEL(NAME, T)                                                                              \
    extern "C" __global__ void NAME(const T* x, T* y, const float* gamma, const float* beta, long long rows, \
                                    int C, float eps) {                                                      \
        a4j_layernorm<T>(x, y, gamma, beta, rows, C, eps);                                                   \
    }
A4J_LN_KERNEL(a4j_layernorm_f32, float)
A4J_LN_KERNEL(a4j_layernorm_f16, __half)
A4J_LN_KERNEL(a4j_layernorm_bf16, __nv_bfloat16)
#undef A4J_LN_KERNEL

/*
Rotary position embedding (RoPE), in place on x [B, H, N, D], fp32 / fp16 / bf16.

Pair t in [0, R/2) of the first R elements (the rotary dim: R even, R <= D; the elements past R are not
touched) of the vector at (b, h, n) turns by pos * invFreq[t], pos = posOffset + (positions ?
positions[b * positionsBatchStride + n] : n); cos and sin are multiplied by `factor` (YaRN's attention factor,
else 1). The inverse frequencies come from the host (Rope.inverseFrequencies: base^(-2t/R) or a scaling's) as
float pairs hi, lo (a4j_rope_freq). style 0 pairs x_t with x_{t+R/2} (half, Hugging Face Llama / GPT-NeoX),
style 1 pairs x_2t with x_2t+1 (interleaved, GPT-J). The angle is formed and reduced in double (rope_math.h),
so 128k-token positions keep fp32 accuracy; the rotation and the element math are fp32.

Kernels and versions:
  version 1: a4j_rope_{f32,f16,bf16}
      one thread per (vector, pair), grid-stride; each block first puts the R/2 frequencies (double) in
      dynamic shared memory.

Build: cuda/build.sh (via all.cu). Tests: native-tests/rope_test.cu (GPU); native-tests/cpu_model runs the angle math and the pair indexing
(rope_math.h) against long double / the spec's rotation on the CPU.
*/
#include "common.cuh"
#include "rope_math.h"

template <typename T>
__device__ void a4j_rope(T* x, int B, int H, int N, int D, int R, int style, const float* freq, float factor,
                         int posOffset, const int* positions, int positionsBatchStride) {
    extern __shared__ double a4j_smem_theta[];  // R/2 frequencies
    int half = R / 2;
    for (int t = threadIdx.x; t < half; t += blockDim.x) a4j_smem_theta[t] = a4j_rope_freq(freq, t);
    __syncthreads();  // the frequency table is complete before any thread reads it
    long long pairs = (long long)B * H * N * half;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < pairs;
         idx += (long long)gridDim.x * blockDim.x) {
        long long ia, ib;
        int t;
        int pos = a4j_rope_pair(idx, H, N, D, R, style, posOffset, positions, positionsBatchStride, &ia, &ib, &t);
        float c, s;
        a4j_rope_sincos(pos, a4j_smem_theta[t], &c, &s);
        c *= factor;
        s *= factor;
        float xa = a4j_to_float(x[ia]), xb = a4j_to_float(x[ib]);
        x[ia] = a4j_from_float<T>(xa * c - xb * s);
        x[ib] = a4j_from_float<T>(xb * c + xa * s);
    }
}

#define A4J_ROPE_KERNEL(NAME, T)                                                                          \
    extern "C" __global__ void NAME(T* x, int B, int H, int N, int D, int R, int style, const float* freq,   \
                                    float factor, int posOffset, const int* positions,                     \
                                    int positionsBatchStride) {                                            \
        a4j_rope<T>(x, B, H, N, D, R, style, freq, factor, posOffset, positions, positionsBatchStride);    \
    }
A4J_ROPE_KERNEL(a4j_rope_f32, float)
A4J_ROPE_KERNEL(a4j_rope_f16, __half)
A4J_ROPE_KERNEL(a4j_rope_bf16, __nv_bfloat16)
#undef A4J_ROPE_KERNEL

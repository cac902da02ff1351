/*
Validate-then-benchmark for cuda/layernorm.cu (llm.c dev/cuda style).

a4j_layernorm_{f32,f16,bf16} on fresh random x [rows, C] (C 1, 97, 768, 1025, 4096; rows 1, 3, 1000) with a
large common offset in some rows (where E[x^2] - mean^2 would cancel), with and without gamma/beta, in place
and not, outputs NaN-poisoned, against a double CPU reference. Tolerance: FlashAttention's rule against a naive
fp32 CPU LayerNorm (two-pass, sequential sums) rounded to T, plus a floor. Then timed (GB/s).

Build: make -C native-tests   Run: native-tests/build/layernorm_test
*/
#include "../cuda/layernorm.cu"
#include "common.cuh"

#include <algorithm>

template <typename T> struct LnKernel;
template <> struct LnKernel<float> { static constexpr auto k = a4j_layernorm_f32; };
template <> struct LnKernel<__half> { static constexpr auto k = a4j_layernorm_f16; };
template <> struct LnKernel<__nv_bfloat16> { static constexpr auto k = a4j_layernorm_bf16; };

static int failures = 0;

template <typename T>
static void validate(long long rows, int C, bool affine, bool inPlace, int block) {
    const float eps = 1e-5f;
    // x: (rows, C), gamma/beta: (C)
    std::vector<T> x((size_t)rows * C);
    for (long long r = 0; r < rows; r++) {
        float offset = r % 2 ? 1000.0f : 0.0f;
        for (int c = 0; c < C; c++) x[r * C + c] = to_t<T>(offset + normal(1.0f));
    }
    std::vector<float> gamma(C), beta(C);
    for (int c = 0; c < C; c++) {
        gamma[c] = 1.0f + normal(0.2f);
        beta[c] = normal(0.5f);
    }
    std::vector<double> ref(x.size());
    std::vector<float> naive(x.size());
    for (long long r = 0; r < rows; r++) {
        double mean = 0, var = 0;
        float meanF = 0, varF = 0;
        for (int c = 0; c < C; c++) {
            mean += to_f(x[r * C + c]);
            meanF += to_f(x[r * C + c]);
        }
        mean /= C;
        meanF /= C;
        for (int c = 0; c < C; c++) {
            double d = to_f(x[r * C + c]) - mean;
            var += d * d;
            float dF = to_f(x[r * C + c]) - meanF;
            varF += dF * dF;
        }
        var /= C;
        varF /= C;
        for (int c = 0; c < C; c++) {
            double y = (to_f(x[r * C + c]) - mean) / std::sqrt(var + eps);
            float yF = (to_f(x[r * C + c]) - meanF) / std::sqrt(varF + eps);
            if (affine) {
                y = y * gamma[c] + beta[c];
                yF = yF * gamma[c] + beta[c];
            }
            ref[r * C + c] = y;
            naive[r * C + c] = yF;
        }
    }
    double naiveErr = 0;
    for (size_t k = 0; k < x.size(); k++) {
        naiveErr = std::max(naiveErr, std::fabs(to_f(to_t<T>(naive[k])) - ref[k]));
    }
    T* dx = upload(x);
    T* dy = dx;
    if (!inPlace) {
        cudaCheck(cudaMalloc(&dy, x.size() * sizeof(T)));
        poison(dy, x.size() * sizeof(T));
    }
    float* dg = upload(gamma);
    float* db = upload(beta);
    LnKernel<T>::k<<<grid_for(rows, 1), block, 8 * (block / 32)>>>(dx, dy, affine ? dg : nullptr,
                                                                     affine ? db : nullptr, rows, C, eps);
    cudaCheck(cudaGetLastError());
    std::vector<T> got = download(dy, x.size());
    ErrorReport e = compare(got, ref.data(), x.size(), 2 * naiveErr + 1e-5, 0.0, false);
    if (e.bad) {
        failures++;
        std::printf("MISMATCH layernorm %s rows=%lld C=%d affine=%d inPlace=%d: %lld bad (first [%lld] got %g want %g, "
                    "tol %.2e)\n", type_name<T>(), rows, C, affine, inPlace, e.bad, e.firstBad, e.badGot, e.badRef,
                    2 * naiveErr + 1e-5);
    }
    cudaCheck(cudaFree(dx));
    if (!inPlace) cudaCheck(cudaFree(dy));
    cudaCheck(cudaFree(dg));
    cudaCheck(cudaFree(db));
}

template <typename T>
static void bench(long long rows, int C, int block) {
    size_t n = (size_t)rows * C;
    T *x, *y;
    cudaCheck(cudaMalloc(&x, n * sizeof(T)));
    cudaCheck(cudaMalloc(&y, n * sizeof(T)));
    cudaCheck(cudaMemset(x, 0, n * sizeof(T)));
    float ms = time_ms([&] { LnKernel<T>::k<<<grid_for(rows, 1), block, 8 * (block / 32)>>>(x, y, nullptr, nullptr,
                                                                                           rows, C, 1e-5f); }, 20);
    double gbps = 2.0 * n * sizeof(T) / (ms * 1e-3) / 1e9, copy = memcpy_gbps(n * sizeof(T), 20);
    std::printf("layernorm %-4s rows=%lld C=%d block %d: %.3f ms %.1f GB/s = %.1f%% of D2D copy\n", type_name<T>(), rows,
                C, block, ms, gbps, 100 * gbps / copy);
    cudaCheck(cudaFree(x));
    cudaCheck(cudaFree(y));
}

int main() {
    print_device();
    int cases = 0;
    for (long long rows : {1LL, 3LL, 1000LL})
        for (int C : {1, 97, 768, 1025, 4096})
            for (int variant = 0; variant < 4; variant++) {
                int block = 32 << ((cases + variant) % 6);
                validate<float>(rows, C, variant & 1, variant & 2, block);
                validate<__half>(rows, C, variant & 1, variant & 2, block);
                validate<__nv_bfloat16>(rows, C, variant & 1, variant & 2, block);
                cases++;
            }
    std::printf("validation: %d layernorm cases x {f32, f16, bf16}: %s\n", cases, failures ? "FAILED" : "all match");
    if (failures) return 1;
    bench<float>(8192, 4096, 512);
    bench<__half>(8192, 4096, 512);
    std::printf("layernorm_test: passed\n");
    return 0;
}

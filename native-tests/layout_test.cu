/*
Validate-then-benchmark for cuda/layout.cu (llm.c dev/cuda style).

a4j_split_heads_* (plain and packed in_proj row stride, with and without bias), a4j_merge_heads_*,
a4j_add_bias_* and the four precision conversions, on fresh random data with awkward sizes (N 1, 97, 1025;
hd 1, 59, 64), outputs NaN-poisoned, against plain CPU loops. These kernels only move data or add once in fp32
and round once, so results must be bit-exact against the same operations on the CPU. Then timed (GB/s).

Build: make -C native-tests   Run: native-tests/build/layout_test
*/
#include "../cuda/layout.cu"
#include "common.cuh"

#include <cstring>

template <typename T> struct LayoutKernels;
#define A4J_LK(T, S)                                                   \
    template <> struct LayoutKernels<T> {                              \
        static constexpr auto split = a4j_split_heads_##S;             \
        static constexpr auto merge = a4j_merge_heads_##S;             \
        static constexpr auto addBias = a4j_add_bias_##S;              \
    };
A4J_LK(float, f32)
A4J_LK(__half, f16)
A4J_LK(__nv_bfloat16, bf16)

static int failures = 0;

template <typename T>
static bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <typename T>
static void check(bool ok, const char* what, int B, int N, int H, int hd) {
    if (!ok) {
        failures++;
        std::printf("MISMATCH %s %s B=%d N=%d H=%d hd=%d\n", what, type_name<T>(), B, N, H, hd);
    }
}

template <typename T>
static void validate(int B, int N, int H, int hd, int packs, bool withBias) {
    int E = H * hd;
    long long inRowStride = (long long)packs * E;  // packs = 3: the packed in_proj output [B, N, 3E]
    // in: (B, N, packs*E), bias: (packs*E), out: (B, H, N, hd)
    std::vector<T> in((size_t)B * N * inRowStride);
    for (auto& v : in) v = to_t<T>(normal(1.0f));
    std::vector<float> bias(inRowStride);
    for (auto& v : bias) v = normal(1.0f);
    T* din = upload(in);
    float* dbias = upload(bias);
    size_t outN = (size_t)B * H * N * hd;
    T* dout;
    cudaCheck(cudaMalloc(&dout, outN * sizeof(T)));
    for (int k = 0; k < packs; k++) {
        poison(dout, outN * sizeof(T));
        LayoutKernels<T>::split<<<grid_for(outN, 256), 256>>>(din + (size_t)k * E, inRowStride,
                                                               withBias ? dbias + (size_t)k * E : nullptr, dout, B,
                                                               N, H, hd);
        cudaCheck(cudaGetLastError());
        std::vector<T> got = download(dout, outN), want(outN);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int n = 0; n < N; n++)
                    for (int c = 0; c < hd; c++) {
                        size_t col = (size_t)k * E + h * hd + c;
                        float v = to_f(in[((size_t)b * N + n) * inRowStride + col]);
                        if (withBias) v += bias[col];
                        want[(((size_t)b * H + h) * N + n) * hd + c] = to_t<T>(v);
                    }
        check<T>(same_bits(got, want), withBias ? "split_heads+bias" : "split_heads", B, N, H, hd);
        // merge back: must give the split input exactly (without bias)
        if (!withBias) {
            T* dm;
            cudaCheck(cudaMalloc(&dm, outN * sizeof(T)));
            poison(dm, outN * sizeof(T));
            LayoutKernels<T>::merge<<<grid_for(outN, 256), 256>>>(dout, dm, E, B, N, H, hd);
            cudaCheck(cudaGetLastError());
            std::vector<T> merged = download(dm, outN), wantM(outN);
            for (size_t r = 0; r < (size_t)B * N; r++)
                std::memcpy(&wantM[r * E], &in[r * inRowStride + (size_t)k * E], E * sizeof(T));
            check<T>(same_bits(merged, wantM), "merge_heads", B, N, H, hd);
            cudaCheck(cudaFree(dm));
        }
    }
    // add_bias in place on (B*N, E)
    {
        size_t n = (size_t)B * N * E;
        std::vector<T> x(n);
        for (auto& v : x) v = to_t<T>(normal(1.0f));
        T* dx = upload(x);
        LayoutKernels<T>::addBias<<<grid_for(n, 256), 256>>>(dx, dbias, (long long)B * N, E);
        cudaCheck(cudaGetLastError());
        std::vector<T> got = download(dx, n), want(n);
        for (size_t k = 0; k < n; k++) want[k] = to_t<T>(to_f(x[k]) + bias[k % E]);
        check<T>(same_bits(got, want), "add_bias", B, N, H, hd);
        cudaCheck(cudaFree(dx));
    }
    cudaCheck(cudaFree(din));
    cudaCheck(cudaFree(dbias));
    cudaCheck(cudaFree(dout));
}

template <typename From, typename To, typename K>
static void validate_convert(K kernel, const char* name, long long n) {
    std::vector<From> in(n);
    for (long long k = 0; k < n; k++) in[k] = to_t<From>(normal(100.0f));
    if (n > 4) {  // special values survive; overflow saturates to inf
        in[0] = to_t<From>(NAN);
        in[1] = to_t<From>(INFINITY);
        in[2] = to_t<From>(-INFINITY);
        in[3] = to_t<From>(1e30f);
    }
    From* din = upload(in);
    To* dout;
    cudaCheck(cudaMalloc(&dout, n * sizeof(To)));
    poison(dout, n * sizeof(To));
    kernel<<<grid_for(n, 256), 256>>>(din, dout, n);
    cudaCheck(cudaGetLastError());
    std::vector<To> got = download(dout, n);
    long long bad = 0;
    for (long long k = 0; k < n; k++) {
        To want = to_t<To>(to_f(in[k]));
        bool ok = std::memcmp(&want, &got[k], sizeof(To)) == 0 || (std::isnan(to_f(want)) && std::isnan(to_f(got[k])));
        bad += !ok;
    }
    if (bad) {
        failures++;
        std::printf("MISMATCH %s n=%lld: %lld elements differ\n", name, n, bad);
    }
    cudaCheck(cudaFree(din));
    cudaCheck(cudaFree(dout));
}

template <typename T>
static void bench(int B, int N, int H, int hd) {
    size_t n = (size_t)B * N * H * hd;
    T *a, *b;
    cudaCheck(cudaMalloc(&a, n * sizeof(T)));
    cudaCheck(cudaMalloc(&b, n * sizeof(T)));
    cudaCheck(cudaMemset(a, 0, n * sizeof(T)));
    float ms = time_ms([&] {
        LayoutKernels<T>::split<<<grid_for(n, 256), 256>>>(a, (long long)H * hd, nullptr, b, B, N, H, hd);
    }, 20);
    double gbps = 2.0 * n * sizeof(T) / (ms * 1e-3) / 1e9, copy = memcpy_gbps(n * sizeof(T), 20);
    std::printf("split_heads %-4s B=%d N=%d H=%d hd=%d: %.3f ms %.1f GB/s = %.1f%% of D2D copy\n", type_name<T>(), B, N,
                H, hd, ms, gbps, 100 * gbps / copy);
    cudaCheck(cudaFree(a));
    cudaCheck(cudaFree(b));
}

int main() {
    print_device();
    const int lengths[] = {1, 97, 1025};
    const int hds[] = {1, 59, 64};
    for (int N : lengths)
        for (int hd : hds)
            for (int packs : {1, 3})
                for (bool bias : {false, true}) {
                    validate<float>(2, N, 3, hd, packs, bias);
                    validate<__half>(2, N, 3, hd, packs, bias);
                    validate<__nv_bfloat16>(2, N, 3, hd, packs, bias);
                }
    for (long long n : {1LL, 97LL, 1000003LL}) {
        validate_convert<float, __half>(a4j_f32_to_f16, "f32_to_f16", n);
        validate_convert<float, __nv_bfloat16>(a4j_f32_to_bf16, "f32_to_bf16", n);
        validate_convert<__half, float>(a4j_f16_to_f32, "f16_to_f32", n);
        validate_convert<__nv_bfloat16, float>(a4j_bf16_to_f32, "bf16_to_f32", n);
    }
    std::printf("validation: layout kernels %s\n", failures ? "FAILED" : "all bit-exact");
    if (failures) return 1;
    bench<float>(4, 2048, 32, 128);
    bench<__half>(4, 2048, 32, 128);
    std::printf("layout_test: passed\n");
    return 0;
}

/*
Validate-then-benchmark for cuda/rope.cu (llm.c dev/cuda style).

a4j_rope_{f32,f16,bf16} on fresh random x [B, H, N, D] (D 2, 58, 64, 128; N 1, 97, 1025), both pairings,
default positions with an offset (queries at Nk - Nq + i, up to 128k), explicit positions shared (length N) and
per batch (length B*N), checked against a double-precision CPU rotation (the spec's ReferenceBackend.rotate)
applied to the same T-rounded inputs. Tolerance: FlashAttention's rule against the same rotation done naively
in fp32 (fp32 angle) would be meaningless at 128k positions (that naive error is O(1)), so the bound is the
rounding of the output to T plus fp32 arithmetic: |err| <= (rounding_tol<T> + 1e-6) * (|xa| + |xb|).
Then timed: GB/s (read + write x) against a device-to-device copy of the same bytes.

Here the rotary dim is the whole head dim and the factor 1; partial rotary and the factor are checked by
native-tests/cpu_model (the kernel's own index math on the CPU) and by the Java GPU tests.

Build: make -C native-tests   Run: native-tests/build/rope_test
*/
#include "../cuda/rope.cu"
#include "common.cuh"

#include <algorithm>

template <typename T> struct RopeKernel;
template <> struct RopeKernel<float> { static constexpr auto k = a4j_rope_f32; };
template <> struct RopeKernel<__half> { static constexpr auto k = a4j_rope_f16; };
template <> struct RopeKernel<__nv_bfloat16> { static constexpr auto k = a4j_rope_bf16; };

// x: (B, H, N, D) in place, double. The spec's rotation: pair t turns by pos * base^(-2t/D).
static void rope_reference(std::vector<double>& x, int B, int H, int N, int D, int style, double base,
                           const std::vector<int>& pos /* (B, N) resolved */) {
    int half = D / 2;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int n = 0; n < N; n++) {
                double* v = x.data() + (((long long)b * H + h) * N + n) * D;
                for (int t = 0; t < half; t++) {
                    double angle = pos[(long long)b * N + n] * std::pow(base, -2.0 * t / D);
                    double c = std::cos(angle), s = std::sin(angle);
                    int ia = style == 0 ? t : 2 * t, ib = style == 0 ? t + half : 2 * t + 1;
                    double xa = v[ia], xb = v[ib];
                    v[ia] = xa * c - xb * s;
                    v[ib] = xb * c + xa * s;
                }
            }
}

static int failures = 0;

template <typename T>
static void validate(int B, int H, int N, int D, int style, double base, int posMode, int posOffset) {
    long long n = (long long)B * H * N * D;
    std::vector<T> hx(n);
    std::vector<double> ref(n);
    for (long long k = 0; k < n; k++) {
        hx[k] = to_t<T>(normal(1.0f));
        ref[k] = to_f(hx[k]);
    }
    // positions: 0 default (n + posOffset), 1 explicit shared [N], 2 explicit per batch [B*N]
    std::vector<int> explicitPos, resolved((size_t)B * N);
    if (posMode == 1) explicitPos.resize(N);
    if (posMode == 2) explicitPos.resize((size_t)B * N);
    for (auto& p : explicitPos) p = (int)(uniform01() * 140000);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++) {
            resolved[(size_t)b * N + i] = posMode == 0 ? posOffset + i
                    : posMode == 1 ? explicitPos[i] : explicitPos[(size_t)b * N + i];
        }
    rope_reference(ref, B, H, N, D, style, base, resolved);
    std::vector<double> mag(n);  // |xa| + |xb| of each element's pair, for the tolerance
    for (long long v = 0; v < n / D; v++)
        for (int t = 0; t < D / 2; t++) {
            int ia = style == 0 ? t : 2 * t, ib = style == 0 ? t + D / 2 : 2 * t + 1;
            double m = std::fabs(to_f(hx[v * D + ia])) + std::fabs(to_f(hx[v * D + ib]));
            mag[v * D + ia] = mag[v * D + ib] = m;
        }
    // The host's frequency table (as RopeFrequencies.packed): base^(-2t/D) as float pairs hi, lo.
    std::vector<float> freq(D);
    for (int t = 0; t < D / 2; t++) {
        double f = a4j_rope_theta(base, t, D);
        freq[2 * t] = (float)f;
        freq[2 * t + 1] = (float)(f - (double)freq[2 * t]);
    }
    T* dx = upload(hx);
    int* dpos = upload(explicitPos);
    float* dfreq = upload(freq);
    int block = 256;
    long long pairs = n / 2;
    RopeKernel<T>::k<<<grid_for(pairs, block), block, 8 * (D / 2)>>>(dx, B, H, N, D, D, style, dfreq, 1.0f,
                                                                      posMode == 0 ? posOffset : 0, dpos,
                                                                      posMode == 2 ? N : 0);
    cudaCheck(cudaGetLastError());
    std::vector<T> got = download(dx, n);
    long long bad = 0;
    double worst = 0;
    for (long long k = 0; k < n; k++) {
        double e = std::fabs(to_f(got[k]) - ref[k]);
        double tol = (rounding_tol<T>() + 1e-6) * mag[k] + 1e-7;
        if (!(e <= tol)) {
            if (bad == 0) std::printf("  first bad [%lld]: got %g want %g\n", k, to_f(got[k]), ref[k]);
            bad++;
        }
        worst = std::max(worst, e);
    }
    if (bad) {
        failures++;
        std::printf("MISMATCH rope %s B=%d H=%d N=%d D=%d style=%d base=%g posMode=%d offset=%d: %lld bad\n",
                    type_name<T>(), B, H, N, D, style, base, posMode, posOffset, bad);
    }
    cudaCheck(cudaFree(dx));
    cudaCheck(cudaFree(dfreq));
    if (dpos) cudaCheck(cudaFree(dpos));
}

template <typename T>
static void bench(int B, int H, int N, int D) {
    long long n = (long long)B * H * N * D;
    T* dx;
    cudaCheck(cudaMalloc(&dx, n * sizeof(T)));
    cudaCheck(cudaMemset(dx, 0, n * sizeof(T)));
    std::vector<float> freq(D);
    for (int t = 0; t < D / 2; t++) {
        double f = a4j_rope_theta(10000.0, t, D);
        freq[2 * t] = (float)f;
        freq[2 * t + 1] = (float)(f - (double)freq[2 * t]);
    }
    float* dfreq = upload(freq);
    int block = 256;
    float ms = time_ms([&] {
        RopeKernel<T>::k<<<grid_for(n / 2, block), block, 8 * (D / 2)>>>(dx, B, H, N, D, D, 0, dfreq, 1.0f, 0,
                                                                          nullptr, 0);
    }, 20);
    double bytes = 2.0 * n * sizeof(T);
    double gbps = bytes / (ms * 1e-3) / 1e9, copy = memcpy_gbps(n * sizeof(T), 20);
    std::printf("rope %-4s B=%d H=%d N=%d D=%d: %.3f ms %.1f GB/s = %.1f%% of D2D copy\n", type_name<T>(), B, H, N, D,
                ms, gbps, 100 * gbps / copy);
    cudaCheck(cudaFree(dx));
    cudaCheck(cudaFree(dfreq));
}

int main() {
    print_device();
    const int dims[] = {2, 58, 64, 128};
    const int lengths[] = {1, 97, 1025};
    int cases = 0;
    for (int D : dims)
        for (int N : lengths)
            for (int style = 0; style < 2; style++)
                for (int posMode = 0; posMode < 3; posMode++) {
                    int offset = (cases % 3 == 0) ? 131072 - N : (cases % 3 == 1 ? 0 : 7);
                    double base = cases % 4 == 3 ? 500000.0 : 10000.0;
                    validate<float>(2, 3, N, D, style, base, posMode, offset);
                    validate<__half>(2, 3, N, D, style, base, posMode, offset);
                    validate<__nv_bfloat16>(2, 3, N, D, style, base, posMode, offset);
                    cases++;
                }
    std::printf("validation: %d rope cases x {f32, f16, bf16}: %s\n", cases, failures ? "FAILED" : "all match");
    if (failures) return 1;
    bench<float>(4, 32, 2048, 128);
    bench<__half>(4, 32, 2048, 128);
    bench<__nv_bfloat16>(4, 32, 2048, 128);
    std::printf("rope_test: passed\n");
    return 0;
}

/*
Validate-then-benchmark for cuda/softmax.cu (llm.c dev/cuda style).

Every kernel version (1: a4j_softmax_{f32,f16,bf16}; 2: a4j_softmax_split_stats + a4j_softmax_split_finish_*;
3: a4j_softmax_cached_*, where the row fits its shared memory)
runs on fresh random scores over awkward shapes (Nk 1, 97, 1023, 1025, 131072; Nq 1, 3, 113) and every mask
combination, outputs NaN-poisoned first, and is checked against the double-precision CPU reference
(softmax_ref.h); fp32 P also in place over S. Only versions that passed are then timed: GB/s (read S + write P)
and that as a fraction of a device-to-device cudaMemcpy of the same bytes measured in the same run.

Build: make -C native-tests   Run: native-tests/build/softmax_test   (exit status != 0 on any mismatch)
*/
#include "../cuda/softmax.cu"
#include "common.cuh"
#include "softmax_ref.h"

#include <algorithm>
#include <string>

struct DeviceProblem {
    int* kvLengths = nullptr;
    unsigned char* boolMask = nullptr;
    float* floatMask = nullptr;
    float* slopes = nullptr;
    explicit DeviceProblem(const SoftmaxProblem& q) {
        kvLengths = upload(q.kvLengths);
        boolMask = upload(q.boolMask);
        floatMask = upload(q.floatMask);
        slopes = upload(q.alibiSlopes);
    }
    ~DeviceProblem() {
        cudaFree(kvLengths);
        cudaFree(boolMask);
        cudaFree(floatMask);
        cudaFree(slopes);
    }
};

#define DEV_MASK_ARGS(q, d)                                                                                   \
    q.B, q.Hq, q.Nq, q.Nk, q.scale, q.causal, q.windowLeft, q.windowRight, d.kvLengths, nullptr, d.boolMask,   \
        d.floatMask, q.maskStrides[0], q.maskStrides[1], q.maskStrides[2], q.maskStrides[3], d.slopes

template <typename T> struct Kernels;
template <> struct Kernels<float> {
    static constexpr auto v1 = a4j_softmax_f32;
    static constexpr auto finish = a4j_softmax_split_finish_f32;
    static constexpr auto cached = a4j_softmax_cached_f32;
};
template <> struct Kernels<__half> {
    static constexpr auto v1 = a4j_softmax_f16;
    static constexpr auto finish = a4j_softmax_split_finish_f16;
    static constexpr auto cached = a4j_softmax_cached_f16;
};
template <> struct Kernels<__nv_bfloat16> {
    static constexpr auto v1 = a4j_softmax_bf16;
    static constexpr auto finish = a4j_softmax_split_finish_bf16;
    static constexpr auto cached = a4j_softmax_cached_bf16;
};

// The host rule of cuda/README.md for version 2's chunk length.
static int choose_chunk_len(long long rows, int Nk, int sms) {
    long long splits = (4LL * sms + rows - 1) / rows;
    long long len = (Nk + splits - 1) / splits;
    len = (len + 3) / 4 * 4;
    return (int)std::max(2048LL, len);
}

static size_t smem_bytes(int block) { return a4j_softmax_smem(block); }
// Version 3: the (max, sum) slots padded to 16 bytes, then Nk + 3 floats of row cache (cuda/README.md).
static size_t smem_bytes_cached(int block, int Nk) { return (size_t)a4j_softmax_cached_smem(block, Nk); }
static bool cached_fits(int block, int Nk) { return smem_bytes_cached(block, Nk) <= 48 * 1024; }

template <typename T>
static void launch(int version, const SoftmaxProblem& q, const DeviceProblem& d, const float* S, T* P, float* lse,
                   float* partial, int block, int chunkLen, long long gridCap = 0) {
    // gridCap > 0 launches fewer row blocks than rows, exercising the kernels' grid-stride loops.
    long long rows = q.rows();
    long long rowBlocks = gridCap > 0 ? std::min(rows, gridCap) : rows;
    if (version == 1) {
        Kernels<T>::v1<<<grid_for(rowBlocks, 1), block, smem_bytes(block)>>>(S, P, lse, DEV_MASK_ARGS(q, d));
    } else if (version == 3) {
        Kernels<T>::cached<<<grid_for(rowBlocks, 1), block, smem_bytes_cached(block, q.Nk)>>>(S, P, lse,
                                                                                               DEV_MASK_ARGS(q, d));
    } else {
        dim3 grid(a4j_num_chunks(q.Nk, chunkLen), (unsigned)std::min(rowBlocks, 65535LL));
        a4j_softmax_split_stats<<<grid, block, smem_bytes(block)>>>(S, partial, chunkLen, DEV_MASK_ARGS(q, d));
        Kernels<T>::finish<<<grid, block, smem_bytes(block)>>>(S, P, lse, partial, chunkLen, DEV_MASK_ARGS(q, d));
    }
    cudaCheck(cudaGetLastError());
}

static int failures = 0;

// Runs one version / type on q against the reference; returns whether it passed.
// Max |naive - ref| with the naive fp32 result rounded to T, over finite reference values.
template <typename T>
static double naive_error(const std::vector<float>& naive, const double* ref, size_t n) {
    double e = 0;
    for (size_t k = 0; k < n; k++) {
        if (std::isfinite(ref[k])) e = std::max(e, std::fabs((double)to_f(to_t<T>(naive[k])) - ref[k]));
    }
    return e;
}

template <typename T>
static bool validate(int version, const SoftmaxProblem& q, const std::vector<float>& s, const double* ref,
                     const double* refLse, const std::vector<float>& naiveP, const std::vector<float>& naiveLse, int block, int chunkLen, bool inPlace, const std::string& label,
                     long long gridCap) {
    long long n = q.rows() * q.Nk;
    DeviceProblem d(q);
    float* S = upload(s);
    T* P = nullptr;
    if (inPlace) {
        P = reinterpret_cast<T*>(S);  // fp32 only
    } else {
        cudaCheck(cudaMalloc(&P, n * sizeof(T)));
        poison(P, n * sizeof(T));
    }
    float* lse = nullptr;
    cudaCheck(cudaMalloc(&lse, q.rows() * sizeof(float)));
    poison(lse, q.rows() * sizeof(float));
    float* partial = nullptr;
    if (version == 2) {
        size_t pn = 2 * q.rows() * (size_t)a4j_num_chunks(q.Nk, chunkLen);
        cudaCheck(cudaMalloc(&partial, pn * sizeof(float)));
        poison(partial, pn * sizeof(float));
    }
    launch<T>(version, q, d, S, P, lse, partial, block, chunkLen, gridCap);
    cudaCheck(cudaDeviceSynchronize());
    std::vector<T> hp = download(P, n);
    std::vector<float> hl = download(lse, q.rows());
    // FlashAttention's rule: max error <= 2 x the max error of the naive fp32 CPU computation (P rounded to T
    // like the kernel's) + a floor. Special values exactly: NaN only where the reference is NaN, exact 0 where
    // it is 0 (removed keys), -inf lse for fully masked rows. NaN never passes.
    double tolP = 2.0 * naive_error<T>(naiveP, ref, n) + 1e-6;
    // lse's floor scales with its magnitude: one fp32 ulp of |lse| ~ 10 is already ~1e-6.
    double lseMag = 1.0;
    for (long long r = 0; r < q.rows(); r++) {
        if (std::isfinite(refLse[r])) lseMag = std::max(lseMag, std::fabs(refLse[r]));
    }
    double tolL = 2.0 * naive_error<float>(naiveLse, refLse, q.rows()) + 4e-7 * lseMag;
    ErrorReport ep = compare(hp, ref, n, tolP, 0.0, true);
    ErrorReport el = compare(hl, refLse, q.rows(), tolL, 0.0, false);
    bool ok = ep.bad == 0 && el.bad == 0;
    if (!ok) {
        failures++;
        std::printf("MISMATCH %s v%d %s%s: P bad %lld (first [%lld] got %g want %g, tol %.2e), lse bad %lld (first "
                    "[%lld] got %g want %g, tol %.2e)\n", type_name<T>(), version, label.c_str(),
                    inPlace ? " in-place" : "", ep.bad, ep.firstBad, ep.badGot, ep.badRef, tolP, el.bad, el.firstBad,
                    el.badGot, el.badRef, tolL);
    }
    cudaCheck(cudaFree(S));
    if (!inPlace) cudaCheck(cudaFree(P));
    cudaCheck(cudaFree(lse));
    if (partial) cudaCheck(cudaFree(partial));
    return ok;
}

static void validate_all() {
    struct Shape { int B, Hq, Nq, Nk; };
    const Shape shapes[] = {{1, 1, 1, 1},  {2, 3, 3, 97},    {1, 2, 113, 1023}, {2, 1, 3, 1025},
                            {1, 1, 97, 1}, {1, 1, 1, 131072}, {2, 2, 3, 131072}};
    int problems = 0;
    for (const Shape& sh : shapes) {
        bool huge = sh.Nk >= 131072;
        for (int combo = 0; combo < 16; combo += huge ? 5 : 1) {
            SoftmaxProblem q;
            q.B = sh.B;
            q.Hq = sh.Hq;
            q.Nq = sh.Nq;
            q.Nk = sh.Nk;
            q.scale = (float)(0.5 + uniform01());
            q.causal = combo % 3;
            const int windows[] = {-1, -1, 0, 2, 50, 100000};
            q.windowLeft = windows[(combo + problems) % 6];
            q.windowRight = windows[(combo * 7 + problems) % 6];
            softmax_random_options(q, combo, (combo * 5 + problems) % 16, uniform01);
            long long n = q.rows() * q.Nk;
            // s: (rows, Nk)
            std::vector<float> s(n);
            for (auto& x : s) x = normal(3.0f);
            std::vector<double> ref(n), refLse(q.rows());  // ref: (rows, Nk), refLse: (rows)
            softmax_reference(q, s.data(), ref.data(), refLse.data());
            std::vector<float> naiveP(n), naiveLse(q.rows());  // the same in plain fp32 loops
            softmax_naive_f32(q, s.data(), naiveP.data(), naiveLse.data());
            char label[160];
            std::snprintf(label, sizeof label, "B=%d Hq=%d Nq=%d Nk=%d combo=%d causal=%d window=(%d,%d)", q.B, q.Hq,
                          q.Nq, q.Nk, combo, q.causal, q.windowLeft, q.windowRight);
            int block = 32 << (problems % 6);  // 32 .. 1024
            int chunkLen = huge ? 8192 : 4 * (1 + problems % 9);
            long long cap = problems % 2 ? 5 : 0;
            for (int version = 1; version <= 3; version++) {
                if (version == 3 && !cached_fits(block, q.Nk)) continue;  // its shared memory holds the row
                validate<float>(version, q, s, ref.data(), refLse.data(), naiveP, naiveLse, block, chunkLen, false, label, cap);
                validate<float>(version, q, s, ref.data(), refLse.data(), naiveP, naiveLse, block, chunkLen, true, label, cap);
                validate<__half>(version, q, s, ref.data(), refLse.data(), naiveP, naiveLse, block, chunkLen, false, label, cap);
                validate<__nv_bfloat16>(version, q, s, ref.data(), refLse.data(), naiveP, naiveLse, block, chunkLen, false, label, cap);
            }
            problems++;
        }
    }
    std::printf("validation: %d problems x {v1, v2, v3 where Nk fits} x {f32, f32 in place, f16, bf16}: %s\n", problems,
                failures ? "FAILED" : "all match the CPU reference");
}

template <typename T>
static void bench_one(const char* name, int BH, int Nq, int Nk, int causal, int version, int block) {
    SoftmaxProblem q;
    q.B = 1;
    q.Hq = BH;
    q.Nq = Nq;
    q.Nk = Nk;
    q.scale = 0.125f;
    q.causal = causal;
    DeviceProblem d(q);
    long long rows = q.rows(), n = rows * Nk;
    std::vector<float> s(n);
    for (auto& x : s) x = normal(3.0f);
    float* S = upload(s);
    T* P;
    float* lse;
    float* partial;
    cudaCheck(cudaMalloc(&P, n * sizeof(T)));
    cudaCheck(cudaMalloc(&lse, rows * sizeof(float)));
    int chunkLen = choose_chunk_len(rows, Nk, num_sms());
    cudaCheck(cudaMalloc(&partial, 2 * rows * (size_t)a4j_num_chunks(Nk, chunkLen) * sizeof(float)));
    float ms = time_ms([&] { launch<T>(version, q, d, S, P, lse, partial, block, chunkLen); }, 20);
    // Bytes the kernel must move: read the visible part of S, write all of P.
    long long visible = 0;
    for (int i = 0; i < Nq; i++) {
        int jb, je;
        a4j_visible_range(i, Nq, Nk, Nk, causal, -1, -1, &jb, &je);
        visible += je - jb;
    }
    double bytes = (double)BH * visible * 4.0 + (double)n * sizeof(T);
    double gbps = bytes / (ms * 1e-3) / 1e9;
    double copy = memcpy_gbps((size_t)(bytes / 2), 20);  // a copy of bytes/2 moves bytes in total
    std::printf("%-26s %-4s v%d block %4d rows %7lld Nk %6d: %8.3f ms %7.1f GB/s = %5.1f%% of D2D copy (%.1f GB/s)\n",
                name, type_name<T>(), version, block, rows, Nk, ms, gbps, 100.0 * gbps / copy, copy);
    cudaCheck(cudaFree(S));
    cudaCheck(cudaFree(P));
    cudaCheck(cudaFree(lse));
    cudaCheck(cudaFree(partial));
}

int main() {
    print_device();
    validate_all();
    if (failures) {
        std::printf("softmax_test: %d mismatches, benchmarks skipped\n", failures);
        return 1;
    }
    // Benchmarks: only after everything passed.
    const int blocks[] = {128, 256, 512, 1024};
    for (int block : blocks) {
        bench_one<float>("prefill H=8 N=2048", 8, 2048, 2048, 0, 1, block);
    }
    for (int block : {32, 64, 128, 256}) {
        bench_one<float>("short rows B*H=256 N=128", 256, 128, 128, 0, 1, block);
    }
    for (int block : {256, 512}) {
        bench_one<float>("prefill H=8 N=2048", 8, 2048, 2048, 0, 3, block);
    }
    bench_one<__half>("prefill H=8 N=2048", 8, 2048, 2048, 0, 1, 256);
    bench_one<__half>("prefill H=8 N=2048", 8, 2048, 2048, 0, 3, 256);
    bench_one<float>("prefill B*H=32 N=8192", 32, 8192, 8192, 0, 1, 512);
    bench_one<float>("prefill B*H=32 N=8192", 32, 8192, 8192, 0, 3, 512);
    bench_one<__nv_bfloat16>("prefill H=8 N=2048", 8, 2048, 2048, 0, 1, 256);
    bench_one<float>("prefill B*H=32 N=4096", 32, 4096, 4096, 0, 1, 512);
    bench_one<float>("causal B*H=32 N=4096", 32, 4096, 4096, 1, 1, 512);
    bench_one<float>("causal B*H=32 N=4096", 32, 4096, 4096, 1, 3, 512);
    bench_one<float>("decode rows=32 Nk=128k", 32, 1, 131072, 0, 1, 1024);
    bench_one<float>("decode rows=32 Nk=128k", 32, 1, 131072, 0, 2, 256);
    bench_one<__half>("decode rows=32 Nk=128k", 32, 1, 131072, 0, 2, 256);
    bench_one<float>("long rows=256 Nk=32k", 256, 1, 32768, 0, 1, 1024);
    bench_one<float>("long rows=256 Nk=32k", 256, 1, 32768, 0, 2, 256);
    std::printf("softmax_test: passed\n");
    return 0;
}

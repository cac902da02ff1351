// Shared host utilities of the native GPU tests (llm.c dev/cuda style): error checking with file and line,
// random data, NaN poisoning, error measurement, cudaEvent timing and the device-to-device copy bandwidth
// that the softmax figures are compared with.
#ifndef ATTENTION4J_NATIVE_COMMON_CUH
#define ATTENTION4J_NATIVE_COMMON_CUH

#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

static void cuda_check(cudaError_t err, const char* file, int line) {
    if (err != cudaSuccess) {
        std::fprintf(stderr, "[CUDA ERROR] at %s:%d\n%s\n", file, line, cudaGetErrorString(err));
        std::exit(EXIT_FAILURE);
    }
}
#define cudaCheck(call) cuda_check((call), __FILE__, __LINE__)

static std::mt19937_64& test_rng() {
    static std::mt19937_64 rng(std::random_device{}());  // fresh random inputs on every run
    return rng;
}
static double uniform01() { return std::uniform_real_distribution<double>(0.0, 1.0)(test_rng()); }
static float normal(float sd) { return std::normal_distribution<float>(0.0f, sd)(test_rng()); }

// Host-side conversions matching the kernels' (round to nearest even).
template <typename T> static T to_t(float x);
template <> inline float to_t<float>(float x) { return x; }
template <> inline __half to_t<__half>(float x) { return __float2half_rn(x); }
template <> inline __nv_bfloat16 to_t<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
static float to_f(float x) { return x; }
static float to_f(__half x) { return __half2float(x); }
static float to_f(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T> static const char* type_name();
template <> inline const char* type_name<float>() { return "f32"; }
template <> inline const char* type_name<__half>() { return "f16"; }
template <> inline const char* type_name<__nv_bfloat16>() { return "bf16"; }

// Relative tolerance of one rounding to T (half an ulp at 1, doubled for the kernel's own fp32 work).
template <typename T> static double rounding_tol();
template <> inline double rounding_tol<float>() { return 2e-6; }
template <> inline double rounding_tol<__half>() { return 1.0e-3; }
template <> inline double rounding_tol<__nv_bfloat16>() { return 8.0e-3; }

// Fills device memory with all-ones bytes: NaN for fp32, fp16 and bf16 alike, so unwritten outputs fail.
static void poison(void* d, size_t bytes) { cudaCheck(cudaMemset(d, 0xFF, bytes)); }

template <typename T>
static T* upload(const std::vector<T>& h) {
    T* d = nullptr;
    if (h.empty()) return nullptr;
    cudaCheck(cudaMalloc(&d, h.size() * sizeof(T)));
    cudaCheck(cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
}
template <typename T>
static std::vector<T> download(const T* d, size_t n) {
    std::vector<T> h(n);
    cudaCheck(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
}

// Max error of got vs ref with tolerance atol + rtol*|ref|; NaN in got never passes (unless ref is NaN too).
struct ErrorReport {
    double maxAbs = 0;
    long long bad = 0, firstBad = -1;
    double badGot = 0, badRef = 0;
};
template <typename T>
static ErrorReport compare(const std::vector<T>& got, const double* ref, size_t n, double atol, double rtol,
                           bool exactZeros) {
    ErrorReport r;
    for (size_t k = 0; k < n; k++) {
        double g = to_f(got[k]);
        bool ok;
        if (std::isnan(ref[k])) ok = std::isnan(g);
        else if (std::isinf(ref[k])) ok = g == ref[k];
        else if (exactZeros && ref[k] == 0.0) ok = g == 0.0;
        else {
            double e = std::fabs(g - ref[k]);
            ok = e <= atol + rtol * std::fabs(ref[k]);  // false for NaN
            if (ok && e > r.maxAbs) r.maxAbs = e;
        }
        if (!ok) {
            if (r.bad == 0) {
                r.firstBad = (long long)k;
                r.badGot = g;
                r.badRef = ref[k];
            }
            r.bad++;
        }
    }
    return r;
}

// Average milliseconds of one call of f over reps (after a warm-up), cudaEvent-timed.
template <typename F>
static float time_ms(F&& f, int reps) {
    f();
    cudaCheck(cudaGetLastError());
    cudaEvent_t a, b;
    cudaCheck(cudaEventCreate(&a));
    cudaCheck(cudaEventCreate(&b));
    cudaCheck(cudaEventRecord(a));
    for (int k = 0; k < reps; k++) f();
    cudaCheck(cudaEventRecord(b));
    cudaCheck(cudaEventSynchronize(b));
    cudaCheck(cudaGetLastError());
    float ms = 0;
    cudaCheck(cudaEventElapsedTime(&ms, a, b));
    cudaCheck(cudaEventDestroy(a));
    cudaCheck(cudaEventDestroy(b));
    return ms / reps;
}

// GB/s of a device-to-device cudaMemcpy of `bytes` (counting the read and the write, 2 * bytes moved).
static double memcpy_gbps(size_t bytes, int reps) {
    void *src, *dst;
    cudaCheck(cudaMalloc(&src, bytes));
    cudaCheck(cudaMalloc(&dst, bytes));
    cudaCheck(cudaMemset(src, 0, bytes));
    float ms = time_ms([&] { cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice)); }, reps);
    cudaCheck(cudaFree(src));
    cudaCheck(cudaFree(dst));
    return 2.0 * bytes / (ms * 1e-3) / 1e9;
}

static int num_sms() {
    int dev = 0, sms = 0;
    cudaCheck(cudaGetDevice(&dev));
    cudaCheck(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    return sms;
}

static void print_device() {
    int dev = 0;
    cudaDeviceProp prop;
    cudaCheck(cudaGetDevice(&dev));
    cudaCheck(cudaGetDeviceProperties(&prop, dev));
    std::printf("device: %s (sm_%d%d, %d SMs)\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
}

static unsigned grid_for(long long work, int block) {
    long long g = (work + block - 1) / block;
    if (g < 1) g = 1;
    if (g > 2147483647LL) g = 2147483647LL;
    return (unsigned)g;
}

#endif

/*
Validation of cuda/convert.cu (llm.c dev/cuda style): the four precision conversions on fresh random data of awkward
lengths (1, 97, 1000003) with NaN, infinities and an overflowing value, outputs NaN-poisoned, against the CPU's
rounding. They round once, so results must be bit-exact.

Build: make -C native-tests   Run: native-tests/build/convert_test
*/
#include "../cuda/convert.cu"
#include "common.cuh"

#include <cstring>

static int failures = 0;

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

int main() {
    print_device();
    for (long long n : {1LL, 97LL, 1000003LL}) {
        validate_convert<float, __half>(a4j_f32_to_f16, "f32_to_f16", n);
        validate_convert<float, __nv_bfloat16>(a4j_f32_to_bf16, "f32_to_bf16", n);
        validate_convert<__half, float>(a4j_f16_to_f32, "f16_to_f32", n);
        validate_convert<__nv_bfloat16, float>(a4j_bf16_to_f32, "bf16_to_f32", n);
    }
    std::printf("validation: conversion kernels %s\n", failures ? "FAILED" : "all bit-exact");
    if (failures) return 1;
    std::printf("convert_test: passed\n");
    return 0;
}

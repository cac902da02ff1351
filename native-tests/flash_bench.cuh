// The benchmark half of flash_test.cu (validate-then-benchmark): TFLOP/s of the fused forward and tokens per
// second of the split-K decode, cudaEvent-timed. Included by flash_test.cu after its kernel tables.
#ifndef ATTENTION4J_FLASH_BENCH_CUH
#define ATTENTION4J_FLASH_BENCH_CUH

template <typename T>
static void bench_forward(int version, int B, int H, int N, int D, int causal) {
    size_t n = (size_t)B * H * N * D;
    T *q, *k, *v, *o;
    float* lse;
    cudaCheck(cudaMalloc(&q, n * sizeof(T)));
    cudaCheck(cudaMalloc(&k, n * sizeof(T)));
    cudaCheck(cudaMalloc(&v, n * sizeof(T)));
    cudaCheck(cudaMalloc(&o, n * sizeof(T)));
    cudaCheck(cudaMalloc(&lse, (size_t)B * H * N * sizeof(float)));
    std::vector<T> host(n);
    for (auto& x : host) x = to_t<T>(normal(1.0f));
    cudaCheck(cudaMemcpy(q, host.data(), n * sizeof(T), cudaMemcpyHostToDevice));
    cudaCheck(cudaMemcpy(k, host.data(), n * sizeof(T), cudaMemcpyHostToDevice));
    cudaCheck(cudaMemcpy(v, host.data(), n * sizeof(T), cudaMemcpyHostToDevice));
    float scale = 1.0f / std::sqrt((float)D);
    FwdFn<T> fn = version == 1 ? K<T>::v1 : K<T>::v2(bucket(D));
    int br = version == 1 ? A4J_FLASH_V1_BR : A4J_FLASH_V2_BR;
    int smem = version == 1 ? a4j_flash_v1_smem(D) : a4j_flash_v2_smem(bucket(D));
    int threads = version == 1 ? A4J_FLASH_V1_THREADS : A4J_FLASH_V2_THREADS;
    smem_opt_in(fn, smem);
    dim3 grid((N + br - 1) / br, H, B);
    int reps = N >= 65536 ? 1 : 10;
    float ms = time_ms([&] {
        fn<<<grid, threads, smem>>>(q, k, v, o, lse, B, H, H, N, N, D, scale, causal, -1, -1, nullptr, nullptr, nullptr,
                                    nullptr, nullptr);
    }, reps);
    double flops = 4.0 * B * H * (double)N * N * D * (causal ? 0.5 : 1.0);
    std::printf("fwd v%d %-4s B=%-3d H=%-2d N=%-6d D=%-3d %-6s %9.3f ms %7.1f TFLOP/s\n", version, type_name<T>(), B, H,
                N, D, causal ? "causal" : "full", ms, flops / (ms * 1e-3) / 1e12);
    cudaFree(q), cudaFree(k), cudaFree(v), cudaFree(o), cudaFree(lse);
}

template <typename T>
static void bench_decode(int B, int Hq, int Hkv, int len, int D) {
    size_t nc = (size_t)B * Hkv * len * D, nq = (size_t)B * Hq * D;
    T *q, *k, *v, *o;
    float *partO, *partL, *lse;
    int* lens;
    std::vector<int> hl(B, len);
    lens = upload(hl);
    cudaCheck(cudaMalloc(&q, nq * sizeof(T)));
    cudaCheck(cudaMalloc(&k, nc * sizeof(T)));
    cudaCheck(cudaMalloc(&v, nc * sizeof(T)));
    cudaCheck(cudaMalloc(&o, nq * sizeof(T)));
    cudaCheck(cudaMemset(q, 0, nq * sizeof(T)));
    cudaCheck(cudaMemset(k, 0, nc * sizeof(T)));
    cudaCheck(cudaMemset(v, 0, nc * sizeof(T)));
    int rowGroups = (Hq / Hkv + 15) / 16;
    int splits = a4j_flash_decode_splits(B, Hq, Hkv, 1, len, num_sms());
    long long rows = (long long)B * Hq;
    cudaCheck(cudaMalloc(&partO, splits * rows * D * sizeof(float)));
    cudaCheck(cudaMalloc(&partL, splits * rows * sizeof(float)));
    cudaCheck(cudaMalloc(&lse, rows * sizeof(float)));
    int smem = a4j_flash_v1_smem(D);
    smem_opt_in(K<T>::dec, smem);
    float scale = 1.0f / std::sqrt((float)D);
    float ms = time_ms([&] {
        K<T>::dec<<<dim3(splits, Hkv * rowGroups, B), 128, smem>>>(q, k, v, partO, partL, lens, B, Hq, Hkv, 1, len, D,
                                                                   scale, 1, -1, -1, nullptr, splits);
        K<T>::comb<<<grid_for(rows, 8), 256>>>(partO, partL, o, lse, rows, splits, D);
    }, 20);
    double bytes = 2.0 * nc * sizeof(T);
    std::printf("decode %-4s B=%d Hq=%d Hkv=%d cache=%-6d D=%d splits=%-3d %8.3f ms %9.0f tokens/s  %6.0f GB/s (K+V read)\n",
                type_name<T>(), B, Hq, Hkv, len, D, splits, ms, B / (ms * 1e-3), bytes / (ms * 1e-3) / 1e9);
    cudaFree(q), cudaFree(k), cudaFree(v), cudaFree(o), cudaFree(partO), cudaFree(partL), cudaFree(lse), cudaFree(lens);
}

#endif

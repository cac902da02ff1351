// The fused attention kernels' CPU reference, shared by native-tests/flash_test.cu (nvcc, host code) and the
// host-only model native-tests/cpu_model/flash_model.cpp (g++): a problem in the dense, varlen or KV-cache
// layout, and its brute-force float64 definition written from the spec (cuda/README.md, "Fused attention"),
// not from the kernels' flash_math.h.
#ifndef ATTENTION4J_FLASH_REF_H
#define ATTENTION4J_FLASH_REF_H

#include <algorithm>
#include <cmath>
#include <vector>

#include "../cuda/flash_math.h"

// One problem in any of the three layouts.
struct Problem {
    int mode = 0;  // 0 dense, 1 varlen, 2 decode (cache)
    int B = 1, Hq = 1, Hkv = 1, Nq = 1, Nk = 1, D = 1;
    float scale = 1;
    int causal = 0, wl = -1, wr = -1;
    std::vector<int> kvLengths;  // dense: optional
    std::vector<float> slopes;   // optional ALiBi
    std::vector<int> cuQ, cuK;   // varlen
    std::vector<int> cacheLens;  // decode: Nk is the capacity
    std::vector<float> q, k, v;
    long long qRows() const { return mode == 1 ? (long long)cuQ[B] * Hq : (long long)B * Hq * Nq; }
    long long kRows() const { return mode == 1 ? (long long)cuK[B] * Hkv : (long long)B * Hkv * Nk; }
};

inline A4jFlashSeq seq_of(const Problem& p, int b) {
    if (p.mode == 2) return a4j_flash_seq_cache(b, p.Hq, p.Hkv, p.Nq, p.Nk, p.D, p.cacheLens.data());
    return a4j_flash_seq(b, p.Hq, p.Hkv, p.Nq, p.Nk, p.D, p.kvLengths.empty() ? nullptr : p.kvLengths.data(),
                         nullptr, p.mode == 1 ? p.cuQ.data() : nullptr, p.mode == 1 ? p.cuK.data() : nullptr);
}

// ---------------------------------------------------------------------------------------------------------
// Definition (float64, from the spec): O and lse at the positions of each layout; weights dense.
struct Result {
    std::vector<double> o, lse, p;  // p only for dense problems when asked
};

inline Result definition(const Problem& p, bool weights) {
    Result r;
    r.o.assign(p.qRows() * p.D, 0.0);
    r.lse.assign(p.qRows(), -INFINITY);
    if (weights) r.p.assign((size_t)p.B * p.Hq * p.Nq * p.Nk, 0.0);
    int g = p.Hq / p.Hkv;
    for (int b = 0; b < p.B; b++) {
        int nq, nk, kvLen;
        long long qTok0 = 0, kTok0 = 0;
        if (p.mode == 1) {
            nq = p.cuQ[b + 1] - p.cuQ[b];
            nk = p.cuK[b + 1] - p.cuK[b];
            kvLen = nk;
            qTok0 = p.cuQ[b];
            kTok0 = p.cuK[b];
        } else if (p.mode == 2) {
            nq = p.Nq;
            nk = p.cacheLens[b];
            kvLen = nk;
        } else {
            nq = p.Nq;
            nk = p.Nk;
            kvLen = p.kvLengths.empty() ? nk : p.kvLengths[b];
        }
        for (int h = 0; h < p.Hq; h++) {
            int hk = h / g;
            for (int i = 0; i < nq; i++) {
                auto qIdx = [&](int d) -> long long {
                    if (p.mode == 1) return ((qTok0 + i) * p.Hq + h) * p.D + d;
                    return (((long long)b * p.Hq + h) * p.Nq + i) * p.D + d;
                };
                auto kIdx = [&](int j, int d) -> long long {
                    if (p.mode == 1) return ((kTok0 + j) * p.Hkv + hk) * p.D + d;
                    return (((long long)b * p.Hkv + hk) * p.Nk + j) * p.D + d;  // Nk = capacity for decode
                };
                std::vector<double> s(nk, -INFINITY);
                double mx = -INFINITY;
                long long diag = (long long)i + nk - nq;
                for (int j = 0; j < nk; j++) {
                    bool vis = j < kvLen;
                    if (p.causal == 1) vis = vis && j <= diag;
                    if (p.causal == 2) vis = vis && j <= i;
                    if (p.wl >= 0) vis = vis && j >= diag - p.wl;
                    if (p.wr >= 0) vis = vis && j <= diag + p.wr;
                    if (!vis) continue;
                    double dot = 0;
                    for (int d = 0; d < p.D; d++) dot += (double)p.q[qIdx(d)] * p.k[kIdx(j, d)];
                    double bias = p.slopes.empty() ? 0.0 : -(double)p.slopes[h] * std::fabs((double)(diag - j));
                    s[j] = (double)p.scale * dot + bias;
                    mx = std::max(mx, s[j]);
                }
                long long row = p.mode == 1 ? (qTok0 + i) * p.Hq + h : ((long long)b * p.Hq + h) * p.Nq + i;
                if (mx == -INFINITY) continue;  // O 0, lse -inf
                double sum = 0;
                for (int j = 0; j < nk; j++) sum += s[j] == -INFINITY ? 0.0 : std::exp(s[j] - mx);
                r.lse[row] = mx + std::log(sum);
                for (int j = 0; j < nk; j++) {
                    if (s[j] == -INFINITY) continue;
                    double w = std::exp(s[j] - mx) / sum;
                    if (weights) r.p[(size_t)row * p.Nk + j] = w;
                    for (int d = 0; d < p.D; d++) r.o[row * p.D + d] += w * p.v[kIdx(j, d)];
                }
            }
        }
    }
    return r;
}

#endif

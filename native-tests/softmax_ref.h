// CPU reference of the fused masked softmax (host-only C++): plain loops in double, written to be checked by
// eye against the spec (java/.../cpu/ReferenceBackend). Used by softmax_test.cu to validate the kernels and
// checked itself against a brute-force long-double definition by cpu_model/cpu_model.cpp.
#ifndef ATTENTION4J_SOFTMAX_REF_H
#define ATTENTION4J_SOFTMAX_REF_H

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <limits>
#include <vector>

// One softmax problem: the kernels' MASKARGS as host data. Empty vectors mean "absent" (NULL).
struct SoftmaxProblem {
    int B = 1, Hq = 1, Nq = 1, Nk = 1;
    float scale = 1.0f;
    int causal = 0;                 // 0 none, 1 bottom-right, 2 top-left
    int windowLeft = -1, windowRight = -1;
    std::vector<int> kvLengths;     // [B] or empty
    std::vector<uint8_t> boolMask;  // broadcast through maskStrides, or empty
    std::vector<float> floatMask;   // broadcast through maskStrides, or empty
    long long maskStrides[4] = {0, 0, 0, 0};
    std::vector<float> alibiSlopes; // [Hq] or empty
    long long rows() const { return (long long)B * Hq * Nq; }
};

// s: (rows, Nk) fp32 raw scores; p: (rows, Nk); lse: (rows). Double throughout.
inline void softmax_reference(const SoftmaxProblem& q, const float* s, double* p, double* lse) {
    const double inf = std::numeric_limits<double>::infinity();
    int off = q.Nk - q.Nq;
    std::vector<double> score(q.Nk);
    std::vector<char> kept(q.Nk);
    for (int b = 0; b < q.B; b++) {
        for (int h = 0; h < q.Hq; h++) {
            for (int i = 0; i < q.Nq; i++) {
                long long row = ((long long)b * q.Hq + h) * q.Nq + i;
                double mx = -inf;
                bool any = false;
                bool nan = false;
                for (int j = 0; j < q.Nk; j++) {
                    bool vis = j < (q.kvLengths.empty() ? q.Nk : q.kvLengths[b]);
                    if (q.causal == 1) vis = vis && j <= i + off;
                    if (q.causal == 2) vis = vis && j <= i;
                    if (q.windowLeft >= 0) vis = vis && j >= (long long)i + off - q.windowLeft;
                    if (q.windowRight >= 0) vis = vis && j <= (long long)i + off + q.windowRight;
                    long long m = b * q.maskStrides[0] + h * q.maskStrides[1] + i * q.maskStrides[2]
                            + j * q.maskStrides[3];
                    if (!q.boolMask.empty()) vis = vis && q.boolMask[m] != 0;
                    double bias = q.floatMask.empty() ? 0.0 : q.floatMask[m];
                    if (!q.alibiSlopes.empty()) bias -= (double)q.alibiSlopes[h] * std::abs(i + off - j);
                    score[j] = (double)q.scale * s[row * q.Nk + j] + bias;
                    kept[j] = vis && score[j] != -inf;  // a -inf float-mask entry removes the key
                    if (kept[j]) {
                        any = true;
                        if (std::isnan(score[j])) nan = true;
                        else mx = std::max(mx, score[j]);
                    }
                }
                if (!any) {
                    for (int j = 0; j < q.Nk; j++) p[row * q.Nk + j] = 0.0;
                    lse[row] = -inf;
                    continue;
                }
                if (nan) mx = std::numeric_limits<double>::quiet_NaN();
                double sum = 0.0;
                for (int j = 0; j < q.Nk; j++) {
                    if (kept[j]) sum += std::exp(score[j] - mx);
                }
                for (int j = 0; j < q.Nk; j++) {
                    p[row * q.Nk + j] = kept[j] ? std::exp(score[j] - mx) / sum : 0.0;
                }
                lse[row] = mx + std::log(sum);
            }
        }
    }
}

// The same computation done naively in fp32 on the CPU (float scores, one sequential sum per row): the
// yardstick of FlashAttention's tolerance rule (a kernel may err by at most 2x this plus a small floor).
// p: (rows, Nk), lse: (rows).
inline void softmax_naive_f32(const SoftmaxProblem& q, const float* s, float* p, float* lse) {
    int off = q.Nk - q.Nq;
    std::vector<float> score(q.Nk);
    std::vector<char> kept(q.Nk);
    for (int b = 0; b < q.B; b++)
        for (int h = 0; h < q.Hq; h++)
            for (int i = 0; i < q.Nq; i++) {
                long long row = ((long long)b * q.Hq + h) * q.Nq + i;
                float mx = -INFINITY;
                bool nan = false;
                for (int j = 0; j < q.Nk; j++) {
                    bool vis = j < (q.kvLengths.empty() ? q.Nk : q.kvLengths[b]);
                    if (q.causal == 1) vis = vis && j <= i + off;
                    if (q.causal == 2) vis = vis && j <= i;
                    if (q.windowLeft >= 0) vis = vis && j >= (long long)i + off - q.windowLeft;
                    if (q.windowRight >= 0) vis = vis && j <= (long long)i + off + q.windowRight;
                    long long m = b * q.maskStrides[0] + h * q.maskStrides[1] + i * q.maskStrides[2]
                            + j * q.maskStrides[3];
                    if (!q.boolMask.empty()) vis = vis && q.boolMask[m] != 0;
                    float bias = q.floatMask.empty() ? 0.0f : q.floatMask[m];
                    if (!q.alibiSlopes.empty()) bias -= q.alibiSlopes[h] * (float)std::abs(i + off - j);
                    score[j] = q.scale * s[row * q.Nk + j] + bias;
                    kept[j] = vis && score[j] != -INFINITY;
                    if (kept[j]) {
                        if (std::isnan(score[j])) nan = true;
                        else mx = std::max(mx, score[j]);
                    }
                }
                if (nan) mx = NAN;
                float sum = 0.0f;
                for (int j = 0; j < q.Nk; j++) {
                    if (kept[j]) sum += std::exp(score[j] - mx);
                }
                for (int j = 0; j < q.Nk; j++) {
                    p[row * q.Nk + j] = kept[j] && sum != 0.0f ? std::exp(score[j] - mx) / sum : 0.0f;
                }
                lse[row] = sum == 0.0f ? -INFINITY : mx + std::log(sum);
            }
}

// Fills the problem's optional parts at random for one mask combination (shared by the GPU test and the
// CPU model so that both cover the same combinations). rnd() returns uniform [0, 1).
// combo bits: 0 key lengths, 1 boolean mask, 2 float mask (with some -inf), 3 ALiBi; maskShape picks which of
// (B, Hq, Nq, Nk) the mask has (bit set = full, else broadcast 1).
template <typename Rnd>
inline void softmax_random_options(SoftmaxProblem& q, int combo, int maskShape, Rnd&& rnd) {
    q.kvLengths.clear();
    q.boolMask.clear();
    q.floatMask.clear();
    q.alibiSlopes.clear();
    if (combo & 1) {
        for (int b = 0; b < q.B; b++) q.kvLengths.push_back((int)(rnd() * (q.Nk + 1)) % (q.Nk + 1));
        q.kvLengths[0] = q.Nk;
        if (q.B > 1) q.kvLengths[q.B - 1] = 0;  // an all-padding batch: fully masked rows
    }
    int dims[4] = {q.B, q.Hq, q.Nq, q.Nk};
    long long stride = 1, count = 1;
    for (int d = 3; d >= 0; d--) {
        bool full = (maskShape >> (3 - d)) & 1;
        q.maskStrides[d] = full && dims[d] > 1 ? stride : 0;
        if (full) {
            stride *= dims[d];
            count *= dims[d];
        }
    }
    if (combo & 2) {
        for (long long k = 0; k < count; k++) q.boolMask.push_back(rnd() < 0.8 ? 1 : 0);
    }
    if (combo & 4) {
        for (long long k = 0; k < count; k++) {
            double u = rnd();
            q.floatMask.push_back(u < 0.1 ? -INFINITY : (float)(4.0 * rnd() - 2.0));
        }
    }
    if (combo & 8) {
        for (int h = 0; h < q.Hq; h++) q.alibiSlopes.push_back((float)std::pow(2.0, -8.0 * (h + 1) / q.Hq));
    }
}

#endif

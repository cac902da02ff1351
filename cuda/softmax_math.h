// Host/device arithmetic shared by softmax.cu, the native tests and the host-only CPU model
// (native-tests/cpu_model), so that the CPU model checks the very code the kernels run:
//  - the running (max, sum) statistic of an online softmax and the merge of two such statistics,
//  - the interval of keys left visible by key length, causal mask and window,
//  - the score of one key after scale, float mask and ALiBi.
// Plain C++ when compiled by g++; __host__ __device__ under nvcc.
#ifndef ATTENTION4J_SOFTMAX_MATH_H
#define ATTENTION4J_SOFTMAX_MATH_H

#include <math.h>

#ifdef __CUDACC__
#define A4J_HD __host__ __device__ __forceinline__
#else
#define A4J_HD inline
#endif

// Dynamic shared memory, in bytes, of a softmax kernel launched with `threads` per block (a multiple of 32): versions
// 1 and 2 keep one (max, sum) float2 per warp. Java's SoftmaxLaunch launches with the same numbers (held to these
// by SoftmaxFormulasTest).
A4J_HD int a4j_softmax_smem(int threads) { return 8 * (threads / 32); }

// Version 3 (the row cached): the per-warp slots padded to whole float4s (16 bytes), then the row with 3 floats of
// room, so that the cached copy keeps the global row's 16-byte alignment (softmax.cu, a4j_softmax_rows_cached).
A4J_HD long long a4j_softmax_cached_smem(int threads, int nk) {
    return 16LL * ((threads / 32 + 1) / 2) + 4LL * ((long long)nk + 3);
}

// Statistic of a set of scores: m = max, l = sum exp(s - m). The empty set is (-inf, 0).
// NaN semantics follow the float64 reference: a NaN score makes l NaN (so P and lse are NaN for the row);
// a +inf score makes l NaN through exp(inf - inf). m itself is never NaN.
A4J_HD void a4j_stat_add(float& m, float& l, float s) {
    if (s == -INFINITY) {
        return;  // a removed key (masked, or a -inf float-mask entry): contributes nothing
    }
    if (s > m) {
        // New maximum: rescale what was summed against the old one. From the empty state this is 0 * 0.
        l *= expf(m - s);
        m = s;
    }
    l += expf(s - m);
}

// (m, l) <- merge of (m, l) and (m2, l2): the statistic of the union of both sets.
A4J_HD void a4j_stat_merge(float& m, float& l, float m2, float l2) {
    float mx = fmaxf(m, m2);
    if (mx == -INFINITY) {
        l = l + l2;  // both empty (l == 0) unless a NaN hides in an l: keep it
        return;
    }
    // exp(-inf - mx) = 0 drops an empty side; inf - inf = NaN poisons as the reference does.
    l = l * expf(m - mx) + l2 * expf(m2 - mx);
    m = mx;
}

// Keys [*jBegin, *jEnd) of query i that pass key length, causal and window (before boolean/float masks), with
// query i's diagonal at key i + diagOff (Nk - Nq unless the call gave start positions: queryStart - keyStart).
// causal: 0 none, 1 bottom-right (j <= i + diagOff), 2 top-left (j <= i); windowLeft/Right -1 = unbounded.
// Computed in 64 bits: i + off - windowLeft can leave the int range for huge windows.
A4J_HD void a4j_visible_range_at(int i, int diagOff, int Nk, int kvLen, int causal, int windowLeft,
                                 int windowRight, int* jBegin, int* jEnd) {
    long long diag = (long long)i + diagOff;
    long long lo = 0;
    long long hi = (long long)kvLen - 1;  // inclusive
    if (hi > Nk - 1) hi = Nk - 1;
    if (causal == 1 && diag < hi) hi = diag;
    if (causal == 2 && i < hi) hi = i;
    if (windowLeft >= 0 && diag - windowLeft > lo) lo = diag - windowLeft;
    if (windowRight >= 0 && diag + windowRight < hi) hi = diag + windowRight;
    if (hi < lo) {
        *jBegin = 0;
        *jEnd = 0;
        return;
    }
    *jBegin = (int)lo;
    *jEnd = (int)(hi + 1);
}

// a4j_visible_range_at with the diagonal of a call that is its own sequence: diagOff = Nk - Nq (bottom-right).
A4J_HD void a4j_visible_range(int i, int Nq, int Nk, int kvLen, int causal, int windowLeft, int windowRight,
                              int* jBegin, int* jEnd) {
    a4j_visible_range_at(i, Nk - Nq, Nk, kvLen, causal, windowLeft, windowRight, jBegin, jEnd);
}

// Score of key j in [jBegin, jEnd): scale * x, then + float mask, - slope * |diag - j|; -inf when the
// boolean mask removes it. keep/fmask/slope are what the mask pointers hold (neutral values when absent).
A4J_HD float a4j_score(float x, float scale, bool keep, float fmask, float slope, int diag, int j) {
    if (!keep) {
        return -INFINITY;
    }
    int dist = diag - j;
    float bias = fmask - slope * (float)(dist < 0 ? -dist : dist);
    return scale * x + bias;
}

#endif

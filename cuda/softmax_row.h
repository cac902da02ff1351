// The per-row work of the softmax kernels, written once for the GPU and for the host-only CPU model
// (native-tests/cpu_model), which runs these very functions thread by thread to check the index math:
// the visible interval, the float4 head/body/tail split, the chunks of version 2, the zero fill.
// Device and host differ only in the 16-byte load and the 4-wide store (#ifdef __CUDA_ARCH__).
// t / nt are threadIdx.x / blockDim.x on the GPU.
#ifndef ATTENTION4J_SOFTMAX_ROW_H
#define ATTENTION4J_SOFTMAX_ROW_H

#include <stdint.h>
#include "softmax_math.h"

#ifdef __CUDACC__
#include "common.cuh"
#else
template <typename T> inline T a4j_from_float(float x) { return (T)x; }
#endif

// Everything about one row that the per-key code needs, resolved once per row.
struct A4jRow {
    const float* s;            // the row of S
    const unsigned char* bm;   // boolean mask at (b, h, i, 0), or NULL
    const float* fm;           // float mask at (b, h, i, 0), or NULL
    long long msJ;             // mask stride along keys
    float scale;
    float slope;               // ALiBi slope of head h, 0 without ALiBi
    int diag;                  // i + diagOff: i + Nk - Nq, or i + diagonals[b] (start positions)
    int jBegin, jEnd;          // visible interval from key length, causal, window
    bool ldg;                  // s is global memory that may go through the read-only cache (not shared memory)
};

// Row r = ((b*Hq + h)*Nq + i) of S [B*Hq*Nq, Nk]; the arguments are the kernels' MASKARGS.
A4J_HD A4jRow a4j_make_row(const float* S, long long row, int B, int Hq, int Nq, int Nk, float scale, int causal,
                           int windowLeft, int windowRight, const int* kvLengths, const int* diagonals,
                           const unsigned char* boolMask,
                           const float* floatMask, long long maskStrideB, long long maskStrideH,
                           long long maskStrideI, long long maskStrideJ, const float* alibiSlopes) {
    (void)B;
    A4jRow r;
    int i = (int)(row % Nq);
    long long bh = row / Nq;
    int h = (int)(bh % Hq);
    int b = (int)(bh / Hq);
    r.s = S + row * (long long)Nk;
    long long mOff = b * maskStrideB + h * maskStrideH + i * maskStrideI;
    r.bm = boolMask ? boolMask + mOff : nullptr;
    r.fm = floatMask ? floatMask + mOff : nullptr;
    r.msJ = maskStrideJ;
    r.scale = scale;
    r.slope = alibiSlopes ? alibiSlopes[h] : 0.0f;
    int diagOff = diagonals ? diagonals[b] : Nk - Nq;
    r.diag = i + diagOff;
    int kvLen = kvLengths ? kvLengths[b] : Nk;
    a4j_visible_range_at(i, diagOff, Nk, kvLen, causal, windowLeft, windowRight, &r.jBegin, &r.jEnd);
    r.ldg = true;
    return r;
}

A4J_HD float a4j_key_score(const A4jRow& r, int j, float x) {
    bool keep = r.bm ? r.bm[j * r.msJ] != 0 : true;
    float fmask = r.fm ? r.fm[j * r.msJ] : 0.0f;
    return a4j_score(x, r.scale, keep, fmask, r.slope, r.diag, j);
}

// [a, e) split into a scalar head [a, body), whole 16-byte-aligned float4s [body, tail), a scalar tail [tail, e).
struct A4jSpan {
    int a, body, tail, e;
};
A4J_HD A4jSpan a4j_span(const float* s, int a, int e) {
    A4jSpan sp;
    sp.a = a;
    sp.e = e;
    int mis = (int)((reinterpret_cast<uintptr_t>(s + a) >> 2) & 3);  // floats past the last 16-byte boundary
    int body = a + ((4 - mis) & 3);
    if (body > e) body = e;
    sp.body = body;
    sp.tail = body + ((e - body) & ~3);
    return sp;
}

struct A4jF4 {
    float x, y, z, w;
};
// 16-byte load; p is 16-byte aligned. readOnly: through the read-only cache (not when P may alias S).
A4J_HD A4jF4 a4j_load4(const float* p, bool readOnly) {
#ifdef __CUDA_ARCH__
    float4 v = readOnly ? __ldg(reinterpret_cast<const float4*>(p)) : *reinterpret_cast<const float4*>(p);
    A4jF4 o = {v.x, v.y, v.z, v.w};
#else
    (void)readOnly;
    A4jF4 o = {p[0], p[1], p[2], p[3]};
#endif
    return o;
}

// P of one key: 0 for a removed key even when the row is NaN (the reference leaves removed keys at 0).
A4J_HD float a4j_prob(float s, float shift, float inv) {
    return s == -INFINITY ? 0.0f : expf(s - shift) * inv;
}

template <typename T>
A4J_HD void a4j_store_p4(T* p, bool vector, float a, float b, float c, float d) {
#ifdef __CUDA_ARCH__
    if (vector) {
        a4j_store4(p, a, b, c, d);
        return;
    }
#else
    (void)vector;
#endif
    p[0] = a4j_from_float<T>(a);
    p[1] = a4j_from_float<T>(b);
    p[2] = a4j_from_float<T>(c);
    p[3] = a4j_from_float<T>(d);
}

// 16-byte store of 4 floats; p is 16-byte aligned.
A4J_HD void a4j_store4f(float* p, A4jF4 v) {
#ifdef __CUDA_ARCH__
    *reinterpret_cast<float4*>(p) = make_float4(v.x, v.y, v.z, v.w);
#else
    p[0] = v.x;
    p[1] = v.y;
    p[2] = v.z;
    p[3] = v.w;
#endif
}

// Version 3: thread t of nt copies the visible keys of the row into cacheBase (16-byte aligned, Nk + 3 floats)
// and returns the row re-pointed at the copy. The copy is shifted so that cache + j has the same address
// modulo 16 as the global s + j: the head/body/tail split, and thus P's vector stores, stay as in version 1.
// The caller must synchronise the block before reading the copy.
A4J_HD A4jRow a4j_cache_row(const A4jRow& r, float* cacheBase, int t, int nt) {
    A4jRow c = r;
    c.s = cacheBase + ((reinterpret_cast<uintptr_t>(r.s) >> 2) & 3);
    c.ldg = false;
    if (r.jBegin >= r.jEnd) return c;
    A4jSpan sp = a4j_span(r.s, r.jBegin, r.jEnd);
    float* dst = const_cast<float*>(c.s);
    for (int j = sp.a + t; j < sp.body; j += nt) dst[j] = r.s[j];
    for (int j = sp.tail + t; j < sp.e; j += nt) dst[j] = r.s[j];
    for (int j = sp.body + 4 * t; j < sp.tail; j += 4 * nt) a4j_store4f(dst + j, a4j_load4(r.s + j, true));
    return c;
}

// Thread t of nt: its (max, sum) over the visible keys of the row that fall in [c0, c1).
A4J_HD void a4j_thread_stats(const A4jRow& r, int c0, int c1, int t, int nt, float& m, float& l) {
    int a = c0 > r.jBegin ? c0 : r.jBegin;
    int e = c1 < r.jEnd ? c1 : r.jEnd;
    m = -INFINITY;
    l = 0.0f;
    if (a >= e) return;
    A4jSpan sp = a4j_span(r.s, a, e);
    for (int j = sp.a + t; j < sp.body; j += nt) a4j_stat_add(m, l, a4j_key_score(r, j, r.s[j]));
    for (int j = sp.tail + t; j < sp.e; j += nt) a4j_stat_add(m, l, a4j_key_score(r, j, r.s[j]));
    for (int j = sp.body + 4 * t; j < sp.tail; j += 4 * nt) {
        A4jF4 v = a4j_load4(r.s + j, r.ldg);
        a4j_stat_add(m, l, a4j_key_score(r, j, v.x));
        a4j_stat_add(m, l, a4j_key_score(r, j + 1, v.y));
        a4j_stat_add(m, l, a4j_key_score(r, j + 2, v.z));
        a4j_stat_add(m, l, a4j_key_score(r, j + 3, v.w));
    }
}

// Thread t of nt writes its share of P over [c0, c1) of the row (p = the row of P), given the row's final
// statistic (mx, sum). Every element of [c0, c1) is written exactly once by exactly one thread, and in the
// visible part by the thread that read it in this function, which makes P == S (in place, fp32) safe.
template <typename T>
A4J_HD void a4j_write_p(const A4jRow& r, T* p, int c0, int c1, float mx, float sum, int t, int nt) {
    // An empty row (sum == 0, mx == -inf) writes zeros: every score is -inf there (a4j_prob gives 0); the
    // neutral shift/inv keep any arithmetic away from -inf - -inf.
    bool empty = sum == 0.0f;
    float shift = empty ? 0.0f : mx;
    float inv = empty ? 0.0f : 1.0f / sum;
    int a = c0 > r.jBegin ? c0 : r.jBegin;
    int e = c1 < r.jEnd ? c1 : r.jEnd;
    if (a >= e) {
        a = c0;  // nothing visible in this range: all zeros
        e = c0;
    }
    T zero = a4j_from_float<T>(0.0f);
    for (int j = c0 + t; j < a; j += nt) p[j] = zero;
    for (int j = e + t; j < c1; j += nt) p[j] = zero;
    if (a >= e) return;
    A4jSpan sp = a4j_span(r.s, a, e);
    for (int j = sp.a + t; j < sp.body; j += nt) {
        p[j] = a4j_from_float<T>(a4j_prob(a4j_key_score(r, j, r.s[j]), shift, inv));
    }
    for (int j = sp.tail + t; j < sp.e; j += nt) {
        p[j] = a4j_from_float<T>(a4j_prob(a4j_key_score(r, j, r.s[j]), shift, inv));
    }
    // P's row need not share S's alignment (fp16 rows, offset buffers): scalar stores then.
    bool vecStore = (reinterpret_cast<uintptr_t>(p + sp.body) & (4 * sizeof(T) - 1)) == 0;
    for (int j = sp.body + 4 * t; j < sp.tail; j += 4 * nt) {
        A4jF4 v = a4j_load4(r.s + j, false);  // not the read-only path: P may alias S
        a4j_store_p4(p + j, vecStore,
                     a4j_prob(a4j_key_score(r, j, v.x), shift, inv),
                     a4j_prob(a4j_key_score(r, j + 1, v.y), shift, inv),
                     a4j_prob(a4j_key_score(r, j + 2, v.z), shift, inv),
                     a4j_prob(a4j_key_score(r, j + 3, v.w), shift, inv));
    }
}

A4J_HD float a4j_lse(float mx, float sum) {
    return sum == 0.0f ? -INFINITY : mx + logf(sum);
}

// Version 2: how many chunks of chunkLen keys a row of Nk keys has, and chunk c's range [*c0, *c1).
A4J_HD int a4j_num_chunks(int Nk, int chunkLen) {
    return (int)(((long long)Nk + chunkLen - 1) / chunkLen);
}
A4J_HD void a4j_chunk_range(int Nk, int chunkLen, int chunk, int* c0, int* c1) {
    long long lo = (long long)chunk * chunkLen;
    long long hi = lo + chunkLen;
    *c0 = (int)(lo < Nk ? lo : Nk);
    *c1 = (int)(hi < Nk ? hi : Nk);
}

#endif

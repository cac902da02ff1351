// Host-only checks of the kernels' logic, for machines without a GPU (g++, no CUDA needed; runs in seconds).
//
//  1. visible_range: a4j_visible_range (the interval the kernels read) equals the per-key conditions of the
//     spec, exhaustively over small shapes, every causal mode, windows including INT_MAX, key lengths 0..Nk.
//  2. stat_merge: the online (max, sum) statistic of softmax_math.h, added key by key and merged over random
//     splits in random order (what the threads, warps and version-2 chunks do), equals the direct max / sum;
//     special values (-inf, +inf, NaN, empty sets) behave as the float64 reference does.
//  3. reference: native-tests/softmax_ref.h (the CPU reference the GPU tests trust) equals a brute-force
//     long-double definition that materialises the broadcast masks by NumPy indexing, for every mask combo.
//  4. kernel emulation: the kernels' own per-row code (cuda/softmax_row.h) run thread by thread with the
//     kernels' reduction order, versions 1, 2 and 3 (row cached, cache NaN-poisoned), misaligned rows, P in place over S, NaN-poisoned outputs,
//     Nk 1..131072, every mask combination, checked against the reference.
//  5. rope: the angle math of cuda/rope_math.h against long double, positions up to 2^31-1; the kernel's
//     per-pair indexing (a4j_rope_pair) run over every thread index against the spec's rotation of x [B,H,N,D]
//     (both pairings, default / shared / per-batch positions).
//
// Build and run: make -C native-tests cpu-model-check
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "../../cuda/softmax_row.h"
#include "../../cuda/rope_math.h"
#include "../softmax_ref.h"

static int failures = 0;
#define CHECK(cond, ...)                                                            \
    do {                                                                            \
        if (!(cond)) {                                                              \
            if (failures < 20) {                                                    \
                std::printf("FAIL %s:%d: ", __FILE__, __LINE__);                    \
                std::printf(__VA_ARGS__);                                           \
                std::printf("\n");                                                  \
            }                                                                       \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static std::mt19937_64 rng(20260511);
static double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

// ---------------------------------------------------------------------------------------------------------
static void check_visible_range() {
    const int windows[] = {-1, 0, 1, 2, 5, 1000, INT_MAX};
    long long cases = 0;
    for (int nq = 1; nq <= 9; nq++) {
        for (int nk = 1; nk <= 9; nk++) {
            for (int kv = 0; kv <= nk; kv++) {
                for (int causal = 0; causal < 3; causal++) {
                    for (int wl : windows) {
                        for (int wr : windows) {
                            for (int i = 0; i < nq; i++) {
                                int jb, je;
                                a4j_visible_range(i, nq, nk, kv, causal, wl, wr, &jb, &je);
                                long long diag = (long long)i + nk - nq;
                                for (int j = 0; j < nk; j++) {
                                    bool vis = j < kv;
                                    if (causal == 1) vis = vis && j <= diag;
                                    if (causal == 2) vis = vis && j <= i;
                                    if (wl >= 0) vis = vis && j >= diag - wl;
                                    if (wr >= 0) vis = vis && j <= diag + wr;
                                    CHECK(vis == (j >= jb && j < je),
                                          "visible_range nq=%d nk=%d kv=%d causal=%d wl=%d wr=%d i=%d j=%d [%d,%d)",
                                          nq, nk, kv, causal, wl, wr, i, j, jb, je);
                                    cases++;
                                }
                                CHECK(jb >= 0 && je <= nk && jb <= je, "range bounds [%d,%d) nk=%d", jb, je, nk);
                            }
                        }
                    }
                }
            }
        }
    }
    std::printf("visible_range: %lld (query, key) cases match the per-key definition\n", cases);
    // Start positions: any diagonal, not only Nk - Nq (a shard of keys before, across or after the queries).
    long long shifted = 0;
    for (int diagOff = -12; diagOff <= 12; diagOff++) {
        for (int nk = 1; nk <= 9; nk++) {
            for (int causal = 0; causal < 3; causal++) {
                for (int wl : windows) {
                    for (int wr : windows) {
                        for (int i = 0; i < 5; i++) {
                            int jb, je;
                            a4j_visible_range_at(i, diagOff, nk, nk, causal, wl, wr, &jb, &je);
                            long long diag = (long long)i + diagOff;
                            for (int j = 0; j < nk; j++) {
                                bool vis = true;
                                if (causal == 1) vis = j <= diag;
                                if (causal == 2) vis = j <= i;
                                if (wl >= 0) vis = vis && j >= diag - wl;
                                if (wr >= 0) vis = vis && j <= diag + wr;
                                CHECK(vis == (j >= jb && j < je), "visible_range_at off=%d nk=%d causal=%d wl=%d "
                                      "wr=%d i=%d j=%d [%d,%d)", diagOff, nk, causal, wl, wr, i, j, jb, je);
                                shifted++;
                            }
                        }
                    }
                }
            }
        }
    }
    std::printf("visible_range_at: %lld (query, key) cases with shifted diagonals match\n", shifted);
}

// ---------------------------------------------------------------------------------------------------------
// Merges stats of the parts [cut_k, cut_k+1) in a random binary tree: any order the GPU may use.
static void random_tree_merge(std::vector<float>& m, std::vector<float>& l) {
    while (m.size() > 1) {
        size_t a = rng() % m.size();
        size_t b = rng() % (m.size() - 1);
        if (b >= a) b++;
        a4j_stat_merge(m[a], l[a], m[b], l[b]);
        m.erase(m.begin() + b);
        l.erase(l.begin() + b);
    }
}

static void check_stat_merge() {
    int trials = 0;
    double worst = 0;
    for (int t = 0; t < 3000; t++) {
        int n = 1 + (int)(rng() % 300);
        std::vector<float> s(n);
        double spread = std::pow(10.0, uniform() * 4 - 1);  // logits from ~0.1 to ~1000 apart
        for (auto& x : s) x = (float)((uniform() * 2 - 1) * spread);
        int removed = (int)(rng() % 3);  // some -inf keys, maybe all of them
        for (int k = 0; k < n; k++) {
            if (removed == 1 && uniform() < 0.3) s[k] = -INFINITY;
            if (removed == 2 && uniform() < 0.97) s[k] = -INFINITY;
        }
        // direct
        long double mx = -INFINITY;
        for (float x : s) mx = std::max(mx, (long double)x);
        long double sum = 0;
        if (mx != -INFINITY) {
            for (float x : s) sum += x == -INFINITY ? 0.0L : std::exp((long double)x - mx);
        }
        // parts, each summed key by key, then merged in a random tree
        int parts = 1 + (int)(rng() % std::min(n, 40));
        std::vector<int> cuts = {0, n};
        for (int k = 1; k < parts; k++) cuts.push_back((int)(rng() % (n + 1)));
        std::sort(cuts.begin(), cuts.end());
        std::vector<float> pm, pl;
        for (size_t k = 0; k + 1 < cuts.size(); k++) {
            float m = -INFINITY, l = 0;
            for (int j = cuts[k]; j < cuts[k + 1]; j++) a4j_stat_add(m, l, s[j]);
            pm.push_back(m);
            pl.push_back(l);
        }
        random_tree_merge(pm, pl);
        if (mx == -INFINITY) {
            CHECK(pm[0] == -INFINITY && pl[0] == 0.0f, "empty set gives (%g, %g)", pm[0], pl[0]);
        } else {
            CHECK(pm[0] == (float)mx, "max %g vs %Lg", pm[0], mx);
            double rel = std::fabs((double)((pl[0] - sum) / sum));
            worst = std::max(worst, rel);
            CHECK(rel < 2e-6 * std::sqrt((double)n) + 1e-6, "sum %g vs %Lg (n=%d, rel %g)", pl[0], sum, n, rel);
        }
        trials++;
    }
    // Special values: as the float64 reference (NaN poisons; +inf gives NaN through inf - inf).
    {
        float m = -INFINITY, l = 0;
        a4j_stat_add(m, l, 1.0f);
        a4j_stat_add(m, l, NAN);
        a4j_stat_add(m, l, 2.0f);
        CHECK(std::isnan(l), "NaN score must poison the sum");
        float m2 = -INFINITY, l2 = 0;
        a4j_stat_merge(m2, l2, m, l);
        CHECK(std::isnan(l2), "NaN must survive a merge into an empty statistic");
        float m3 = -INFINITY, l3 = 0;
        a4j_stat_add(m3, l3, NAN);  // only NaN: max stays -inf, the sum is NaN (not an empty row)
        CHECK(m3 == -INFINITY && std::isnan(l3), "NaN-only set");
        float m4 = 3.0f, l4 = 1.0f;
        a4j_stat_merge(m4, l4, m3, l3);
        CHECK(std::isnan(l4), "merging a NaN-only part poisons");
        float m5 = -INFINITY, l5 = 0;
        a4j_stat_add(m5, l5, 1.0f);
        a4j_stat_add(m5, l5, INFINITY);
        CHECK(m5 == INFINITY && std::isnan(l5), "+inf score gives NaN as exp(inf - inf)");
        float m6 = -INFINITY, l6 = 0, m7 = -INFINITY, l7 = 0;
        a4j_stat_merge(m6, l6, m7, l7);
        CHECK(m6 == -INFINITY && l6 == 0.0f, "empty + empty stays empty");
        float m8 = 5.0f, l8 = 2.0f;
        a4j_stat_merge(m8, l8, -INFINITY, 0.0f);
        CHECK(m8 == 5.0f && l8 == 2.0f, "merging an empty part is exact: (%g, %g)", m8, l8);
        float m9 = -100.0f, l9 = 1.0f;  // far below: exp underflows to 0 cleanly, no NaN
        a4j_stat_merge(m9, l9, 100.0f, 1.0f);
        CHECK(m9 == 100.0f && l9 == 1.0f, "underflowing part: (%g, %g)", m9, l9);
    }
    std::printf("stat_merge: %d random split/merge trials match direct max/sum (worst rel %.2e); special values ok\n",
                trials, worst);
}

// ---------------------------------------------------------------------------------------------------------
// Brute force: masks materialised to the full [B, Hq, Nq, Nk] by NumPy broadcasting (index modulo the mask's
// own shape), every condition as the spec states it, long double.
static void brute_force(const SoftmaxProblem& q, const float* s, std::vector<long double>& p,
                        std::vector<long double>& lse) {
    int dims[4] = {q.B, q.Hq, q.Nq, q.Nk};
    int mshape[4];
    for (int d = 0; d < 4; d++) mshape[d] = q.maskStrides[d] != 0 ? dims[d] : 1;
    auto maskIndex = [&](int b, int h, int i, int j) {
        int idx[4] = {b % mshape[0], h % mshape[1], i % mshape[2], j % mshape[3]};
        long long lin = 0;
        for (int d = 0; d < 4; d++) lin = lin * mshape[d] + idx[d];
        return lin;
    };
    p.assign(q.rows() * q.Nk, 0);
    lse.assign(q.rows(), 0);
    for (int b = 0; b < q.B; b++)
        for (int h = 0; h < q.Hq; h++)
            for (int i = 0; i < q.Nq; i++) {
                long long row = ((long long)b * q.Hq + h) * q.Nq + i;
                std::vector<long double> sc(q.Nk, -INFINITY);
                for (int j = 0; j < q.Nk; j++) {
                    int qpos = i + q.Nk - q.Nq;  // bottom-right diagonal
                    if (!q.kvLengths.empty() && j >= q.kvLengths[b]) continue;
                    if (q.causal == 1 && j > qpos) continue;
                    if (q.causal == 2 && j > i) continue;
                    if (q.windowLeft != -1 && j < (long long)qpos - q.windowLeft) continue;
                    if (q.windowRight != -1 && j > (long long)qpos + q.windowRight) continue;
                    if (!q.boolMask.empty() && !q.boolMask[maskIndex(b, h, i, j)]) continue;
                    long double v = (long double)q.scale * s[row * q.Nk + j];
                    if (!q.floatMask.empty()) v += q.floatMask[maskIndex(b, h, i, j)];
                    if (!q.alibiSlopes.empty()) v -= (long double)q.alibiSlopes[h] * std::abs(qpos - j);
                    sc[j] = v;
                }
                long double mx = -INFINITY;
                for (auto v : sc) mx = std::max(mx, v);
                if (mx == -INFINITY) {
                    lse[row] = -INFINITY;
                    continue;
                }
                long double sum = 0;
                for (auto v : sc) sum += std::exp(v - mx);
                for (int j = 0; j < q.Nk; j++) p[row * q.Nk + j] = std::exp(sc[j] - mx) / sum;
                lse[row] = mx + std::log(sum);
            }
}

static SoftmaxProblem random_problem(int B, int Hq, int Nq, int Nk, int combo, int maskShape) {
    SoftmaxProblem q;
    q.B = B;
    q.Hq = Hq;
    q.Nq = Nq;
    q.Nk = Nk;
    q.scale = (float)(0.5 + uniform());
    q.causal = (int)(rng() % 3);
    const int windows[] = {-1, -1, 0, 1, 3, 40};
    q.windowLeft = windows[rng() % 6];
    q.windowRight = windows[rng() % 6];
    softmax_random_options(q, combo, maskShape, uniform);
    return q;
}

static std::vector<float> random_scores(long long n) {
    std::vector<float> s(n);
    std::normal_distribution<float> nd(0.0f, 3.0f);
    for (auto& x : s) x = nd(rng);
    return s;
}

static void check_reference() {
    int cases = 0;
    double worst = 0;
    const int shapes[][4] = {{1, 1, 1, 1}, {2, 3, 5, 7}, {2, 2, 9, 4}, {1, 2, 13, 97}, {3, 1, 1, 33}};
    for (auto& sh : shapes) {
        for (int combo = 0; combo < 16; combo++) {
            SoftmaxProblem q = random_problem(sh[0], sh[1], sh[2], sh[3], combo, (int)(rng() % 16));
            std::vector<float> s = random_scores(q.rows() * q.Nk);
            std::vector<double> p(q.rows() * q.Nk), lse(q.rows());
            softmax_reference(q, s.data(), p.data(), lse.data());
            std::vector<long double> bp, blse;
            brute_force(q, s.data(), bp, blse);
            for (long long k = 0; k < (long long)p.size(); k++) {
                double e = std::fabs((double)(p[k] - bp[k]));
                worst = std::max(worst, e);
                CHECK(e < 1e-12, "reference P[%lld] %g vs brute %Lg (combo %d)", k, p[k], bp[k], combo);
            }
            for (long long r = 0; r < q.rows(); r++) {
                bool same = (std::isinf(lse[r]) && std::isinf((double)blse[r]) && lse[r] < 0 && blse[r] < 0)
                        || std::fabs((double)(lse[r] - blse[r])) < 1e-12 * std::max(1.0, std::fabs(lse[r]));
                CHECK(same, "reference lse[%lld] %g vs brute %Lg (combo %d)", r, lse[r], blse[r], combo);
            }
            cases++;
        }
    }
    std::printf("reference: softmax_ref.h equals the brute-force definition on %d problems (worst |dP| %.1e)\n",
                cases, worst);
}

// ---------------------------------------------------------------------------------------------------------
// The kernels' block reduction, in their order: butterfly within each warp of 32, then warps 0..n-1.
static void emulate_block_stats(std::vector<float>& m, std::vector<float>& l) {
    int nt = (int)m.size();
    for (int w = 0; w < nt / 32; w++) {
        for (int o = 16; o > 0; o >>= 1) {
            std::vector<float> m0(m.begin() + 32 * w, m.begin() + 32 * w + 32);
            std::vector<float> l0(l.begin() + 32 * w, l.begin() + 32 * w + 32);
            for (int lane = 0; lane < 32; lane++) {
                a4j_stat_merge(m[32 * w + lane], l[32 * w + lane], m0[lane ^ o], l0[lane ^ o]);
            }
        }
    }
    float M = -INFINITY, L = 0;
    for (int w = 0; w < nt / 32; w++) a4j_stat_merge(M, L, m[32 * w], l[32 * w]);
    for (int t = 0; t < nt; t++) {
        m[t] = M;
        l[t] = L;
    }
}

#define EMU_ROW_ARGS(q, S)                                                                                     \
    S, row, q.B, q.Hq, q.Nq, q.Nk, q.scale, q.causal, q.windowLeft, q.windowRight,                              \
        q.kvLengths.empty() ? nullptr : q.kvLengths.data(), nullptr,                                            \
        q.boolMask.empty() ? nullptr : q.boolMask.data(),                                                       \
        q.floatMask.empty() ? nullptr : q.floatMask.data(), q.maskStrides[0], q.maskStrides[1],                 \
        q.maskStrides[2], q.maskStrides[3], q.alibiSlopes.empty() ? nullptr : q.alibiSlopes.data()

// Version 1: a4j_softmax_rows, one block of nt threads per row.
static void emulate_v1(const SoftmaxProblem& q, const float* S, float* P, float* lse, int nt) {
    for (long long row = 0; row < q.rows(); row++) {
        A4jRow r = a4j_make_row(EMU_ROW_ARGS(q, S));
        std::vector<float> m(nt), l(nt);
        for (int t = 0; t < nt; t++) a4j_thread_stats(r, 0, q.Nk, t, nt, m[t], l[t]);
        emulate_block_stats(m, l);
        for (int t = 0; t < nt; t++) a4j_write_p(r, P + row * q.Nk, 0, q.Nk, m[t], l[t], t, nt);
        lse[row] = a4j_lse(m[0], l[0]);
    }
}

// Version 3: a4j_softmax_rows_cached: the row copied to a 16-byte-aligned "shared memory" buffer first,
// poisoned with NaN so that reading a key the copy skipped shows up.
static void emulate_v3(const SoftmaxProblem& q, const float* S, float* P, float* lse, int nt) {
    std::vector<float> smem(q.Nk + 3 + 8);
    float* cache = smem.data() + ((4 - (reinterpret_cast<uintptr_t>(smem.data()) >> 2) % 4) % 4);
    for (long long row = 0; row < q.rows(); row++) {
        std::fill(smem.begin(), smem.end(), NAN);
        A4jRow g = a4j_make_row(EMU_ROW_ARGS(q, S));
        A4jRow r = g;
        for (int t = 0; t < nt; t++) r = a4j_cache_row(g, cache, t, nt);
        CHECK(((reinterpret_cast<uintptr_t>(r.s) ^ reinterpret_cast<uintptr_t>(g.s)) & 15) == 0,
              "cached row keeps the global row's 16-byte alignment");
        CHECK(r.s >= cache && r.s + q.Nk <= cache + q.Nk + 3, "cached row inside the Nk + 3 floats");
        std::vector<float> m(nt), l(nt);
        for (int t = 0; t < nt; t++) a4j_thread_stats(r, 0, q.Nk, t, nt, m[t], l[t]);
        emulate_block_stats(m, l);
        for (int t = 0; t < nt; t++) a4j_write_p(r, P + row * q.Nk, 0, q.Nk, m[t], l[t], t, nt);
        lse[row] = a4j_lse(m[0], l[0]);
    }
}

// Version 2: a4j_softmax_split_stats over every (chunk, row), then a4j_softmax_split_finish.
static void emulate_v2(const SoftmaxProblem& q, const float* S, float* P, float* lse, int nt, int chunkLen) {
    int numChunks = a4j_num_chunks(q.Nk, chunkLen);
    std::vector<float> partial(2 * q.rows() * numChunks, NAN);
    for (long long row = 0; row < q.rows(); row++) {
        for (int chunk = 0; chunk < numChunks; chunk++) {
            int c0, c1;
            a4j_chunk_range(q.Nk, chunkLen, chunk, &c0, &c1);
            A4jRow r = a4j_make_row(EMU_ROW_ARGS(q, S));
            std::vector<float> m(nt), l(nt);
            for (int t = 0; t < nt; t++) a4j_thread_stats(r, c0, c1, t, nt, m[t], l[t]);
            emulate_block_stats(m, l);
            partial[2 * (row * numChunks + chunk)] = m[0];
            partial[2 * (row * numChunks + chunk) + 1] = l[0];
        }
    }
    for (long long row = 0; row < q.rows(); row++) {
        const float* part = partial.data() + 2 * row * numChunks;
        for (int chunk = 0; chunk < numChunks; chunk++) {
            int c0, c1;
            a4j_chunk_range(q.Nk, chunkLen, chunk, &c0, &c1);
            std::vector<float> m(nt, -INFINITY), l(nt, 0.0f);
            for (int t = 0; t < nt; t++)
                for (int c = t; c < numChunks; c += nt) a4j_stat_merge(m[t], l[t], part[2 * c], part[2 * c + 1]);
            emulate_block_stats(m, l);
            A4jRow r = a4j_make_row(EMU_ROW_ARGS(q, S));
            for (int t = 0; t < nt; t++) a4j_write_p(r, P + row * q.Nk, c0, c1, m[t], l[t], t, nt);
            if (chunk == 0) lse[row] = a4j_lse(m[0], l[0]);
        }
    }
}

struct EmuStats {
    int problems = 0;
    double worstP = 0, worstLse = 0;
};

// Runs one problem through both versions, misaligned, in place and not, and checks against the reference.
static void check_emulated(const SoftmaxProblem& q, EmuStats& st, int nt, int chunkLen, bool inPlace, int misalign) {
    long long n = q.rows() * q.Nk;
    std::vector<float> s = random_scores(n);
    std::vector<double> ref(n), refLse(q.rows());
    softmax_reference(q, s.data(), ref.data(), refLse.data());
    for (int version = 1; version <= 3; version++) {
        // Offsets of 0..3 floats from a 16-byte boundary exercise every head/body/tail split.
        std::vector<float> sBuf(n + 8), pBuf(n + 8, NAN);
        float* S = sBuf.data() + ((4 - (reinterpret_cast<uintptr_t>(sBuf.data()) >> 2) % 4) % 4) + misalign;
        std::copy(s.begin(), s.end(), S);
        float* P = inPlace ? S : pBuf.data() + (misalign + version) % 4;
        std::vector<float> lse(q.rows(), NAN);
        if (version == 1) emulate_v1(q, S, P, lse.data(), nt);
        else if (version == 2) emulate_v2(q, S, P, lse.data(), nt, chunkLen);
        else emulate_v3(q, S, P, lse.data(), nt);
        for (long long k = 0; k < n; k++) {
            double e = std::fabs(P[k] - ref[k]);
            if (ref[k] == 0.0) {
                CHECK(P[k] == 0.0f, "v%d P[%lld] = %g where the reference is exactly 0 (Nk=%d)", version, k, P[k], q.Nk);
            }
            st.worstP = std::max(st.worstP, e);
            CHECK(!(e > 1e-5), "v%d P[%lld] = %g vs %g (Nk=%d nt=%d chunk=%d inPlace=%d mis=%d)", version, k, P[k],
                  ref[k], q.Nk, nt, chunkLen, inPlace, misalign);
        }
        for (long long r = 0; r < q.rows(); r++) {
            if (std::isinf(refLse[r])) {
                CHECK(lse[r] == -INFINITY, "v%d lse[%lld] = %g for a fully masked row", version, r, lse[r]);
            } else {
                double e = std::fabs(lse[r] - refLse[r]) / std::max(1.0, std::fabs(refLse[r]));
                st.worstLse = std::max(st.worstLse, e);
                CHECK(!(e > 2e-6), "v%d lse[%lld] = %g vs %g", version, r, lse[r], refLse[r]);
            }
        }
    }
    st.problems++;
}

static void check_kernel_emulation() {
    EmuStats st;
    // Every mask combination on small awkward shapes, several block sizes, chunk lengths and alignments.
    const int shapes[][4] = {{1, 1, 1, 1}, {2, 3, 5, 97}, {1, 2, 7, 3}, {2, 1, 3, 33}, {1, 1, 2, 130}};
    for (auto& sh : shapes) {
        for (int combo = 0; combo < 16; combo++) {
            SoftmaxProblem q = random_problem(sh[0], sh[1], sh[2], sh[3], combo, (int)(rng() % 16));
            int nt = 32 * (1 + (int)(rng() % 4));
            int chunkLen = 4 * (1 + (int)(rng() % 12));
            check_emulated(q, st, nt, chunkLen, rng() % 2 == 0, (int)(rng() % 4));
        }
    }
    // The awkward lengths of the GPU tests (fewer combos; they cost more on one CPU core).
    const int lengths[] = {1023, 1025, 4099};
    for (int nk : lengths) {
        for (int combo : {0, 5, 11, 15}) {
            SoftmaxProblem q = random_problem(1, 2, 3, nk, combo, 15);
            check_emulated(q, st, 256, 512, combo == 5, nk % 4);
        }
    }
    // A 128k-key decoding row split over chunks (version 2's raison d'etre), with causal and a window.
    {
        SoftmaxProblem q = random_problem(1, 1, 2, 131072, 8, 0);
        q.causal = 1;
        q.windowLeft = 100000;
        q.windowRight = -1;
        check_emulated(q, st, 256, 8192, false, 1);
    }
    // NaN in the scores: the row becomes NaN where keys are kept, masked keys stay 0, as the reference.
    {
        SoftmaxProblem q = random_problem(1, 1, 1, 9, 0, 0);
        q.causal = 0;
        q.windowLeft = q.windowRight = -1;
        q.boolMask = {1, 1, 1, 1, 0, 1, 1, 1, 1};
        q.maskStrides[3] = 1;
        std::vector<float> s(9, 0.5f);
        s[2] = NAN;
        std::vector<float> p(9), lse(1);
        emulate_v1(q, s.data(), p.data(), lse.data(), 32);
        CHECK(std::isnan(lse[0]) && p[4] == 0.0f && std::isnan(p[0]), "NaN row: lse %g p0 %g p4 %g", lse[0], p[0], p[4]);
    }
    std::printf("kernel emulation: %d problems x (v1, v2, v3) match the reference (worst |dP| %.2e, lse rel %.2e)\n",
                st.problems, st.worstP, st.worstLse);
}

// ---------------------------------------------------------------------------------------------------------
static void check_rope() {
    const int positions[] = {0, 1, 2, 7, 100, 4095, 32767, 65536, 131071, 131072, 1 << 20, 16777217,
                             INT_MAX, -1, -131072};
    const double bases[] = {10000.0, 500000.0, 1e6, 2.0};
    const int dims[] = {2, 58, 64, 128};
    double worst = 0, worstNaive = 0;
    for (double base : bases)
        for (int D : dims)
            for (int pos : positions)
                for (int t = 0; t < D / 2; t++) {
                    float c, s;
                    a4j_rope_sincos(pos, a4j_rope_theta(base, t, D), &c, &s);
                    long double theta = std::pow((long double)base, (long double)(-2.0 * t) / D);
                    long double a = (long double)pos * theta;
                    long double ce = std::cos(a), se = std::sin(a);
                    double e = std::max(std::fabs((double)(c - ce)), std::fabs((double)(s - se)));
                    worst = std::max(worst, e);
                    // the error a plain fp32 computation would have, for the record
                    float af = (float)pos * (float)std::pow(base, -2.0 * t / D);
                    worstNaive = std::max(worstNaive, (double)std::fabs(std::cos(af) - (float)ce));
                    // |pos| up to 2^31: the double product itself carries up to ~2.4e-7 rad at INT_MAX.
                    // Otherwise fp32 rounding of the results (half an ulp <= 6e-8) plus sinf/cosf's own ~1 ulp.
                    double tol = 1.5e-7 + std::fabs((double)pos) * (double)theta * 2.3e-16;
                    CHECK(e <= tol, "rope pos=%d base=%g D=%d t=%d: cos %.9g vs %.9Lg, sin %.9g vs %.9Lg", pos, base,
                          D, t, c, ce, s, se);
                }
    std::printf("rope: sin/cos of pos*theta within %.2e of long double for |pos| <= 2^31-1 (plain fp32: %.2e)\n",
                worst, worstNaive);
}

// The rope kernel's loop body on the CPU (fp32 x), against ReferenceBackend.rotate in double: the rotary dim R
// (partial rotary: the elements past R untouched), the host's frequency table in float pairs, the factor on cos
// and sin.
static void check_rope_kernel_indexing() {
    int cases = 0;
    double worst = 0;
    for (int D : {2, 6, 58, 64, 59}) {
      for (int R : {D - D % 2, 2 * (D / 4)}) {
        if (R < 2) continue;
        float factor = R == D ? 1.0f : 1.125f;
        std::vector<float> freq(R);  // as RopeFrequencies.packed: hi, lo of base^(-2t/R)
        for (int style = 0; style < 2; style++) {
            for (int posMode = 0; posMode < 3; posMode++) {
                int B = 2, H = 3, N = 5 + (int)(rng() % 7);
                double base = posMode == 1 ? 500000.0 : 10000.0;
                for (int t = 0; t < R / 2; t++) {
                    double f = a4j_rope_theta(base, t, R);
                    freq[2 * t] = (float)f;
                    freq[2 * t + 1] = (float)(f - (double)freq[2 * t]);
                }
                int posOffset = posMode == 0 ? 131072 - N : 0;
                std::vector<int> positions;
                if (posMode == 1) positions.resize(N);
                if (posMode == 2) positions.resize((size_t)B * N);
                for (auto& p : positions) p = (int)(rng() % 200000);
                int batchStride = posMode == 2 ? N : 0;
                long long n = (long long)B * H * N * D;
                std::vector<float> x(n);
                for (auto& v : x) v = (float)(uniform() * 2 - 1);
                std::vector<double> ref(x.begin(), x.end());
                // the spec: vector (b, h, n), pair t of the first R turns by pos * base^(-2t/R), cos/sin * factor
                for (int b = 0; b < B; b++)
                    for (int h = 0; h < H; h++)
                        for (int i = 0; i < N; i++) {
                            int pos = posMode == 0 ? posOffset + i : positions[(size_t)b * batchStride + i];
                            double* v = ref.data() + (((long long)b * H + h) * N + i) * D;
                            for (int t = 0; t < R / 2; t++) {
                                double angle = pos * std::pow(base, -2.0 * t / R);
                                int a = style == 0 ? t : 2 * t, c = style == 0 ? t + R / 2 : 2 * t + 1;
                                double xa = v[a], xb = v[c];
                                v[a] = (xa * std::cos(angle) - xb * std::sin(angle)) * factor;
                                v[c] = (xb * std::cos(angle) + xa * std::sin(angle)) * factor;
                            }
                        }
                // the kernel: one thread per pair, every idx once (shuffled: order must not matter)
                std::vector<int> touched(n, 0);
                long long pairs = (long long)B * H * N * (R / 2);
                std::vector<long long> order(pairs);
                for (long long k = 0; k < pairs; k++) order[k] = k;
                std::shuffle(order.begin(), order.end(), rng);
                for (long long idx : order) {
                    long long ia, ib;
                    int t;
                    int pos = a4j_rope_pair(idx, H, N, D, R, style, posOffset,
                                            positions.empty() ? nullptr : positions.data(), batchStride, &ia, &ib, &t);
                    float c, s;
                    a4j_rope_sincos(pos, a4j_rope_freq(freq.data(), t), &c, &s);
                    c *= factor;
                    s *= factor;
                    float xa = x[ia], xb = x[ib];
                    x[ia] = xa * c - xb * s;
                    x[ib] = xb * c + xa * s;
                    touched[ia]++;
                    touched[ib]++;
                }
                for (long long k = 0; k < n; k++) {
                    int want = k % D < R ? 1 : 0;  // the elements past the rotary dim are not touched
                    CHECK(touched[k] == want, "rope element %lld touched %d times (D=%d R=%d style=%d)", k, touched[k], D,
                          R, style);
                    double e = std::fabs(x[k] - ref[k]);
                    worst = std::max(worst, e);
                    CHECK(e < 1e-6, "rope x[%lld] = %g vs %g (D=%d style=%d posMode=%d)", k, x[k], ref[k], D, style,
                          posMode);
                }
                cases++;
            }
        }
      }
    }
    std::printf("rope kernel indexing: %d cases (rotary dims whole and partial), every element of the rotary part "
                "rotated once and no other touched, within %.1e of the spec's rotation\n",
                cases, worst);
}

int main() {
    check_visible_range();
    check_stat_merge();
    check_reference();
    check_kernel_emulation();
    check_rope();
    check_rope_kernel_indexing();
    if (failures) {
        std::printf("cpu_model: %d check(s) FAILED\n", failures);
        return 1;
    }
    std::printf("cpu_model: all checks passed\n");
    return 0;
}

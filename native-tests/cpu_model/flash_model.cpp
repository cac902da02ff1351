// Host-only model of the fused attention kernels (cuda/flash_fwd.cu, cuda/flash_decode.cu), for machines without
// a GPU (g++, seconds). It runs the kernels' own tile math from cuda/flash_math.h (sequence geometry, visible
// intervals, union of a block's rows, split-K partition, online softmax update, finish, LSE merge, KV append
// index) inside a loop that walks the same grid, the same Br x Bc tiles, the same tile skipping and the same
// per-tile m/l/O update order as the kernels, and checks the result against a brute-force float64 definition
// written from the spec (not from flash_math.h):
//  1. forward v1 (Br 16, Bc 32) and v2 (Br 64, Bc 64 / 32 by head-dim bucket, D zero-padded to the bucket),
//     dense and varlen, over N 1, 113, 1023, 1025, Nq != Nk, D 1, 59, 64, 96, 128, 256, GQA / MQA, every
//     causal mode, windows, key lengths (0 included), ALiBi; fully masked rows give O = 0, lse = -inf;
//  2. tile skipping: every key outside a block's union is masked for all of its rows;
//  3. decode: split-K over the g*Nq rows of a kv head, 16 rows per block, numSplits 1..many (empty splits),
//     then the combine, against the definition with the cache length as Nk;
//  4. weights recompute from the model's lse against the definition's probabilities;
//  5. the LSE merge of random partials (shards with -inf, all -inf) against float64, and merging two key halves
//     of a forward equals the whole;
//  6. split partition: disjoint, exact cover in whole tiles; KV append index math against its definition.
//
// Build and run: make -C native-tests cpu-model-check
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "../../cuda/flash_math.h"
#include "../flash_ref.h"
#include "flash_model_v2.h"

static int failures = 0;
#define CHECK(cond, ...)                                         \
    do {                                                         \
        if (!(cond)) {                                           \
            if (failures < 20) {                                 \
                std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
                std::printf(__VA_ARGS__);                        \
                std::printf("\n");                               \
            }                                                    \
            failures++;                                          \
        }                                                        \
    } while (0)

static std::mt19937_64 rng(20261124);
static float normal() { return std::normal_distribution<float>(0.0f, 1.0f)(rng); }

// ---------------------------------------------------------------------------------------------------------
// Model of one block of the tile loop (flash_core.cuh for v1/decode; flash_fwd.cu's v2 has the same per-row
// order: tile max, update, p, l = alpha*l + sum, O = alpha*O + P.V), in fp32 with flash_math.h.
// Rows: rr in [rowBase, rowBase + br) with i = rr % nqMod, head hBase + rr / nqMod; keys [k0, k1) in tiles of bc.
// dp: the padded head dim the kernel computes with (columns past D are zeros in Q, K and V).
static void model_block(const Problem& p, const A4jFlashSeq& s, int hkv, int rowBase, int rowEnd, int nqMod,
                        int hBase, int br, int bc, int dp, int k0, int k1, float* O, float* lse, long long* tiles) {
    const float scale2 = p.scale * A4J_LOG2E;
    const int nTiles = a4j_flash_num_tiles(k0, k1, bc);
    *tiles += nTiles;
    for (int r = 0; r < br; r++) {
        int rr = rowBase + r;
        if (rr >= rowEnd) continue;
        int h = hBase + rr / nqMod, i = rr % nqMod;
        A4jFlashRow mk = a4j_flash_row(s, i, p.causal, p.wl, p.wr, p.slopes.empty() ? 0.0f : p.slopes[h]);
        const float* qr = p.q.data() + s.qBase + (long long)h * s.qHead + (long long)i * s.qRow;
        float m = -INFINITY, l = 0;
        std::vector<float> acc(dp, 0.0f), sc(bc);
        for (int t = 0; t < nTiles; t++) {
            int j0 = k0 + t * bc;
            int nj = std::min(bc, k1 - j0);
            float mt = -INFINITY;
            for (int c = 0; c < bc; c++) {
                float dot = 0;
                if (c < nj) {
                    const float* kr = p.k.data() + s.kBase + (long long)hkv * s.kHead + (long long)(j0 + c) * s.kRow;
                    for (int d = 0; d < dp; d++) dot += (d < p.D ? qr[d] : 0.0f) * (d < p.D ? kr[d] : 0.0f);
                }
                sc[c] = c < nj ? a4j_flash_score2(mk, j0 + c, dot, scale2) : -INFINITY;
                mt = std::max(mt, sc[c]);
            }
            float alpha;
            float shift = a4j_flash_update(m, mt, &alpha);
            float sum = 0;
            for (int c = 0; c < bc; c++) sc[c] = a4j_flash_p(sc[c], shift), sum += sc[c];
            l = alpha * l + sum;
            for (int d = 0; d < dp; d++) acc[d] *= alpha;
            for (int c = 0; c < nj; c++) {
                const float* vr = p.v.data() + s.kBase + (long long)hkv * s.kHead + (long long)(j0 + c) * s.kRow;
                for (int d = 0; d < p.D; d++) acc[d] += sc[c] * vr[d];
            }
        }
        float inv, ls;
        a4j_flash_finish(m, l, &inv, &ls);
        long long off = s.qBase + (long long)h * s.qHead + (long long)i * s.qRow;
        for (int d = 0; d < p.D; d++) O[off + d] = acc[d] * inv;
        lse[s.lseBase + (long long)h * s.lseHead + (long long)i * s.lseRow] = ls;
    }
}

// Tile skipping: every key outside [kb, ke) is invisible to every row of the block.
static void check_union(const A4jFlashSeq& s, const Problem& p, int r0, int r1, int nqMod, int kb, int ke) {
    for (int rr = r0; rr < r1; rr++) {
        A4jFlashRow mk = a4j_flash_row(s, rr % nqMod, p.causal, p.wl, p.wr, 0.0f);
        if (mk.jb >= mk.je) continue;
        CHECK(mk.jb >= kb && mk.je <= ke, "row %d visible [%d,%d) outside the block's union [%d,%d)", rr, mk.jb,
              mk.je, kb, ke);
    }
}

// The forward grid of version 1 (br 16, bc 32) or 2 (br 64, bc by bucket): x = query tile (walked backwards as
// the kernels do), y = query head, z = batch.
static void model_forward(const Problem& p, int br, int bc, int dp, std::vector<float>& O, std::vector<float>& lse,
                          long long* tiles) {
    O.assign(p.qRows() * p.D, NAN);  // poisoned: every output must be written
    lse.assign(p.qRows(), NAN);
    int gridX = (p.Nq + br - 1) / br;
    for (int b = 0; b < p.B; b++)
        for (int h = 0; h < p.Hq; h++)
            for (int bx = 0; bx < gridX; bx++) {
                int qt = gridX - 1 - bx;
                A4jFlashSeq s = seq_of(p, b);
                int i0 = qt * br;
                if (i0 >= s.Nq) continue;
                int kb, ke;
                a4j_flash_union_keys(s, i0, std::min(i0 + br, s.Nq), 0x7fffffff, p.causal, p.wl, p.wr, &kb, &ke);
                check_union(s, p, i0, std::min(i0 + br, s.Nq), 0x7fffffff, kb, ke);
                model_block(p, s, h / (p.Hq / p.Hkv), i0, s.Nq, 0x7fffffff, h, br, bc, dp, kb, ke, O.data(),
                            lse.data(), tiles);
            }
}

// Decode: grid (numSplits, Hkv * rowGroups, B), partials [numSplits, rows, D], then the combine.
static void model_decode(const Problem& p, int numSplits, std::vector<float>& O, std::vector<float>& lse,
                         long long* tiles, int* emptySplits) {
    const int g = p.Hq / p.Hkv, groupRows = g * p.Nq;
    const int rowGroups = (groupRows + A4J_FLASH_V1_BR - 1) / A4J_FLASH_V1_BR;
    const long long rows = (long long)p.B * p.Hq * p.Nq;
    std::vector<float> partO((size_t)numSplits * rows * p.D, NAN), partL((size_t)numSplits * rows, NAN);
    for (int b = 0; b < p.B; b++)
        for (int y = 0; y < p.Hkv * rowGroups; y++)
            for (int split = 0; split < numSplits; split++) {
                int hkv = y / rowGroups, r0 = (y % rowGroups) * A4J_FLASH_V1_BR;
                A4jFlashSeq s = seq_of(p, b);
                int kb, ke, s0, s1;
                int r1 = std::min(r0 + A4J_FLASH_V1_BR, groupRows);
                a4j_flash_union_keys(s, r0, r1, p.Nq, p.causal, p.wl, p.wr, &kb, &ke);
                check_union(s, p, r0, r1, p.Nq, kb, ke);
                a4j_flash_split_keys(kb, ke, numSplits, split, A4J_FLASH_V1_BC, &s0, &s1);
                if (s0 == s1) ++*emptySplits;
                model_block(p, s, hkv, r0, groupRows, p.Nq, hkv * g, A4J_FLASH_V1_BR, A4J_FLASH_V1_BC, p.D, s0, s1,
                            partO.data() + split * rows * p.D, partL.data() + split * rows, tiles);
            }
    // combine (a4j_lse_merge_rows): the same arithmetic per row and head-dim element
    O.assign(rows * p.D, NAN);
    lse.assign(rows, NAN);
    for (long long row = 0; row < rows; row++) {
        float L = a4j_merge_lse(partL.data() + row, numSplits, rows);
        for (int d = 0; d < p.D; d++) {
            float acc = 0;
            for (int sp = 0; sp < numSplits; sp++) {
                float ls = partL[sp * rows + row];
                if (ls == -INFINITY) continue;
                acc += a4j_merge_weight(ls, L) * partO[(sp * rows + row) * p.D + d];
            }
            O[row * p.D + d] = acc;
        }
        lse[row] = L;
    }
}

// Weights recompute (a4j_flash_weights): P = exp2(score2 - lse*log2e), from the model's lse.
static std::vector<float> model_weights(const Problem& p, const std::vector<float>& lse) {
    std::vector<float> P((size_t)p.B * p.Hq * p.Nq * p.Nk, NAN);
    float scale2 = p.scale * A4J_LOG2E;
    for (int b = 0; b < p.B; b++)
        for (int h = 0; h < p.Hq; h++) {
            A4jFlashSeq s = seq_of(p, b);
            int hkv = h / (p.Hq / p.Hkv);
            for (int i = 0; i < p.Nq; i++) {
                A4jFlashRow mk = a4j_flash_row(s, i, p.causal, p.wl, p.wr, p.slopes.empty() ? 0.0f : p.slopes[h]);
                float L = lse[s.lseBase + (long long)h * s.lseHead + i];
                for (int j = 0; j < p.Nk; j++) {
                    float dot = 0;
                    for (int d = 0; d < p.D; d++)
                        dot += p.q[s.qBase + h * s.qHead + (long long)i * s.qRow + d] *
                               p.k[s.kBase + hkv * s.kHead + (long long)j * s.kRow + d];
                    float s2 = a4j_flash_score2(mk, j, dot, scale2);
                    P[(((size_t)b * p.Hq + h) * p.Nq + i) * p.Nk + j] =
                        (s2 == -INFINITY || L == -INFINITY) ? 0.0f : exp2f(s2 - L * A4J_LOG2E);
                }
            }
        }
    return P;
}

// O and lse against the definition: fully masked rows exactly (0, -inf), the rest within fp32 tolerance.
static int compare(const char* what, const Problem& p, const Result& ref, const std::vector<float>& O,
                   const std::vector<float>& lse, double* worst) {
    int bad = 0;
    for (size_t row = 0; row < ref.lse.size(); row++) {
        bool empty = ref.lse[row] == -INFINITY;
        if (empty) {
            bool ok = lse[row] == -INFINITY;
            for (int d = 0; d < p.D; d++) ok = ok && O[row * p.D + d] == 0.0f;
            if (!ok) bad++;
            CHECK(ok, "%s: fully masked row %zu must give O = 0, lse = -inf (lse %g)", what, row, lse[row]);
            continue;
        }
        double e = std::fabs(lse[row] - ref.lse[row]);
        *worst = std::max(*worst, e / (1 + std::fabs(ref.lse[row])));
        bool ok = e <= 2e-5 * (1 + std::fabs(ref.lse[row]));  // false for NaN
        for (int d = 0; d < p.D; d++) {
            double eo = std::fabs(O[row * p.D + d] - ref.o[row * p.D + d]);
            *worst = std::max(*worst, eo / (1 + std::fabs(ref.o[row * p.D + d])));
            ok = ok && eo <= 2e-5 * (1 + std::fabs(ref.o[row * p.D + d]));
        }
        if (!ok) bad++;
        CHECK(ok, "%s: row %zu differs (lse %g vs %g)", what, row, lse[row], ref.lse[row]);
    }
    return bad;
}

static void fill(Problem& p) {
    p.q.resize(p.qRows() * p.D);
    p.k.resize(p.kRows() * p.D);
    p.v.resize(p.kRows() * p.D);
    for (auto& x : p.q) x = normal();
    for (auto& x : p.k) x = normal();
    for (auto& x : p.v) x = normal();
    p.scale = 1.0f / std::sqrt((float)p.D);
}

static void masks(Problem& p, int combo) {
    p.causal = combo % 3;
    int w = (combo / 3) % 4;  // none, left only, both, right only
    p.wl = (w == 1 || w == 2) ? 1 + (int)(rng() % 70) : -1;
    p.wr = (w == 2 || w == 3) ? (int)(rng() % 20) : -1;
    if (combo / 12 % 2) {
        p.slopes.resize(p.Hq);
        for (int h = 0; h < p.Hq; h++) p.slopes[h] = std::pow(2.0f, -8.0f * (h + 1) / p.Hq);
    } else {
        p.slopes.clear();
    }
}

// ---------------------------------------------------------------------------------------------------------
static void check_forward() {
    struct Shape { int B, Hq, Hkv, Nq, Nk, D; };
    const Shape shapes[] = {
        {2, 2, 1, 1, 1, 64},      {1, 1, 1, 1, 1025, 128},  {2, 4, 2, 113, 113, 59},  {1, 2, 2, 113, 1023, 96},
        {1, 2, 1, 1025, 1023, 59}, {1, 1, 1, 1023, 113, 256}, {3, 3, 1, 97, 200, 1},  {1, 8, 1, 17, 300, 64},
        {2, 2, 2, 200, 77, 128},  {1, 1, 1, 129, 129, 160},
    };
    int cases = 0, bad = 0, fullyMasked = 0, mmaCases = 0;
    long long tiles = 0;
    double worst = 0;
    int si = 0;
    for (const Shape& sh : shapes) {
        for (int combo = 0; combo < 24; combo += (sh.Nq * sh.Nk * sh.D > 20000000 ? 5 : 1)) {
            Problem p;
            p.B = sh.B, p.Hq = sh.Hq, p.Hkv = sh.Hkv, p.Nq = sh.Nq, p.Nk = sh.Nk, p.D = sh.D;
            masks(p, combo + si);
            if ((combo + si) % 2) {  // key lengths, one batch fully padded when there are several
                p.kvLengths.resize(p.B);
                for (int b = 0; b < p.B; b++) p.kvLengths[b] = b == 1 ? 0 : (int)(rng() % (p.Nk + 1));
            }
            fill(p);
            Result ref = definition(p, false);
            for (double x : ref.lse) fullyMasked += x == -INFINITY;
            std::vector<float> O, lse;
            model_forward(p, A4J_FLASH_V1_BR, A4J_FLASH_V1_BC, p.D, O, lse, &tiles);
            bad += compare("v1", p, ref, O, lse, &worst);
            int dp = std::max(32, (p.D + 31) / 32 * 32);
            model_forward(p, A4J_FLASH_V2_BR, a4j_flash_v2_bc(dp), dp, O, lse, &tiles);
            bad += compare("v2", p, ref, O, lse, &worst);
            if (combo % 4 == 0 || (long long)p.Nq * p.Nk * p.D < 3000000) {
                model_forward_v2_mma(p, O, lse);
                bad += compare("v2 mma", p, ref, O, lse, &worst);
                mmaCases++;
            }
            cases++;
        }
        si++;
    }
    std::printf("flash forward v1/v2 (dense): %d problems (%d with v2's warps emulated at the fragment level, %lld "
                "unmasked warp tiles), %d fully masked rows, %lld tiles, worst rel %.2e%s\n", cases, mmaCases,
                plainTiles, fullyMasked, tiles, worst, bad ? " FAILED" : "");
}

static void check_varlen() {
    int cases = 0, bad = 0;
    long long tiles = 0;
    double worst = 0;
    for (int t = 0; t < 24; t++) {
        Problem p;
        p.mode = 1;
        p.B = 1 + (int)(rng() % 4);
        p.Hkv = 1 + (int)(rng() % 2);
        p.Hq = p.Hkv * (1 + (int)(rng() % 3));
        const int Ds[] = {59, 64, 96, 128};
        p.D = Ds[t % 4];
        p.cuQ = {0};
        p.cuK = {0};
        p.Nq = p.Nk = 0;
        for (int b = 0; b < p.B; b++) {
            int nq = (int)(rng() % 150), nk = (int)(rng() % 150);  // empty sequences too
            if (t % 3 == 0 && b == 0) nq = 1;
            if (b == 0) nq = std::max(nq, 1);  // Nq = max Nq_b >= 1: a zero grid is not launched (README)
            p.cuQ.push_back(p.cuQ.back() + nq);
            p.cuK.push_back(p.cuK.back() + nk);
            p.Nq = std::max(p.Nq, nq);
            p.Nk = std::max(p.Nk, nk);
        }
        masks(p, t);
        fill(p);
        Result ref = definition(p, false);
        std::vector<float> O, lse;
        model_forward(p, A4J_FLASH_V1_BR, A4J_FLASH_V1_BC, p.D, O, lse, &tiles);
        bad += compare("varlen v1", p, ref, O, lse, &worst);
        int dp = std::max(32, (p.D + 31) / 32 * 32);
        model_forward(p, A4J_FLASH_V2_BR, a4j_flash_v2_bc(dp), dp, O, lse, &tiles);
        bad += compare("varlen v2", p, ref, O, lse, &worst);
        model_forward_v2_mma(p, O, lse);
        bad += compare("varlen v2 mma", p, ref, O, lse, &worst);
        cases++;
    }
    std::printf("flash varlen (token-major, per-sequence alignment): %d problems, worst rel %.2e%s\n", cases, worst,
                bad ? " FAILED" : "");
}

static void check_decode() {
    int cases = 0, bad = 0, empty = 0;
    long long tiles = 0;
    double worst = 0;
    const int splits[] = {1, 2, 3, 7, 16, 64};
    for (int t = 0; t < 30; t++) {
        Problem p;
        p.mode = 2;
        p.B = 1 + (int)(rng() % 3);
        p.Hkv = 1 + (int)(rng() % 2);
        p.Hq = p.Hkv * (t % 3 == 0 ? 1 : (t % 3 == 1 ? 4 : 8));  // MHA, GQA, MQA-like groups
        p.Nq = t % 5 == 0 ? 16 : 1 + (int)(rng() % 4);
        p.Nk = t % 4 == 0 ? 1025 : 300;  // capacity
        p.D = t % 2 ? 64 : 59;
        p.cacheLens.resize(p.B);
        for (int b = 0; b < p.B; b++) p.cacheLens[b] = b == 1 ? 0 : std::max(p.Nq, (int)(rng() % (p.Nk + 1)));
        masks(p, t);
        fill(p);
        Result ref = definition(p, false);
        for (int ns : splits) {
            std::vector<float> O, lse;
            model_decode(p, ns, O, lse, &tiles, &empty);
            bad += compare("decode", p, ref, O, lse, &worst);
        }
        cases++;
    }
    std::printf("flash decode (split-K + combine): %d problems x %zu split counts, %d empty splits, worst rel %.2e%s\n",
                cases, sizeof(splits) / sizeof(splits[0]), empty, worst, bad ? " FAILED" : "");
}

static void check_weights() {
    int cases = 0;
    double worst = 0;
    for (int t = 0; t < 12; t++) {
        Problem p;
        p.B = 2, p.Hkv = 1, p.Hq = 2, p.Nq = t % 2 ? 1 : 45, p.Nk = t % 3 ? 70 : 1, p.D = t % 2 ? 59 : 32;
        masks(p, t * 2 + 1);
        p.kvLengths = {(int)(rng() % (p.Nk + 1)), 0};
        fill(p);
        Result ref = definition(p, true);
        std::vector<float> O, lse;
        long long tiles = 0;
        model_forward(p, A4J_FLASH_V1_BR, A4J_FLASH_V1_BC, p.D, O, lse, &tiles);
        std::vector<float> P = model_weights(p, lse);
        for (size_t e = 0; e < P.size(); e++) {
            if (ref.p[e] == 0.0) {
                CHECK(P[e] == 0.0f, "weights: masked entry %zu must be exactly 0, got %g", e, P[e]);
            } else {
                double err = std::fabs(P[e] - ref.p[e]);
                worst = std::max(worst, err);
                CHECK(err <= 2e-5, "weights entry %zu: %g vs %g", e, P[e], ref.p[e]);
            }
        }
        cases++;
    }
    std::printf("flash weights recompute: %d problems, worst abs %.2e\n", cases, worst);
}

static void check_merge() {
    // random partials, some shards empty (-inf with garbage O), some rows all empty
    double worst = 0;
    int trials = 0;
    for (int t = 0; t < 400; t++) {
        int S = 1 + (int)(rng() % 9), rows = 1 + (int)(rng() % 5), Dv = 1 + (int)(rng() % 40);
        std::vector<float> o((size_t)S * rows * Dv), l((size_t)S * rows);
        for (auto& x : o) x = normal();
        for (auto& x : l) x = normal() * 30;
        for (int r = 0; r < rows; r++)
            for (int s = 0; s < S; s++) {
                if (rng() % 4 == 0 || (t % 7 == 0 && r == 0)) {
                    l[s * rows + r] = -INFINITY;
                    for (int d = 0; d < Dv; d++) o[((size_t)s * rows + r) * Dv + d] = NAN;  // must not be read
                }
            }
        for (int r = 0; r < rows; r++) {
            float L = a4j_merge_lse(l.data() + r, S, rows);
            double mx = -INFINITY;
            for (int s = 0; s < S; s++) mx = std::max(mx, (double)l[s * rows + r]);
            if (mx == -INFINITY) {
                CHECK(L == -INFINITY, "merge of empty shards: lse %g", L);
            } else {
                double sum = 0;
                for (int s = 0; s < S; s++) sum += std::exp((double)l[s * rows + r] - mx);
                double Lref = mx + std::log(sum);
                CHECK(std::fabs(L - Lref) <= 1e-5 * (1 + std::fabs(Lref)), "merge lse %g vs %g", L, Lref);
            }
            for (int d = 0; d < Dv; d++) {
                float acc = 0;
                double ref = 0;
                for (int s = 0; s < S; s++) {
                    float ls = l[s * rows + r];
                    if (ls == -INFINITY) continue;
                    acc += a4j_merge_weight(ls, L) * o[((size_t)s * rows + r) * Dv + d];
                    ref += std::exp((double)ls - (mx + std::log([&] {
                                         double sm = 0;
                                         for (int q = 0; q < S; q++) sm += std::exp((double)l[q * rows + r] - mx);
                                         return sm;
                                     }()))) * o[((size_t)s * rows + r) * Dv + d];
                }
                if (mx == -INFINITY) {
                    CHECK(acc == 0.0f, "merge of empty shards: o %g", acc);
                } else {
                    worst = std::max(worst, std::fabs(acc - ref));
                    CHECK(std::fabs(acc - ref) <= 1e-5 * (1 + std::fabs(ref)), "merge o %g vs %g", acc, ref);
                }
            }
        }
        trials++;
    }
    // two key halves of a forward merge into the whole (the public merge's promise)
    int halves = 0;
    for (int t = 0; t < 6; t++) {
        Problem p;
        p.B = 1, p.Hq = 2, p.Hkv = 1, p.Nq = 37, p.Nk = 90, p.D = 59;
        fill(p);
        // no causal/window here: each shard's own Nk would move the bottom-right diagonal
        int cut = 1 + (int)(rng() % (p.Nk - 1));
        Problem a = p, b2 = p;
        a.Nk = cut;
        b2.Nk = p.Nk - cut;
        a.k.clear(), a.v.clear(), b2.k.clear(), b2.v.clear();
        for (int h = 0; h < p.Hkv; h++)
            for (int j = 0; j < p.Nk; j++)
                for (int d = 0; d < p.D; d++) {
                    Problem& dst = j < cut ? a : b2;
                    dst.k.push_back(p.k[((size_t)h * p.Nk + j) * p.D + d]);
                    dst.v.push_back(p.v[((size_t)h * p.Nk + j) * p.D + d]);
                }
        std::vector<float> Oa, La, Ob, Lb, Ow, Lw;
        long long tiles = 0;
        model_forward(a, A4J_FLASH_V1_BR, A4J_FLASH_V1_BC, p.D, Oa, La, &tiles);
        model_forward(b2, A4J_FLASH_V1_BR, A4J_FLASH_V1_BC, p.D, Ob, Lb, &tiles);
        model_forward(p, A4J_FLASH_V1_BR, A4J_FLASH_V1_BC, p.D, Ow, Lw, &tiles);
        long long rows = La.size();
        for (long long r = 0; r < rows; r++) {
            float ls[2] = {La[r], Lb[r]};
            float L = a4j_merge_lse(ls, 2, 1);
            CHECK(std::fabs(L - Lw[r]) <= 1e-5f * (1 + std::fabs(Lw[r])), "halves lse %g vs %g", L, Lw[r]);
            for (int d = 0; d < p.D; d++) {
                float o = a4j_merge_weight(La[r], L) * Oa[r * p.D + d] + a4j_merge_weight(Lb[r], L) * Ob[r * p.D + d];
                CHECK(std::fabs(o - Ow[r * p.D + d]) <= 2e-5f, "halves o %g vs %g", o, Ow[r * p.D + d]);
            }
        }
        halves++;
    }
    std::printf("lse merge: %d random partial sets (empty shards with NaN O skipped), worst abs %.2e; %d half-merges equal the whole\n",
                trials, worst, halves);
}

static void check_partitions() {
    long long cases = 0;
    for (int kb = 0; kb < 70; kb += 7)
        for (int len = 0; len < 300; len += 13)
            for (int ns = 1; ns <= 12; ns++) {
                int ke = kb + len;
                std::vector<int> hit(ke + 1, 0);
                for (int s = 0; s < ns; s++) {
                    int s0, s1;
                    a4j_flash_split_keys(kb, ke, ns, s, A4J_FLASH_V1_BC, &s0, &s1);
                    CHECK(s0 <= s1 && s0 >= std::min(kb, ke) && s1 <= ke, "split range [%d,%d) of [%d,%d)", s0, s1, kb, ke);
                    CHECK(s0 == s1 || (s0 - kb) % A4J_FLASH_V1_BC == 0, "split start %d not on a tile", s0);
                    for (int j = s0; j < s1; j++) hit[j]++;
                }
                for (int j = kb; j < ke; j++) CHECK(hit[j] == 1, "key %d covered %d times", j, hit[j]);
                cases++;
            }
    // KV append: every element lands at its definition's position, nothing outside the cache
    int appendCases = 0;
    for (int t = 0; t < 200; t++) {
        int B = 1 + (int)(rng() % 3), Hkv = 1 + (int)(rng() % 3), Nnew = 1 + (int)(rng() % 5), cap = 1 + (int)(rng() % 9),
            D = 1 + (int)(rng() % 6);
        std::vector<int> lens(B), nl(B);
        for (int b = 0; b < B; b++) lens[b] = (int)(rng() % (cap + 3)) - 1, nl[b] = (int)(rng() % (Nnew + 1));
        bool useNl = t % 2;
        std::vector<int> written((size_t)B * Hkv * cap * D, 0);
        for (long long e = 0; e < (long long)B * Hkv * Nnew * D; e++) {
            long long dst;
            bool ok = a4j_kv_append_dst(e, lens.data(), useNl ? nl.data() : nullptr, Hkv, Nnew, cap, D, &dst);
            int d = (int)(e % D), n = (int)(e / D % Nnew), hk = (int)(e / D / Nnew % Hkv), b = (int)(e / D / Nnew / Hkv);
            long long pos = (long long)lens[b] + n;
            bool want = n < (useNl ? nl[b] : Nnew) && pos >= 0 && pos < cap;
            CHECK(ok == want, "append element %lld: written %d, expected %d", e, ok, want);
            if (ok && want) {
                CHECK(dst == (((long long)b * Hkv + hk) * cap + pos) * D + d, "append destination of %lld", e);
                written[dst]++;
            }
        }
        for (int w : written) CHECK(w <= 1, "a cache element written twice");
        appendCases++;
    }
    std::printf("split partition: %lld (range, splits) cases cover exactly in whole tiles; kv append: %d cases\n",
                cases, appendCases);
}

int main() {
    check_partitions();
    check_forward();
    check_varlen();
    check_decode();
    check_weights();
    check_merge();
    if (failures) {
        std::printf("flash_model: %d check(s) FAILED\n", failures);
        return 1;
    }
    std::printf("flash_model: all checks passed\n");
    return 0;
}

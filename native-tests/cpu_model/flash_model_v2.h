// Version 2 of the fused forward (cuda/flash_fwd.cu) modelled warp by warp at the fragment level, for
// flash_model.cpp: every lane's registers explicit, ldmatrix / mma emulated from the PTX ISA (mma_emu.h), and
// the kernel's own fragment offsets, accumulator coordinates, P packing and softmax math (cuda/flash_math.h).
#ifndef ATTENTION4J_FLASH_MODEL_V2_H
#define ATTENTION4J_FLASH_MODEL_V2_H

#include <algorithm>
#include <cmath>
#include <vector>

#include "../../cuda/flash_math.h"
#include "../flash_ref.h"
#include "mma_emu.h"

// Version 2 warp by warp (flash_fwd.cu's a4j_flash_fwd_v2): Qi, Kj, Vj in "shared memory" laid out as the
// kernel's (row stride DP + 8; rows past the data and columns past D zero; the 8 pad columns NaN, so that a
// fragment offset reaching them poisons the result), ldmatrix and mma emulated from the ISA (mma_emu.h), every
// lane's registers explicit, and the kernel's fragment offsets, accumulator coordinates, P packing, quad
// reductions and online softmax (flash_math.h).
static long long plainTiles = 0;  // warp tiles that took the kernel's unmasked path
static void model_forward_v2_mma(const Problem& p, std::vector<float>& O, std::vector<float>& lse) {
    const int DP = std::max(32, (p.D + 31) / 32 * 32), BR = A4J_FLASH_V2_BR, BC = a4j_flash_v2_bc(DP);
    const int LD = DP + 8, NT_S = BC / 8, NT_O = DP / 8, KS_QK = DP / 16, KS_PV = BC / 16, NW = 4;
    O.assign(p.qRows() * p.D, NAN);
    lse.assign(p.qRows(), NAN);
    const float scale2 = p.scale * A4J_LOG2E;
    std::vector<float> sQ(BR * LD, NAN), sK(BC * LD, NAN), sV(BC * LD, NAN);
    auto load_rows = [&](std::vector<float>& dst, int rows, const float* src, long long rowStride, int r0, int nValid) {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < DP; c++)
                dst[r * LD + c] = (r < nValid && c < p.D) ? src[(long long)(r0 + r) * rowStride + c] : 0.0f;
    };
    // per warp and lane: running statistics and O accumulators (o[warp][n-tile][lane][e])
    std::vector<float> mA(NW * 32), mB(NW * 32), lA(NW * 32), lB(NW * 32);
    std::vector<float> o((size_t)NW * NT_O * 32 * 4);
    int gridX = (p.Nq + BR - 1) / BR;
    for (int b = 0; b < p.B; b++)
        for (int h = 0; h < p.Hq; h++)
            for (int bx = 0; bx < gridX; bx++) {
                const int qt = gridX - 1 - bx, hkv = h / (p.Hq / p.Hkv);
                A4jFlashSeq s = seq_of(p, b);
                const int i0 = qt * BR;
                if (i0 >= s.Nq) continue;
                int kb, ke;
                a4j_flash_union_keys(s, i0, std::min(i0 + BR, s.Nq), 0x7fffffff, p.causal, p.wl, p.wr, &kb, &ke);
                const float* Qh = p.q.data() + s.qBase + (long long)h * s.qHead;
                const float* Kh = p.k.data() + s.kBase + (long long)hkv * s.kHead;
                const float* Vh = p.v.data() + s.kBase + (long long)hkv * s.kHead;
                const float slope = p.slopes.empty() ? 0.0f : p.slopes[h];
                load_rows(sQ, BR, Qh, s.qRow, i0, s.Nq - i0);
                std::fill(mA.begin(), mA.end(), -INFINITY);
                std::fill(mB.begin(), mB.end(), -INFINITY);
                std::fill(lA.begin(), lA.end(), 0.0f);
                std::fill(lB.begin(), lB.end(), 0.0f);
                std::fill(o.begin(), o.end(), 0.0f);
                const int nTiles = a4j_flash_num_tiles(kb, ke, BC);
                for (int t = 0; t < nTiles; t++) {
                    const int j0 = kb + t * BC;
                    load_rows(sK, BC, Kh, s.kRow, j0, std::min(BC, ke - j0));
                    load_rows(sV, BC, Vh, s.kRow, j0, std::min(BC, ke - j0));
                    for (int w = 0; w < NW; w++) {
                        static float sc[8][32][4];
                        static Reg2 a[32][4], bq[32][4], pa[4][32][4];
                        Reg2 b0[32], b1[32], b2[32], b3[32];
                        int addr[32];
                        for (int n = 0; n < NT_S; n++)
                            for (int lane = 0; lane < 32; lane++)
                                for (int e = 0; e < 4; e++) sc[n][lane][e] = 0.0f;
                        for (int ks = 0; ks < KS_QK; ks++) {
                            for (int lane = 0; lane < 32; lane++) addr[lane] = a4j_v2_ldm_a(lane, w, ks, LD);
                            emu_ldmatrix_x4(sQ.data(), addr, a, false);
                            for (int np = 0; np < NT_S / 2; np++) {
                                for (int lane = 0; lane < 32; lane++) addr[lane] = a4j_v2_ldm_k(lane, np, ks, LD);
                                emu_ldmatrix_x4(sK.data(), addr, bq, false);
                                for (int lane = 0; lane < 32; lane++)
                                    b0[lane] = bq[lane][0], b1[lane] = bq[lane][1], b2[lane] = bq[lane][2], b3[lane] = bq[lane][3];
                                emu_mma16816(sc[2 * np], a, b0, b1);
                                emu_mma16816(sc[2 * np + 1], a, b2, b3);
                            }
                        }
                        float mt[32][2], alpha[32][2], shift[32][2], sum[32][2];
                        bool plain = slope == 0.0f;  // the kernel's __all_sync fast path: tile whole for every row
                        for (int lane = 0; lane < 32; lane++) {
                            A4jFlashRow rA = a4j_flash_row(s, i0 + w * 16 + a4j_mma_c_row(lane, 0), p.causal, p.wl, p.wr, slope);
                            A4jFlashRow rB = a4j_flash_row(s, i0 + w * 16 + a4j_mma_c_row(lane, 2), p.causal, p.wl, p.wr, slope);
                            plain = plain && rA.jb <= j0 && rA.je >= j0 + BC && rB.jb <= j0 && rB.je >= j0 + BC;
                        }
                        plainTiles += plain;
                        for (int lane = 0; lane < 32; lane++) {
                            A4jFlashRow rA = a4j_flash_row(s, i0 + w * 16 + a4j_mma_c_row(lane, 0), p.causal, p.wl, p.wr, slope);
                            A4jFlashRow rB = a4j_flash_row(s, i0 + w * 16 + a4j_mma_c_row(lane, 2), p.causal, p.wl, p.wr, slope);
                            mt[lane][0] = mt[lane][1] = -INFINITY;
                            for (int n = 0; n < NT_S; n++)
                                for (int e = 0; e < 4; e++) {
                                    int j = j0 + n * 8 + a4j_mma_c_col(lane, e);
                                    float& x = sc[n][lane][e];
                                    x = plain ? x * scale2 : a4j_flash_score2(e < 2 ? rA : rB, j, x, scale2);
                                    mt[lane][e / 2] = std::max(mt[lane][e / 2], x);
                                }
                        }
                        for (int lane = 0; lane < 32; lane++)  // shfl_xor 1, 2: the quad's maximum
                            for (int r = 0; r < 2; r++) {
                                float q = -INFINITY;
                                for (int x = 0; x < 4; x++) q = std::max(q, mt[(lane & ~3) + x][r]);
                                alpha[lane][r] = q;  // staged: lanes must not see their quad's updated values
                            }
                        for (int lane = 0; lane < 32; lane++) {
                            int ix = w * 32 + lane;
                            shift[lane][0] = a4j_flash_update(mA[ix], alpha[lane][0], &alpha[lane][0]);
                            shift[lane][1] = a4j_flash_update(mB[ix], alpha[lane][1], &alpha[lane][1]);
                            sum[lane][0] = sum[lane][1] = 0.0f;
                            for (int n = 0; n < NT_S; n++) {
                                float pv[4];
                                for (int e = 0; e < 4; e++) pv[e] = a4j_flash_p(sc[n][lane][e], shift[lane][e / 2]);
                                sum[lane][0] += pv[0] + pv[1];
                                sum[lane][1] += pv[2] + pv[3];
                                pa[n >> 1][lane][a4j_v2_pa_reg(n, 0)] = Reg2{pv[0], pv[1]};
                                pa[n >> 1][lane][a4j_v2_pa_reg(n, 1)] = Reg2{pv[2], pv[3]};
                            }
                        }
                        for (int lane = 0; lane < 32; lane++) {
                            int ix = w * 32 + lane;
                            float qa = 0, qb = 0;
                            for (int x = 0; x < 4; x++) qa += sum[(lane & ~3) + x][0], qb += sum[(lane & ~3) + x][1];
                            lA[ix] = alpha[lane][0] * lA[ix] + qa;
                            lB[ix] = alpha[lane][1] * lB[ix] + qb;
                            for (int n = 0; n < NT_O; n++)
                                for (int e = 0; e < 4; e++) o[(((size_t)w * NT_O + n) * 32 + lane) * 4 + e] *= alpha[lane][e / 2];
                        }
                        for (int ks = 0; ks < KS_PV; ks++) {
                            for (int np = 0; np < NT_O / 2; np++) {
                                for (int lane = 0; lane < 32; lane++) addr[lane] = a4j_v2_ldm_v(lane, np, ks, LD);
                                emu_ldmatrix_x4(sV.data(), addr, bq, true);
                                for (int lane = 0; lane < 32; lane++)
                                    b0[lane] = bq[lane][0], b1[lane] = bq[lane][1], b2[lane] = bq[lane][2], b3[lane] = bq[lane][3];
                                emu_mma16816(reinterpret_cast<float(*)[4]>(&o[(((size_t)w * NT_O + 2 * np) * 32) * 4]), pa[ks], b0, b1);
                                emu_mma16816(reinterpret_cast<float(*)[4]>(&o[(((size_t)w * NT_O + 2 * np + 1) * 32) * 4]), pa[ks], b2, b3);
                            }
                        }
                    }
                }
                for (int w = 0; w < NW; w++)
                    for (int lane = 0; lane < 32; lane++) {
                        int ix = w * 32 + lane;
                        float inv[2], ls[2];
                        a4j_flash_finish(mA[ix], lA[ix], &inv[0], &ls[0]);
                        a4j_flash_finish(mB[ix], lB[ix], &inv[1], &ls[1]);
                        for (int r = 0; r < 2; r++) {
                            int i = i0 + w * 16 + a4j_mma_c_row(lane, 2 * r);
                            if (i >= s.Nq) continue;
                            long long off = s.qBase + (long long)h * s.qHead + (long long)i * s.qRow;
                            for (int n = 0; n < NT_O; n++)
                                for (int e = 0; e < 2; e++) {
                                    int d = n * 8 + a4j_mma_c_col(lane, e);
                                    if (d < p.D) O[off + d] = o[(((size_t)w * NT_O + n) * 32 + lane) * 4 + 2 * r + e] * inv[r];
                                }
                            if ((lane & 3) == 0) lse[s.lseBase + (long long)h * s.lseHead + (long long)i * s.lseRow] = ls[r];
                        }
                    }
            }
}

#endif

// CPU emulation of the warp-collective instructions of the fused kernel version 2, written from the PTX ISA's
// description (not from the kernel): ldmatrix.sync.aligned.m8n8.x4[.trans].shared.b16 and
// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.f32. A 32-bit register holding two 16-bit values is a
// pair of floats (lo = the lower half); the emulation does not round to 16 bits (it checks the wiring).
#ifndef ATTENTION4J_MMA_EMU_H
#define ATTENTION4J_MMA_EMU_H

struct Reg2 {
    float lo = 0, hi = 0;
};

// ldmatrix x4: lanes 8m..8m+7 give the row addresses (element offsets into smem) of matrix m. Without .trans,
// lane i receives in register m the elements (i/4, 2(i%4)) and (i/4, 2(i%4)+1) of matrix m; with .trans the
// elements (2(i%4), i/4) and (2(i%4)+1, i/4), that is, of the transposed matrix.
inline void emu_ldmatrix_x4(const float* smem, const int addr[32], Reg2 out[32][4], bool trans) {
    for (int lane = 0; lane < 32; lane++) {
        for (int m = 0; m < 4; m++) {
            if (!trans) {
                int base = addr[8 * m + lane / 4], c = 2 * (lane % 4);
                out[lane][m].lo = smem[base + c];
                out[lane][m].hi = smem[base + c + 1];
            } else {
                out[lane][m].lo = smem[addr[8 * m + 2 * (lane % 4)] + lane / 4];
                out[lane][m].hi = smem[addr[8 * m + 2 * (lane % 4) + 1] + lane / 4];
            }
        }
    }
}

// D = A (16 x 16) . B (16 x 8) + C, fragments per lane (groupID g = lane/4, t = lane%4):
// A regs: {(g, 2t), (g, 2t+1)}, {(g+8, 2t), ..}, {(g, 2t+8), ..}, {(g+8, 2t+8), ..};
// B regs: {(2t, g), (2t+1, g)}, {(2t+8, g), (2t+9, g)};  C: (g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1).
inline void emu_mma16816(float c[32][4], const Reg2 a[32][4], const Reg2 b0[32], const Reg2 b1[32]) {
    float A[16][16], B[16][8], C[16][8];
    for (int lane = 0; lane < 32; lane++) {
        int g = lane / 4, t = lane % 4;
        A[g][2 * t] = a[lane][0].lo, A[g][2 * t + 1] = a[lane][0].hi;
        A[g + 8][2 * t] = a[lane][1].lo, A[g + 8][2 * t + 1] = a[lane][1].hi;
        A[g][2 * t + 8] = a[lane][2].lo, A[g][2 * t + 9] = a[lane][2].hi;
        A[g + 8][2 * t + 8] = a[lane][3].lo, A[g + 8][2 * t + 9] = a[lane][3].hi;
        B[2 * t][g] = b0[lane].lo, B[2 * t + 1][g] = b0[lane].hi;
        B[2 * t + 8][g] = b1[lane].lo, B[2 * t + 9][g] = b1[lane].hi;
        C[g][2 * t] = c[lane][0], C[g][2 * t + 1] = c[lane][1];
        C[g + 8][2 * t] = c[lane][2], C[g + 8][2 * t + 1] = c[lane][3];
    }
    for (int r = 0; r < 16; r++)
        for (int n = 0; n < 8; n++) {
            float acc = C[r][n];
            for (int k = 0; k < 16; k++) acc += A[r][k] * B[k][n];
            C[r][n] = acc;
        }
    for (int lane = 0; lane < 32; lane++) {
        int g = lane / 4, t = lane % 4;
        c[lane][0] = C[g][2 * t], c[lane][1] = C[g][2 * t + 1];
        c[lane][2] = C[g + 8][2 * t], c[lane][3] = C[g + 8][2 * t + 1];
    }
}

#endif

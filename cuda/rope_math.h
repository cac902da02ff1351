// Host/device arithmetic of RoPE angles shared by rope.cu, the native tests and the host-only CPU model.
// The angle pos * base^(-2t/D) reaches ~1e5 radians at 128k positions: in fp32 that product alone would be off
// by ~1e-2 rad. So the frequency and the product are formed in double, reduced modulo 2*pi in double
// (two-constant Cody-Waite with fma), and the fp32 sin/cos of the reduced angle get a first-order correction
// for the part of it that fp32 cannot hold. The result is within a few fp32 ulp of the float64 reference
// for any int32 position.
#ifndef ATTENTION4J_ROPE_MATH_H
#define ATTENTION4J_ROPE_MATH_H

#include <math.h>

#ifdef __CUDACC__
#define A4J_RHD __host__ __device__ __forceinline__
#else
#define A4J_RHD inline
#endif

// theta_t = base^(-2t/D), formed as the reference does: pow(base, (-2.0 * t) / D). The kernel takes its
// frequencies from the host (which applies partial rotary and the scalings); this is the unscaled formula the
// native tests build their tables from.
A4J_RHD double a4j_rope_theta(double base, int t, int D) {
    return pow(base, (-2.0 * t) / D);
}

// Inverse frequency t of a host table in float pairs (hi, lo) with hi + lo the double value to ~2^-48 relative:
// the angle at 128k positions then keeps its double accuracy, and the table travels as ordinary floats.
A4J_RHD double a4j_rope_freq(const float* freq, int t) {
    return (double)freq[2 * t] + (double)freq[2 * t + 1];
}

// cos and sin of pos * theta.
A4J_RHD void a4j_rope_sincos(int pos, double theta, float* c, float* s) {
    const double kTwoPiHi = 6.283185307179586;        // nearest double to 2*pi
    const double kTwoPiLo = 2.4492935982947064e-16;   // 2*pi - kTwoPiHi
    const double kInvTwoPi = 0.15915494309189535;
    double a = (double)pos * theta;
    double k = rint(a * kInvTwoPi);
    double r = fma(-k, kTwoPiHi, a);  // exact product, one rounding of a small result
    r = fma(-k, kTwoPiLo, r);         // r in about [-pi, pi]
    float rf = (float)r;
    float dr = (float)(r - (double)rf);  // what fp32 lost of the reduced angle, |dr| <= ~2e-7
    float sf = sinf(rf), cf = cosf(rf);
    *c = cf - sf * dr;  // cos(rf + dr) to first order; the dr^2 term is below 1e-13
    *s = sf + cf * dr;
}

// Where pair `idx` (of B*H*N*R/2, the kernel's flat thread index; R the rotary dim, even, <= D) lives and at
// which position it turns: element indices *ia, *ib of x [B, H, N, D], pair number *t, and the position. The
// pairs lie within the first R elements of each vector; the others are not touched.
A4J_RHD int a4j_rope_pair(long long idx, int H, int N, int D, int R, int style, int posOffset, const int* positions,
                          int positionsBatchStride, long long* ia, long long* ib, int* t) {
    int half = R / 2;
    *t = (int)(idx % half);
    long long vec = idx / half;  // (b*H + h)*N + n
    int n = (int)(vec % N);
    long long b = vec / ((long long)H * N);
    *ia = vec * D + (style == 0 ? *t : 2 * *t);
    *ib = vec * D + (style == 0 ? *t + half : 2 * *t + 1);
    return posOffset + (positions ? positions[b * positionsBatchStride + n] : n);
}

#endif

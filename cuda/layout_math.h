// Index math of the layout kernels (host/device), shared with native-tests/cpu_model, which checks it
// against the definitions on the CPU.
#ifndef ATTENTION4J_LAYOUT_MATH_H
#define ATTENTION4J_LAYOUT_MATH_H

#ifdef __CUDACC__
#define A4J_LHD __host__ __device__ __forceinline__
#else
#define A4J_LHD inline
#endif

// Split: output element o of [B, H, N, hd] comes from in[return value] of [B, N, (row stride inRowStride)];
// *col is its column h*hd + c (the bias index).
A4J_LHD long long a4j_split_source(long long o, int N, int H, int hd, long long inRowStride, int* col) {
    int c = (int)(o % hd);
    long long r = o / hd;
    int n = (int)(r % N);
    r /= N;
    int h = (int)(r % H);
    long long b = r / H;
    *col = h * hd + c;
    return (b * N + n) * inRowStride + *col;
}

// Merge: output element o of the dense [B, N, H*hd] (o walks it so that writes coalesce) comes from
// in[return value] of [B, H, N, hd] and goes to out[*dst] (row stride outRowStride).
A4J_LHD long long a4j_merge_source(long long o, int N, int H, int hd, long long outRowStride, long long* dst) {
    long long E = (long long)H * hd;
    int col = (int)(o % E);
    long long bn = o / E;
    int n = (int)(bn % N);
    long long b = bn / N;
    int h = col / hd, c = col % hd;
    *dst = bn * outRowStride + col;
    return ((b * H + h) * N + n) * hd + c;
}

#endif

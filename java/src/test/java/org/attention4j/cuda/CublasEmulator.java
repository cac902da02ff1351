package org.attention4j.cuda;

/**
 * A CPU emulation of cuBLAS's column-major {@code gemmStridedBatched}, written from its documented semantics
 * (element (i, j) of a column-major matrix X with leading dimension ld is {@code X[i + j*ld]}; op(X) = X or
 * X^T), with float64 accumulation. Every index is bounds-checked so that a plan reading or writing outside its
 * buffers fails here.
 */
final class CublasEmulator {
    private CublasEmulator() {
    }

    static void gemmStridedBatched(GemmCall c, float[] a, float[] b, float[] out) {
        c.check();
        if (c.endA() > a.length || c.endB() > b.length || c.endC() > out.length) {
            throw new AssertionError("out of bounds: A " + c.endA() + "/" + a.length + ", B " + c.endB() + "/"
                    + b.length + ", C " + c.endC() + "/" + out.length + " in " + c);
        }
        for (int t = 0; t < c.batch(); t++) {
            long ao = c.offA() + t * c.strideA();
            long bo = c.offB() + t * c.strideB();
            long co = c.offC() + t * c.strideC();
            for (int i = 0; i < c.m(); i++) {
                for (int j = 0; j < c.n(); j++) {
                    double acc = 0;
                    for (int p = 0; p < c.k(); p++) {
                        // op(A)(i, p) and op(B)(p, j)
                        long ai = c.transA() ? ao + p + (long) i * c.lda() : ao + i + (long) p * c.lda();
                        long bi = c.transB() ? bo + j + (long) p * c.ldb() : bo + p + (long) j * c.ldb();
                        acc += (double) a[(int) ai] * b[(int) bi];
                    }
                    int ci = (int) (co + i + (long) j * c.ldc());
                    double prev = c.beta() == 0f ? 0 : c.beta() * (double) out[ci];
                    out[ci] = (float) (c.alpha() * acc + prev);
                }
            }
        }
    }
}

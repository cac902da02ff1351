package org.attention4j.cuda;

/**
 * One column-major strided-batched GEMM as cuBLAS sees it: for each batch {@code t < batch},
 * {@code C_t = alpha * op(A_t) * op(B_t) + beta * C_t} with {@code X_t} starting at element
 * {@code offX + t * strideX} of its buffer, {@code op(A_t)} of shape {@code m x k}, {@code op(B_t)} of shape
 * {@code k x n}, {@code C_t} of shape {@code m x n}, leading dimensions {@code lda, ldb, ldc}. Offsets and
 * strides count elements, not bytes. Pure data: {@link #check()} applies cuBLAS's own argument rules so that a
 * wrong plan fails on the CPU, not as CUBLAS_STATUS_INVALID_VALUE on a GPU.
 *
 * @param transA  whether {@code op(A) = A^T}
 * @param transB  whether {@code op(B) = B^T}
 * @param m       rows of op(A) and C
 * @param n       columns of op(B) and C
 * @param k       columns of op(A), rows of op(B)
 * @param alpha   the product's factor
 * @param beta    C's factor (0: C is write-only)
 * @param offA    first element of A_0
 * @param lda     A's leading dimension
 * @param strideA elements between A_t and A_{t+1}
 * @param offB    first element of B_0
 * @param ldb     B's leading dimension
 * @param strideB elements between B_t and B_{t+1}
 * @param offC    first element of C_0
 * @param ldc     C's leading dimension
 * @param strideC elements between C_t and C_{t+1}
 * @param batch   number of GEMMs
 */
record GemmCall(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
                long offA, int lda, long strideA,
                long offB, int ldb, long strideB,
                long offC, int ldc, long strideC, int batch) {

    /**
     * Checks the arguments against cuBLAS's rules (sizes >= 0, {@code lda >= max(1, rows of A as stored)}, and
     * so on) and that the batches of C do not overlap.
     *
     * @throws IllegalStateException naming the violated rule
     */
    GemmCall check() {
        if (m < 0 || n < 0 || k < 0 || batch < 0) {
            throw new IllegalStateException("negative size in " + this);
        }
        int rowsA = transA ? k : m;
        int rowsB = transB ? n : k;
        if (lda < Math.max(1, rowsA)) {
            throw new IllegalStateException("lda " + lda + " < max(1, " + rowsA + ") in " + this);
        }
        if (ldb < Math.max(1, rowsB)) {
            throw new IllegalStateException("ldb " + ldb + " < max(1, " + rowsB + ") in " + this);
        }
        if (ldc < Math.max(1, m)) {
            throw new IllegalStateException("ldc " + ldc + " < max(1, m=" + m + ") in " + this);
        }
        if (batch > 1 && strideC < (long) ldc * n) {
            throw new IllegalStateException("strideC " + strideC + " lets batches of C overlap in " + this);
        }
        if (offA < 0 || offB < 0 || offC < 0 || strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalStateException("negative offset or stride in " + this);
        }
        return this;
    }

    /** One past the last element of A this call reads (0 when it reads none). */
    long endA() {
        return end(offA, strideA, lda, transA ? m : k, transA ? k : m);
    }

    /** One past the last element of B this call reads. */
    long endB() {
        return end(offB, strideB, ldb, transB ? k : n, transB ? n : k);
    }

    /** One past the last element of C this call writes. */
    long endC() {
        return end(offC, strideC, ldc, n, m);
    }

    private long end(long off, long stride, int ld, int cols, int rows) {
        if (batch == 0 || cols == 0 || rows == 0) {
            return 0;
        }
        return off + (batch - 1) * stride + (long) (cols - 1) * ld + rows;
    }
}

package org.attention4j.cuda;

import java.util.Locale;

/**
 * Which implementation computes attention on CUDA. {@link #AUTO} (the default) takes the fused kernels
 * (FlashAttention-style, O(N) memory) whenever the call allows them and the cuBLAS path otherwise; the other two
 * force one path, for benchmarks and tests. Set with the system property {@code attention4j.cuda.path}
 * ({@code auto|fused|cublas}), read on every call.
 *
 * <p>The fused path takes every option except boolean and float masks, needs {@code Dv == D <= 256}, applies RoPE
 * by a rotation pass before the kernel, and produces weights on request by a second pass that recomputes
 * {@code P = exp(S - lse)}. Forcing {@link #FUSED} on a call it cannot take is an
 * {@link IllegalArgumentException} naming why.
 */
public enum CudaPath {
    /** Fused when possible, else cuBLAS. */
    AUTO,
    /** The fused kernels only. */
    FUSED,
    /** cuBLAS GEMMs around the softmax kernel only. */
    CUBLAS;

    /** The system property that selects the path. */
    public static final String PROPERTY = "attention4j.cuda.path";

    /** Parses {@code auto|fused|cublas}, case-insensitively. */
    public static CudaPath parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("system property " + PROPERTY + " must be one of auto, fused, cublas; "
                    + "got '" + name + "'");
        }
    }

    /** The current setting of {@link #PROPERTY} (default AUTO). */
    public static CudaPath current() {
        return parse(System.getProperty(PROPERTY, "auto"));
    }
}

package org.attention4j.cuda;

/**
 * The arithmetic of the CUDA backend's two GEMMs ({@code S = Q.K^T} and {@code O = P.V}). The softmax between
 * them always runs in float32, and every GEMM accumulates in float32.
 */
public enum Precision {
    /** float32 inputs, float32 SGEMM without tensor-core shortcuts: the default, closest to the CPU result. */
    FP32,
    /**
     * float32 inputs and outputs, GEMMs on TF32 tensor cores (10-bit mantissa products, float32 accumulation):
     * faster on Ampere and newer, less accurate; only used when asked for.
     */
    TF32,
    /** IEEE half inputs (Q, K, V and P) with float32 accumulation; host data is rounded to half on upload. */
    FP16,
    /** bfloat16 inputs (Q, K, V and P) with float32 accumulation; host data is rounded to bfloat16 on upload. */
    BF16;

    /** The element type Q, K, V and P are stored in on the device under this precision. */
    public DType storageType() {
        switch (this) {
            case FP16:
                return DType.FP16;
            case BF16:
                return DType.BF16;
            default:
                return DType.FP32;
        }
    }

    /** Parses {@code fp32|tf32|fp16|bf16}, case-insensitively. */
    public static Precision parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("precision must be one of fp32, tf32, fp16, bf16; got '" + name + "'");
        }
    }
}

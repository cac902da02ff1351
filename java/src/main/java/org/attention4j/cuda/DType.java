package org.attention4j.cuda;

/** Element types of {@link DeviceTensor}s. */
public enum DType {
    /** IEEE float32. */
    FP32(4, 0),
    /** IEEE half (binary16). */
    FP16(2, 2),
    /** bfloat16: float32's exponent with a 7-bit mantissa. */
    BF16(2, 14);

    private final int bytes;
    private final int cudaDataType;

    DType(int bytes, int cudaDataType) {
        this.bytes = bytes;
        this.cudaDataType = cudaDataType;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The matching {@code cudaDataType} constant (CUDA_R_32F, CUDA_R_16F, CUDA_R_16BF) for cuBLAS *Ex calls. */
    int cudaDataType() {
        return cudaDataType;
    }
}

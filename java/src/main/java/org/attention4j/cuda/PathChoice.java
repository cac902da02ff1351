package org.attention4j.cuda;

import org.attention4j.AttentionException;

/**
 * The dispatch rule between the fused kernels and the cuBLAS path, as a pure function (unit-tested on the CPU).
 *
 * <p>Fused when: the fatbin has the fused kernels, the path setting is not {@link CudaPath#CUBLAS}, there is no
 * boolean or float mask, {@code Dv == D} and {@code D <= 256}. Version 2 (tensor cores) for FP16/BF16 storage on
 * compute capability 8.0 or newer, version 1 (CUDA cores, fp32 math) otherwise (FP32 and TF32 storage, older
 * GPUs). Weights do not change the choice: the fused path adds its recompute pass.
 *
 * <p>A dense call ({@link #decideDense}) with fp32 storage (the FP32 and TF32 precisions) under
 * {@link CudaPath#AUTO} takes the cuBLAS path instead: its GEMMs run as SGEMM on CUDA cores or on tensor cores for
 * TF32, where fused v1 is a simple CUDA-core kernel estimated several times slower (issue 11). Unmeasured so far:
 * {@code tools/gpu_machine.sh run} times both ways on fp32 and TF32 cases (step 42) so that the first GPU run
 * confirms or overturns the rule. Packed sequences keep the fused kernel at fp32 too: one launch against a
 * cuBLAS call per sequence.
 *
 * <p>Where cuBLAS is not loaded ({@code cublasMissing} not null) every call that the fused kernels take runs
 * fused, and one they cannot take fails with both reasons (an {@link AttentionException}: the machine, not the
 * call, lacks something).
 *
 * @param fused   whether the fused kernels run
 * @param version 1 or 2 when fused, 0 otherwise
 * @param reason  why, in words (for logs and errors)
 */
record PathChoice(boolean fused, int version, String reason) {

    /**
     * Decides one call.
     *
     * @param hasMask       whether a boolean or float mask is given
     * @param dim           D
     * @param valueDim      Dv
     * @param storage       the element type of Q, K, V
     * @param ccMajor       the device's compute capability major version
     * @param kernelsLoaded whether the fatbin has the fused kernels
     * @param setting       the path setting
     * @param cublasMissing null when cuBLAS is loaded, else why not
     * @throws IllegalArgumentException when {@link CudaPath#FUSED} is forced on a call the fused kernels cannot take
     * @throws AttentionException       when the call needs the cuBLAS path and cuBLAS is not loaded
     */
    static PathChoice decideDense(boolean hasMask, int dim, int valueDim, DType storage, int ccMajor,
                                     boolean kernelsLoaded, CudaPath setting, String cublasMissing) {
        PathChoice d = decide(hasMask, dim, valueDim, storage, ccMajor, kernelsLoaded, setting, cublasMissing);
        if (d.fused() && setting == CudaPath.AUTO && storage == DType.FP32 && cublasMissing == null) {
            return new PathChoice(false, 0, "auto: fp32/tf32 storage takes the cuBLAS path (SGEMM or TF32 GEMMs "
                    + "beat fused v1's CUDA-core math); " + CudaPath.PROPERTY + "=fused forces the fused kernel");
        }
        return d;
    }

    /** As {@link #decideDense} without its fp32 rule: the choice for packed sequences. */
    static PathChoice decide(boolean hasMask, int dim, int valueDim, DType storage, int ccMajor,
                                boolean kernelsLoaded, CudaPath setting, String cublasMissing) {
        String no = null;
        if (setting == CudaPath.CUBLAS) {
            if (cublasMissing != null) {
                throw new AttentionException(CudaPath.PROPERTY + "=cublas, but cuBLAS is not loaded: " + cublasMissing);
            }
            return new PathChoice(false, 0, CudaPath.PROPERTY + "=cublas");
        }
        if (!kernelsLoaded) {
            no = "the kernels were built without the fused attention kernels";
        } else if (hasMask) {
            no = "boolean and float masks run on the cuBLAS path";
        } else if (valueDim != dim) {
            no = "the fused kernels need Dv == D, got D=" + dim + " Dv=" + valueDim;
        } else if (dim > FlashLaunch.MAX_DIM) {
            no = "the fused kernels take D <= " + FlashLaunch.MAX_DIM + ", got D=" + dim;
        }
        if (no != null) {
            if (setting == CudaPath.FUSED) {
                throw new IllegalArgumentException(CudaPath.PROPERTY + "=fused, but this call cannot run fused: " + no);
            }
            if (cublasMissing != null) {
                throw new AttentionException("this call needs the cuBLAS path (" + no + "), but cuBLAS is not loaded: "
                        + cublasMissing);
            }
            return new PathChoice(false, 0, no);
        }
        boolean v2 = storage != DType.FP32 && ccMajor >= 8;
        return new PathChoice(true, v2 ? 2 : 1, v2 ? "fused v2 (tensor cores, " + storage + ")"
                : "fused v1 (" + storage + (storage != DType.FP32 ? " on compute capability " + ccMajor : "") + ")");
    }
}

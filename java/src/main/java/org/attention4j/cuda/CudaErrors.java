package org.attention4j.cuda;

import jcuda.CudaException;
import jcuda.driver.CUresult;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaError;

/**
 * Turns what JCuda reports into what a user can act on. JCuda's exceptions carry the error's name as their
 * message ({@code CUresult.stringFor}, {@code cublasStatus.stringFor}, ...), which is what these match. Pure
 * string logic: testable without a GPU.
 */
final class CudaErrors {
    static final String NO_DRIVER =
            "libcuda.so.1 not found: no NVIDIA driver; install it or run the Docker image with --gpus all";
    static final String NO_CUBLAS = "libcublas.so.12 not found: install the CUDA 12 runtime libraries "
            + "(e.g. the nvidia/cuda:12.x runtime image) or add them to LD_LIBRARY_PATH";
    static final String NO_KERNELS = "kernels not built: the jar was built without nvcc; rebuild it where nvcc "
            + "(CUDA 12.x for CUDA 12 drivers) is on the PATH, e.g. with docker/Dockerfile";
    static final String NO_DEVICE =
            "no CUDA device visible: run on a machine with an NVIDIA GPU, or the Docker image with --gpus all";
    static final String NO_JCUDA = "JCuda is not on the class path: add org.jcuda:jcuda and org.jcuda:jcublas 12.6.0";

    private CudaErrors() {
    }

    /** Whether a JCuda exception reports device memory exhaustion (driver, runtime or cuBLAS). */
    /**
     * A JCuda/JCublas failure in {@code what} as the engine's one exception type: device out-of-memory as
     * {@link org.attention4j.AttentionOutOfMemoryException}, anything else as
     * {@link org.attention4j.AttentionException}.
     */
    static org.attention4j.AttentionException translate(String what, CudaException e) {
        if (isOutOfMemory(e)) {
            return new org.attention4j.AttentionOutOfMemoryException("CUDA out of memory in " + what + ": "
                    + e.getMessage(), org.attention4j.AttentionOutOfMemoryException.Memory.DEVICE, -1, -1, e);
        }
        return new org.attention4j.AttentionException("CUDA failure in " + what + ": " + e.getMessage(), e);
    }

    static boolean isOutOfMemory(CudaException e) {
        String m = e.getMessage();
        return m != null && (m.contains(CUresult.stringFor(CUresult.CUDA_ERROR_OUT_OF_MEMORY))
                || m.contains(cudaError.stringFor(cudaError.cudaErrorMemoryAllocation))
                || m.contains(cublasStatus.stringFor(cublasStatus.CUBLAS_STATUS_ALLOC_FAILED)));
    }

    /** What is missing when the JCuda driver binding failed to load, from the UnsatisfiedLinkError's message. */
    static String describeDriverLinkError(String message) {
        if (message != null && message.contains("libcuda.so")) {
            return NO_DRIVER;
        }
        return "the JCuda driver binding could not be loaded (" + firstLine(message) + "): this build carries JCuda 12.6's "
                + "natives for linux-x86_64 and windows-x86_64 only; check jcuda-natives for " + platform();
    }

    /** What is missing when the JCublas binding failed to load. */
    static String describeCublasLinkError(String message) {
        if (message != null && message.contains("libcublas")) {
            return NO_CUBLAS;
        }
        if (message != null && message.contains("libcublasLt")) {
            return NO_CUBLAS;
        }
        return "the JCublas binding could not be loaded (" + firstLine(message) + "): check jcublas-natives for "
                + platform();
    }

    /** What {@code cuInit} or device queries failing with this error means. */
    static String describeInitError(String message) {
        String m = message == null ? "" : message;
        if (m.contains("CUDA_ERROR_NO_DEVICE")) {
            return NO_DEVICE + " (CUDA_ERROR_NO_DEVICE)";
        }
        if (m.contains("CUDA_ERROR_INSUFFICIENT_DRIVER") || m.contains("CUDA_ERROR_SYSTEM_DRIVER_MISMATCH")
                || m.contains("CUDA_ERROR_COMPAT_NOT_SUPPORTED")) {
            return "the NVIDIA driver is too old for CUDA 12 (" + m + "): update it to 525 or newer";
        }
        if (m.contains("CUDA_ERROR_STUB_LIBRARY")) {
            return "libcuda.so.1 is the CUDA toolkit's stub, not a driver (" + m + "): install the NVIDIA driver or "
                    + "run the Docker image with --gpus all";
        }
        return "cuInit failed (" + m + "): check the NVIDIA driver with nvidia-smi";
    }

    /**
     * What a failed {@code cuModuleLoadData} of the packaged fatbin means. A driver older than the nvcc that built
     * the kernels rejects them (its PTX ISA or cubin format is newer than the driver knows) with the same errors as
     * a GPU the fatbin has no code for; the fix differs, so the message names both versions.
     *
     * @param message     the CudaException's message (the CUresult name)
     * @param device      the probe's device description (name, sm_, driver CUDA version)
     * @param nvccVersion the nvcc version recorded in kernels.properties, or empty
     */
    static String describeModuleLoadError(String message, String device, String nvccVersion) {
        String m = message == null ? "" : message;
        String built = nvccVersion == null || nvccVersion.isEmpty() ? "an unknown nvcc" : "nvcc " + nvccVersion;
        String head = "the kernels (built by " + built + ") do not load on " + device + " (" + m + ")";
        if (m.contains("UNSUPPORTED_PTX_VERSION") || m.contains("INVALID_IMAGE") || m.contains("INVALID_PTX")
                || m.contains("NO_BINARY_FOR_GPU") || m.contains("INVALID_SOURCE")) {
            return head + ": either the driver is older than that nvcc (update the driver, or rebuild the kernels "
                    + "with cuda/build.sh and an nvcc no newer than the driver's CUDA version, e.g. docker/Dockerfile's "
                    + "CUDA 12.6), or the fatbin has no code for this GPU (add its sm_ to cuda/build.sh)";
        }
        return head + ": rebuild them with cuda/build.sh for this GPU and driver";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String platform() {
        return System.getProperty("os.name") + "/" + System.getProperty("os.arch");
    }
}

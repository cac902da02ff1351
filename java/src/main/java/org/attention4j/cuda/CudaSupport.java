package org.attention4j.cuda;

import org.attention4j.AttentionException;
import org.attention4j.spi.AttentionBackend;

/**
 * Whether the CUDA backend can run here, and the entry to it for {@link org.attention4j.AttentionEngine}.
 *
 * <p>{@link #probe()} checks, once per JVM, the NVIDIA driver ({@code libcuda.so.1}) and a device, the packaged
 * kernels and cuBLAS ({@code libcublas.so.12}); when the driver, a device or the kernels are missing its detail
 * says what and how to get it, and {@code Backend.AUTO} falls back to the CPU. Without cuBLAS the backend runs
 * the fused kernels alone, and says so in the detail. Settings (system properties): {@code attention4j.cuda.device}
 * (ordinal, default 0), {@code attention4j.cuda.precision} ({@code fp32|tf32|fp16|bf16}, default fp32, when the
 * engine builder does not set one), {@code attention4j.cuda.workspaceBytes} (see {@link CudaAttention}).
 */
public final class CudaSupport {
    private CudaSupport() {
    }

    /**
     * Whether the CUDA backend can run, and if not why.
     *
     * @param usable whether it can run
     * @param detail what was found (device, driver), or what is missing and how to get it
     * @param cublas whether cuBLAS loaded too: without it a usable backend runs the fused kernels alone, which
     *               {@code Backend.AUTO} does not pick (it promises every call an answer)
     */
    public record Availability(boolean usable, String detail, boolean cublas) {
        /** An availability with cuBLAS whenever the backend is usable. */
        public Availability(boolean usable, String detail) {
            this(usable, detail, usable);
        }
    }

    /** Computed on first use, then kept: loading native libraries can be tried only once per JVM anyway. */
    private static final class Cached {
        static final CudaProbe.Result RESULT = compute();

        private static CudaProbe.Result compute() {
            try {
                return CudaProbe.run();
            } catch (NoClassDefFoundError e) {
                // JCuda's classes themselves are absent (a user excluded the optional dependency).
                return new CudaProbe.Result(new Availability(false, CudaErrors.NO_JCUDA + " (" + e.getMessage()
                        + ")"), null);
            }
        }
    }

    /** Probes the driver, the CUDA libraries and the kernels, once; never throws. */
    public static Availability probe() {
        return Cached.RESULT.availability();
    }

    /** Null when the probe loaded cuBLAS, else why not: the backend then has the fused path alone. */
    static String cublasMissing() {
        return Cached.RESULT.cublasMissing();
    }

    /**
     * Opens the CUDA backend with the precision of {@code attention4j.cuda.precision} (default fp32).
     *
     * @throws AttentionException naming what is missing when {@link #probe()} says it is not usable
     */
    public static AttentionBackend open() {
        return open(null);
    }

    /**
     * Opens the CUDA backend.
     *
     * @param precision the GEMM precision, or null for {@code attention4j.cuda.precision} (default fp32)
     * @throws AttentionException naming what is missing when {@link #probe()} says it is not usable
     */
    public static AttentionBackend open(Precision precision) {
        return new CudaBackend(CudaAttention.open(precision));
    }

    /** The precision property's value, default FP32. */
    static Precision defaultPrecision() {
        return Precision.parse(System.getProperty("attention4j.cuda.precision", "fp32"));
    }

    /** Throws the AttentionException of an unusable probe. */
    static void requireUsable() {
        Availability a = probe();
        if (!a.usable()) {
            throw new AttentionException("CUDA backend unavailable: " + a.detail());
        }
    }
}

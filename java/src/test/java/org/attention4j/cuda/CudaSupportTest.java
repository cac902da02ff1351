package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionException;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;

import jcuda.CudaException;

/** Availability and fallback where CUDA cannot run (this build machine, CI); the reasons must be actionable. */
class CudaSupportTest {

    @Test
    void probeNeverThrowsAndIsCached() {
        CudaSupport.Availability a = CudaSupport.probe();
        assertNotNull(a.detail());
        assertFalse(a.detail().isBlank());
        assertSame(a, CudaSupport.probe(), "probed once per JVM");
    }

    @Test
    void aBadDeviceSettingMakesTheProbeSayNoInsteadOfThrowing() {
        String old = System.getProperty("attention4j.cuda.device");
        System.setProperty("attention4j.cuda.device", "first");
        try {
            CudaSupport.Availability a = CudaProbe.run().availability();
            assertFalse(a.usable());
            assertTrue(a.detail().contains("attention4j.cuda.device must be an integer >= 0, got 'first'"),
                    a.detail());
        } finally {
            if (old == null) {
                System.clearProperty("attention4j.cuda.device");
            } else {
                System.setProperty("attention4j.cuda.device", old);
            }
        }
    }

    @Test
    void withoutCublasTheBackendStillRunsTheFusedKernelsAndSaysSo() {
        CudaProbe.Result fusedOnly = CudaProbe.verdict(java.util.List.of(), CudaErrors.NO_CUBLAS, "GPU 0");
        assertTrue(fusedOnly.availability().usable());
        assertTrue(fusedOnly.availability().detail().startsWith("GPU 0; without cuBLAS (" + CudaErrors.NO_CUBLAS),
                fusedOnly.availability().detail());
        assertTrue(fusedOnly.availability().detail().contains("the fused kernels only"));
        assertEquals(CudaErrors.NO_CUBLAS, fusedOnly.cublasMissing());
        assertFalse(fusedOnly.availability().cublas(), "AUTO reads this and stays on the cpu");

        CudaProbe.Result all = CudaProbe.verdict(java.util.List.of(), null, "GPU 0");
        assertEquals(new CudaSupport.Availability(true, "GPU 0", true), all.availability());
        assertEquals(all.availability(), new CudaSupport.Availability(true, "GPU 0"), "two-argument form");

        CudaProbe.Result none = CudaProbe.verdict(java.util.List.of(CudaErrors.NO_DRIVER, CudaErrors.NO_KERNELS),
                CudaErrors.NO_CUBLAS, null);
        assertFalse(none.availability().usable());
        assertEquals(CudaErrors.NO_DRIVER + "; " + CudaErrors.NO_KERNELS + "; " + CudaErrors.NO_CUBLAS,
                none.availability().detail(), "everything missing is named at once");
    }

    @Test
    void unusableProbeNamesWhatIsMissing() {
        CudaSupport.Availability a = CudaSupport.probe();
        assumeFalse(a.usable(), "CUDA is usable here: " + a.detail());
        String d = a.detail();
        assertTrue(d.contains("libcuda.so.1") || d.contains("libcublas.so.12") || d.contains("kernels not built")
                || d.contains("no CUDA device") || d.contains("driver") || d.contains("compute capability"), d);
        if (!KernelResources.present()) {
            assertTrue(d.contains(CudaErrors.NO_KERNELS), d);
        }
    }

    @Test
    void autoFallsBackToCpuAndSaysWhy() {
        CudaSupport.Availability a = CudaSupport.probe();
        assumeFalse(a.usable(), "CUDA is usable here, AUTO picks it: " + a.detail());
        try (AttentionEngine e = AttentionEngine.builder().backend(Backend.AUTO).cudaPrecision(Precision.FP16)
                .threads(1).build()) {
            assertEquals(Backend.CPU, e.backend());
            assertTrue(e.selectionReason().contains(a.detail()), e.selectionReason());
            Tensor q = Tensor.of(new float[] {1, 0}, 1, 1, 1, 2);
            assertEquals(Backend.CPU, e.attention(q, q, q).backend(), "the fallback computes");
        }
    }

    @Test
    void explicitCudaThrowsWithTheReason() {
        CudaSupport.Availability a = CudaSupport.probe();
        assumeFalse(a.usable(), "CUDA is usable here: " + a.detail());
        AttentionException e = assertThrows(AttentionException.class, () -> AttentionEngine.create(Backend.CUDA));
        assertTrue(e.getMessage().contains(a.detail()), e.getMessage());
        AttentionException e2 = assertThrows(AttentionException.class, () -> CudaAttention.open(Precision.FP32));
        assertTrue(e2.getMessage().startsWith("CUDA backend unavailable: "), e2.getMessage());
    }

    @Test
    void linkErrorsAreTranslated() {
        String driver = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n...\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: "
                + "cannot open shared object file: No such file or directory";
        assertEquals(CudaErrors.NO_DRIVER, CudaErrors.describeDriverLinkError(driver));
        String blas = "Error while loading native library \"JCublas2-12.6.0-linux-x86_64\"\n"
                + "/tmp/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: cannot open shared object file";
        assertEquals(CudaErrors.NO_CUBLAS, CudaErrors.describeCublasLinkError(blas));
        assertTrue(CudaErrors.describeDriverLinkError("no JCudaDriver in java.library.path")
                .contains("jcuda-natives"));
        assertTrue(CudaErrors.describeInitError("CUDA_ERROR_NO_DEVICE").contains("no CUDA device"));
        assertTrue(CudaErrors.describeInitError("CUDA_ERROR_INSUFFICIENT_DRIVER").contains("too old"));
        assertTrue(CudaErrors.describeInitError("CUDA_ERROR_UNKNOWN").contains("cuInit failed"));
    }

    @Test
    void moduleLoadErrorsNameTheNvccAndTheDriver() {
        String dev = "device 0: NVIDIA H200 (sm_90, 143771 MiB, driver CUDA 12.4)";
        String ptx = CudaErrors.describeModuleLoadError("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", dev, "13.0.88");
        assertTrue(ptx.contains("nvcc 13.0.88") && ptx.contains(dev) && ptx.contains("older than that nvcc"), ptx);
        String arch = CudaErrors.describeModuleLoadError("CUDA_ERROR_NO_BINARY_FOR_GPU", dev, "");
        assertTrue(arch.contains("unknown nvcc") && arch.contains("no code for this GPU"), arch);
        String other = CudaErrors.describeModuleLoadError("CUDA_ERROR_OUT_OF_MEMORY", dev, "12.6.85");
        assertTrue(other.contains("CUDA_ERROR_OUT_OF_MEMORY") && other.contains("cuda/build.sh"), other);
    }

    @Test
    void outOfMemoryIsRecognisedFromEveryLibrary() {
        assertTrue(CudaErrors.isOutOfMemory(new CudaException("CUDA_ERROR_OUT_OF_MEMORY")));
        assertTrue(CudaErrors.isOutOfMemory(new CudaException("cudaErrorMemoryAllocation")));
        assertTrue(CudaErrors.isOutOfMemory(new CudaException("CUBLAS_STATUS_ALLOC_FAILED")));
        assertFalse(CudaErrors.isOutOfMemory(new CudaException("CUDA_ERROR_ILLEGAL_ADDRESS")));
        assertFalse(CudaErrors.isOutOfMemory(new CudaException(null)));
    }

    @Test
    void precisionMapsToCublasParameters() {
        assertFalse(GemmPrecision.of(Precision.FP32).ex());
        assertEquals(0, GemmPrecision.of(Precision.FP32).mathMode(), "no TF32 unless asked");
        assertEquals(3, GemmPrecision.of(Precision.TF32).mathMode(), "CUBLAS_TF32_TENSOR_OP_MATH");
        assertTrue(GemmPrecision.of(Precision.FP16).ex());
        assertEquals(68, GemmPrecision.of(Precision.BF16).computeType(), "CUBLAS_COMPUTE_32F");
        assertEquals(DType.BF16, GemmPrecision.of(Precision.BF16).storage());
        assertEquals(14, DType.BF16.cudaDataType());
        assertEquals(6, GemmPrecision.of(Precision.FP16).workspaceBytesPerScore());
        assertEquals(Precision.TF32, Precision.parse(" tf32 "));
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8"));
    }
}

package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Every JCuda/JCublas native this backend calls must exist in the linux-x86_64 natives as a plain JNI symbol.
 * Some JCublas 12.6 entries are exported C++-mangled and so can never bind (e.g. the legacy
 * {@code cublasGemmStridedBatchedEx}: the backend calls {@code cublasGemmStridedBatchedEx_new}); this catches
 * a call to such an entry without a GPU, by reading the natives' symbol strings.
 */
class JniSymbolsTest {
    private static final String DRIVER = "lib/libJCudaDriver-12.6.0-linux-x86_64.so";
    private static final String CUBLAS = "lib/libJCublas2-12.6.0-linux-x86_64.so";

    @Test
    void everyNativeTheBackendCallsIsExported() throws IOException {
        String driver = load(DRIVER);
        String cublas = load(CUBLAS);
        List<String> missing = new ArrayList<>();
        for (String m : new String[] {"cuInit", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetAttribute",
                "cuDeviceGetName", "cuDeviceTotalMem", "cuDriverGetVersion", "cuDevicePrimaryCtxRetain",
                "cuDevicePrimaryCtxRelease", "cuCtxSetCurrent", "cuModuleLoadData", "cuModuleUnload",
                "cuModuleGetFunction", "cuMemAlloc", "cuMemFree", "cuMemGetInfo", "cuMemAllocHost", "cuMemFreeHost",
                "cuMemcpyHtoDAsync", "cuMemcpyDtoHAsync", "cuMemcpyDtoDAsync", "cuMemsetD32Async", "cuMemsetD16Async",
                "cuStreamCreate", "cuStreamSynchronize", "cuStreamDestroy", "cuLaunchKernel", "cuEventCreate",
                "cuEventRecord", "cuEventSynchronize", "cuEventElapsedTime", "cuEventDestroy"}) {
            check(driver, "jcuda_driver_JCudaDriver", m, missing);
        }
        for (String m : new String[] {"cublasCreate", "cublasDestroy", "cublasSetStream", "cublasSetPointerMode",
                "cublasSetMathMode", "cublasSgemmStridedBatched", "cublasGemmStridedBatchedEx_new"}) {
            check(cublas, "jcuda_jcublas_JCublas2", m, missing);
        }
        assertTrue(missing.isEmpty(), "natives without a plain JNI export: " + missing);
        assertTrue(cublas.contains("_Z60Java_jcuda_jcublas_JCublas2_cublasGemmStridedBatchedExNative"),
                "the legacy GemmStridedBatchedEx is still mangled: this test's premise changed, recheck it");
    }

    private static void check(String lib, String cls, String method, List<String> missing) {
        // JNI escapes '_' in a method name as "_1"; JCuda's natives are named <method>Native.
        String sym = "Java_" + cls + "_" + method.replace("_", "_1") + "Native";
        if (!lib.contains("\0" + sym + "\0")) {
            missing.add(sym);
        }
    }

    private static String load(String resource) throws IOException {
        try (InputStream in = JniSymbolsTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertNotNull(in, resource + " not on the test class path (jcuda/jcublas natives for linux-x86_64)");
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}

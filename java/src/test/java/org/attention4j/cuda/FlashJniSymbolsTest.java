package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The JCuda natives the fused path adds (beyond {@link JniSymbolsTest}'s) are plain JNI exports. */
class FlashJniSymbolsTest {

    @Test
    void theFusedPathsNativesAreExported() throws IOException {
        String lib;
        try (InputStream in = getClass().getClassLoader()
                .getResourceAsStream("lib/libJCudaDriver-12.6.0-linux-x86_64.so")) {
            assertNotNull(in, "jcuda driver natives for linux-x86_64 not on the test class path");
            lib = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
        for (String m : new String[] {"cuFuncSetAttribute", "cuLaunchKernel", "cuModuleGetFunction",
                "cuDeviceGetAttribute", "cuMemcpyDtoDAsync", "cuMemsetD32Async"}) {
            String sym = "Java_jcuda_driver_JCudaDriver_" + m + "Native";
            assertTrue(lib.contains("\0" + sym + "\0"), sym + " is not a plain JNI export");
        }
    }
}

package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fused kernels' launch argument lists ({@link KernelArgs}) and names ({@link FlashLaunch}) against the
 * compiled signatures: {@code flash_fwd.cu} and {@code flash_decode.cu} (from {@code -Dattention4j.cudaSources},
 * default ../cuda) are compiled to PTX with nvcc and each kernel's {@code .param} types must equal what this
 * backend passes. Needs nvcc, not a GPU; skipped with the reason where nvcc or the fused sources are absent.
 */
class FlashKernelAbiTest {

    @Test
    void fusedKernelArgumentsMatchThePtxSignatures(@TempDir Path tmp) throws IOException, InterruptedException {
        Path src = Path.of(System.getProperty("attention4j.cudaSources", "../cuda")).toAbsolutePath();
        assumeTrue(Files.isRegularFile(src.resolve("flash_fwd.cu")) && Files.isRegularFile(src.resolve("flash_decode.cu")),
                "no fused kernel sources (flash_fwd.cu, flash_decode.cu) at " + src);
        String nvcc = findNvcc();
        assumeTrue(nvcc != null, "nvcc not found (PATH, $NVCC, /usr/local/cuda/bin)");
        Path unit = tmp.resolve("flash_all.cu");
        Files.writeString(unit, "#include \"" + src.resolve("flash_fwd.cu") + "\"\n#include \""
                + src.resolve("flash_decode.cu") + "\"\n");
        Path ptx = tmp.resolve("flash.ptx");
        Process p = new ProcessBuilder(nvcc, "-ptx", "-std=c++17", "-arch=compute_90", "-o", ptx.toString(),
                unit.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "nvcc timed out");
        assertEquals(0, p.exitValue(), "nvcc failed:\n" + log);
        Map<String, List<String>> entries = KernelAbiTest.entries(Files.readString(ptx));
        assertTrue(entries.containsKey(Kernels.FUSED_PROBE), "the probe kernel " + Kernels.FUSED_PROBE
                + " is missing: " + entries.keySet());

        KernelArgs.Flash f = new KernelArgs.Flash(1, 1, 1, 1, 1, 64, 1f, 0, -1, -1, null, null, null, null,
                null);
        KernelArgs.Decode d = new KernelArgs.Decode(null, 1, 1, 1, 1, 1, 64, 1f, 0, -1, -1, null, 1);
        for (DType t : DType.values()) {
            check(entries, FlashLaunch.forwardV1(t, 1, 1, 1, 64).function(),
                    KernelArgs.forward(null, null, null, null, null, f));
            check(entries, FlashLaunch.weights(t, 1, 1, 1, 1).function(),
                    KernelArgs.weights(null, null, null, null, f));
            check(entries, FlashLaunch.decodeSplit(t, 1, 1, 1, 1, 64, 1).function(),
                    KernelArgs.decodeSplit(null, null, null, null, null, d));
            check(entries, FlashLaunch.decodeCombine(t, 1).function(),
                    KernelArgs.combine(null, null, null, null, 1, 1, 64));
            check(entries, FlashLaunch.merge(t, 1).function(), KernelArgs.merge(null, null, null, null, 1, 1, 1));
            check(entries, FlashLaunch.append(t, 1, 1, 1, 64).function(),
                    KernelArgs.append(null, null, null, null, null, null, 1, 1, 1, 1, 64));
            if (t != DType.FP32) {
                for (int bucket : FlashLaunch.V2_BUCKETS) {
                    check(entries, FlashLaunch.forwardV2(t, 1, 1, 1, bucket).function(),
                            KernelArgs.forward(null, null, null, null, null, f));
                }
            }
        }
        check(entries, "a4j_kv_advance", KernelArgs.advance(null, null, 1, 1, 1));
    }

    private static void check(Map<String, List<String>> entries, String name, KernelArgs args) {
        assertTrue(entries.containsKey(name), "kernel " + name + " not in the PTX; it has " + entries.keySet());
        assertEquals(entries.get(name), args.types(), "parameters of " + name);
    }

    private static String findNvcc() {
        String env = System.getenv("NVCC");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return env;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path c = Path.of(dir, "nvcc");
            if (Files.isExecutable(c)) {
                return c.toString();
            }
        }
        Path c = Path.of("/usr/local/cuda/bin/nvcc");
        return Files.isExecutable(c) ? c.toString() : null;
    }
}

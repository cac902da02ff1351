package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launch parameter lists of {@link KernelArgs} against the kernels' compiled signatures: the CUDA sources
 * (cuda/all.cu, or the directory in {@code -Dattention4j.cudaSources}) are compiled to PTX with nvcc and each
 * {@code .entry}'s {@code .param} types must equal the types this backend passes. Needs nvcc, not a GPU; skipped
 * with the reason where either the sources or nvcc are absent.
 */
class KernelAbiTest {

    @Test
    void launchArgumentsMatchThePtxSignatures(@TempDir Path tmp) throws IOException, InterruptedException {
        Path src = Path.of(System.getProperty("attention4j.cudaSources", "../cuda"));
        assumeTrue(Files.isRegularFile(src.resolve("all.cu")), "no CUDA sources at " + src.toAbsolutePath());
        String nvcc = findNvcc();
        assumeTrue(nvcc != null, "nvcc not found (PATH, $NVCC, /usr/local/cuda/bin)");
        Path ptx = tmp.resolve("all.ptx");
        Process p = new ProcessBuilder(nvcc, "-ptx", "-std=c++17", "-arch=compute_90", "-o", ptx.toString(),
                src.resolve("all.cu").toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "nvcc timed out");
        assertEquals(0, p.exitValue(), "nvcc failed:\n" + log);
        Map<String, List<String>> entries = entries(Files.readString(ptx));

        KernelArgs.Mask m = new KernelArgs.Mask(1, 1, 1, 1, 1f, 0, -1, -1, null, null, null, null, null, null);
        for (DType t : DType.values()) {
            String s = Kernels.suffix(t);
            check(entries, "a4j_softmax_" + s, KernelArgs.softmax(null, null, null, m));
            check(entries, "a4j_softmax_cached_" + s, KernelArgs.softmax(null, null, null, m));
            check(entries, "a4j_softmax_split_finish_" + s, KernelArgs.splitFinish(null, null, null, null, 4, m));
            check(entries, "a4j_rope_" + s, KernelArgs.rope(null, 1, 1, 1, 2, 2, 0, null, 1f, 0, null, 0));
            if (t != DType.FP32) {
                check(entries, "a4j_f32_to_" + s, KernelArgs.convert(null, null, 1));
                check(entries, "a4j_" + s + "_to_f32", KernelArgs.convert(null, null, 1));
            }
        }
        check(entries, "a4j_softmax_split_stats", KernelArgs.splitStats(null, null, 4, m));
    }

    private static void check(Map<String, List<String>> entries, String name, KernelArgs args) {
        assertTrue(entries.containsKey(name), "kernel " + name + " not in the PTX; it has " + entries.keySet());
        assertEquals(entries.get(name), args.types(), "parameters of " + name);
    }

    /** Kernel name to its parameter types, from the PTX's {@code .visible .entry name(.param .type ...)} lines. */
    static Map<String, List<String>> entries(String ptx) {
        Map<String, List<String>> out = new HashMap<>();
        Matcher e = Pattern.compile("\\.visible\\s+\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)").matcher(ptx);
        while (e.find()) {
            Matcher t = Pattern.compile("\\.param\\s+\\.(\\w+)").matcher(e.group(2));
            List<String> types = new java.util.ArrayList<>();
            while (t.find()) {
                types.add(t.group(1));
            }
            out.put(e.group(1), types);
        }
        return out;
    }

    private static String findNvcc() {
        String env = System.getenv("NVCC");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return env;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path c = Path.of(dir, "nvcc");
            if (Files.isExecutable(c)) {
                return c.toString();
            }
        }
        Path c = Path.of("/usr/local/cuda/bin/nvcc");
        return Files.isExecutable(c) ? c.toString() : null;
    }
}

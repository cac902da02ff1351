package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * The library with JCuda left out of the class path (a user who excludes the optional CUDA dependencies, or a
 * platform JCuda publishes nothing for): AUTO opens on the cpu, says why, and computes (issue 9). In a child JVM,
 * since this one has JCuda.
 */
class WithoutJCudaTest {

    @Test
    void autoRunsOnTheCpuAndSaysJCudaIsMissing() throws Exception {
        String cp = Arrays.stream(ChildClassPath.get().split(File.pathSeparator))
                .filter(e -> !Path.of(e).getFileName().toString().toLowerCase().matches("j?cu(da|blas).*\\.jar"))
                .collect(Collectors.joining(File.pathSeparator));
        assertTrue(!cp.contains("jcuda-") && !cp.contains("jcublas-"), "JCuda's jars left out: " + cp);
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", cp, Child.class.getName())).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("backend CPU"), out);
        assertTrue(out.contains("JCuda is not on the class path"), out);
        assertTrue(out.contains("output 0.5"), "it computes: " + out);
    }

    /** AUTO in a JVM without JCuda's classes. */
    public static final class Child {
        public static void main(String[] args) {
            try (AttentionEngine e = AttentionEngine.builder().backend(Backend.AUTO).threads(1).build()) {
                System.out.println("backend " + e.backend() + ": " + e.selectionReason());
                // One query over two keys with equal scores: the output is the mean of the values, 0 and 1.
                Tensor q = Tensor.of(new float[] {0}, 1, 1, 1, 1);
                Tensor k = Tensor.of(new float[] {1, 1}, 1, 1, 2, 1);
                Tensor v = Tensor.of(new float[] {0, 1}, 1, 1, 2, 1);
                System.out.println("output " + e.attention(q, k, v).output().data()[0]);
            }
        }
    }
}

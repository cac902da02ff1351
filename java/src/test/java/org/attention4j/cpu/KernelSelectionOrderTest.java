package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The kernel kinds load in any order: a fresh JVM whose first use is the Vector API kind's own class (as a
 * benchmark harness or a test calling its exponential would) still gets a working kind. When the choice was made
 * in TileOps' initialiser, that order instantiated VectorTileOps before its static fields were set (an NPE).
 */
class KernelSelectionOrderTest {
    /** Run in a child JVM: touch VectorTileOps first, then the chosen kind. */
    public static void main(String[] args) {
        float e = VectorTileOps.exp(FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, 0f)).lane(0);
        System.out.println("e^0=" + e + " kernels=" + TileOps.active().describe());
    }

    @Test
    void vectorKindTouchedFirstStillWorks() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "-Dattention4j.cpu.simd=vector", "-cp", org.attention4j.ChildClassPath.get(),
                KernelSelectionOrderTest.class.getName()))
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("e^0=1.0 kernels=vector"), out);
    }
}

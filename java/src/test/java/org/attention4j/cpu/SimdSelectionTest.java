package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * Each surefire execution says which kernel kind it means to test ({@code attention4j.test.expectKernels}); this
 * fails when the JVM silently runs the other one (a lost {@code --add-modules} flag would otherwise turn the
 * vector run into a second scalar run).
 */
class SimdSelectionTest {
    @Test
    void theExecutionRunsTheKernelsItMeansToTest() {
        String expect = System.getProperty("attention4j.test.expectKernels");
        assumeTrue(expect != null, "not run by a surefire execution that names its kernel kind");
        assertEquals(expect.equals("vector"), SimdSupport.vectorActive(),
                "expected " + expect + " kernels, running " + SimdSupport.activeKernels());
        assertEquals(expect.equals("vector"), SimdSupport.vectorModulePresent());
    }
}

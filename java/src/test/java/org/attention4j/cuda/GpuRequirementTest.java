package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** A GPU test skips without a GPU, and fails instead when the run asks for one. */
class GpuRequirementTest {
    @AfterEach
    void clear() {
        System.clearProperty(GpuRequirement.PROPERTY);
    }

    @Test
    void skipsUnlessRequiredThenFails() {
        GpuRequirement.require(true, "never shown");
        TestAbortedException skip = assertThrows(TestAbortedException.class,
                () -> GpuRequirement.require(false, "no CUDA device: probe says X"));
        assertTrue(skip.getMessage().contains("probe says X"), skip.getMessage());
        System.setProperty(GpuRequirement.PROPERTY, "true");
        AssertionFailedError fail = assertThrows(AssertionFailedError.class,
                () -> GpuRequirement.require(false, "no CUDA device: probe says X"));
        assertTrue(fail.getMessage().contains("the GPU is required") && fail.getMessage().contains("probe says X"),
                fail.getMessage());
        GpuRequirement.require(true, "never shown");
    }
}

package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How a GPU test meets a machine without what it needs: it skips with the reason, unless the run asks for the GPU
 * ({@code -Dattention4j.test.requireGpu=true}, as {@code tools/gpu_machine.sh} sets it on the lent GPU machine),
 * where the same reason fails it. A misconfigured GPU run (no driver found, the cuBLAS shim missing, kernels not
 * packed) then shows red instead of a green run of skips.
 */
final class GpuRequirement {
    /** The system property that turns skips into failures. */
    static final String PROPERTY = "attention4j.test.requireGpu";

    private GpuRequirement() {
    }

    /** Whether this run asks for the GPU. */
    static boolean required() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** Continues when {@code condition} holds; else skips with {@code reason}, or fails when the GPU is required. */
    static void require(boolean condition, String reason) {
        if (condition) {
            return;
        }
        if (required()) {
            fail("the GPU is required (-D" + PROPERTY + "=true) but " + reason);
        }
        assumeTrue(false, reason);
    }
}

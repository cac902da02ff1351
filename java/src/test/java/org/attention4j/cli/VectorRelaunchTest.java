package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Which commands relaunch, and the child's command line. */
class VectorRelaunchTest {
    @Test
    void onlyBenchWantsTheVectorKernels() {
        assertTrue(VectorRelaunch.wantsVector(new String[] {"bench", "--seq", "512"}));
        assertTrue(VectorRelaunch.wantsVector(new String[] {"--verbose", "bench"}));
        assertFalse(VectorRelaunch.wantsVector(new String[] {"attend", "--q", "bench"}), "the subcommand decides");
        assertFalse(VectorRelaunch.wantsVector(new String[] {"demo"}));
        assertFalse(VectorRelaunch.wantsVector(new String[] {}));
    }

    @Test
    void childCommandIsThisJvmsWithTheFlagAndTheGuardInFront() {
        // This test JVM's own arguments do not end with these, so the command is refused (null) rather than guessed.
        assertNull(VectorRelaunch.command(new String[] {"no-such-argument-of-this-jvm"}));
        List<String> cmd = VectorRelaunch.command(new String[0]);
        if (cmd != null) {   // null only where this JVM's command line cannot be read
            assertTrue(cmd.get(0).endsWith("java"), cmd.get(0));
            assertEquals("--add-modules=jdk.incubator.vector", cmd.get(1));
            assertEquals("-D" + VectorRelaunch.PROPERTY + "=false", cmd.get(2));
            assertEquals(ProcessHandle.current().info().arguments().orElseThrow().length + 3, cmd.size());
        }
    }
}

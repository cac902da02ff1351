package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** Which commands get the start-up helper, and the command line built for only the command that runs. */
class ColdStartTest {
    @Test
    void onlyOneShotComputeCommandsThatMayRunOnTheCpuWarmUp() {
        assertTrue(ColdStart.warmsUp(new String[] {"attend", "--q", "q.npy"}));
        assertTrue(ColdStart.warmsUp(new String[] {"attend", "--backend", "cpu"}));
        assertTrue(ColdStart.warmsUp(new String[] {"demo", "--backend=auto"}));
        assertTrue(ColdStart.warmsUp(new String[] {"maps"}));
        assertFalse(ColdStart.warmsUp(new String[0]));
        assertFalse(ColdStart.warmsUp(new String[] {"bench"}));
        assertFalse(ColdStart.warmsUp(new String[] {"heatmap", "--weights", "w.npy"}));
        assertFalse(ColdStart.warmsUp(new String[] {"attend", "--backend", "cuda"}));
        assertFalse(ColdStart.warmsUp(new String[] {"attend", "--backend=reference"}));
        assertFalse(ColdStart.warmsUp(new String[] {"attend", "--help"}));
        assertFalse(ColdStart.warmsUp(new String[] {"demo", "-V"}));
        assertFalse(ColdStart.warmsUp(new String[] {"demo", "--verbose"}));
        // After "--" nothing is an option.
        assertTrue(ColdStart.warmsUp(new String[] {"attend", "--", "--backend", "cuda"}));
    }

    @Test
    void aNamedCommandGetsOnlyItselfOthersGetEveryCommand() {
        assertEquals(List.of("attend"), List.copyOf(Main.commandLine("attend", "--q", "x").getSubcommands().keySet()));
        List<String> all = List.of("demo", "attend", "bench", "heatmap", "maps", "help");
        assertEquals(all, List.copyOf(Main.commandLine().getSubcommands().keySet()));
        assertEquals(all, List.copyOf(Main.commandLine("--help").getSubcommands().keySet()));
        assertEquals(all, List.copyOf(Main.commandLine("help", "attend").getSubcommands().keySet()));
        assertEquals(all, List.copyOf(Main.commandLine("nosuch").getSubcommands().keySet()));
        CommandLine attend = Main.commandLine("attend").getSubcommands().get("attend");
        assertTrue(attend.getCommandSpec().findOption("--verbose") != null, "inherited options reach it");
    }

    @Test
    void withoutAHelperTheCallStartsAtOnce() {
        long t0 = System.nanoTime();
        ColdStart.computeStarts();
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
    }
}

package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine;

/** Every command answers --help with its usage and status 0 (the error lines point users there). */
class HelpTest {
    @ParameterizedTest
    @ValueSource(strings = {"demo", "attend", "bench", "heatmap"})
    void subcommandHelpExitsZero(String command) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(command, "--help");
        assertEquals(0, status, "stderr: " + err);
        assertTrue(out.toString().startsWith("Usage: attention4j " + command), out.toString());
    }
}

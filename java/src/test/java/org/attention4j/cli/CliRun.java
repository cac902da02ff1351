package org.attention4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import picocli.CommandLine;

/** One in-process CLI run as {@code Main.run} does it, with stdout and stderr captured: the tests' harness. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(o, true));
        cl.setErr(new PrintWriter(e, true));
        int code = cl.execute(args);
        return new CliRun(code, o.toString(), e.toString());
    }

    static CliRun of(List<String> args) {
        return of(args.toArray(new String[0]));
    }
}

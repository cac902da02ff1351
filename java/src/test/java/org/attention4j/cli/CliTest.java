package org.attention4j.cli;

/** A test of the command line: {@link #run} runs one command in-process ({@link CliRun}), keeping what it printed. */
abstract class CliTest {
    /** What the last {@link #run} printed on stdout. */
    String out;
    /** What the last {@link #run} printed on stderr. */
    String err;

    /** Runs {@code attention4j args...}, returning its exit status. */
    int run(String... args) {
        CliRun r = CliRun.of(args);
        out = r.out();
        err = r.err();
        return r.code();
    }
}

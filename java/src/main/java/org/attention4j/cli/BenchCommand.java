package org.attention4j.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;

/** PLACEHOLDER during the founding session. */
@Command(name = "bench", description = "PLACEHOLDER")
public final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("bench: not yet");
    }
}

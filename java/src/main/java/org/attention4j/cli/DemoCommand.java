package org.attention4j.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;

/** PLACEHOLDER during the founding session. */
@Command(name = "demo", description = "PLACEHOLDER")
public final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("demo: not yet");
    }
}

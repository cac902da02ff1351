package org.attention4j.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;

/** PLACEHOLDER during the founding session. */
@Command(name = "attend", description = "PLACEHOLDER")
public final class AttendCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("attend: not yet");
    }
}

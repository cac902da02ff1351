package org.attention4j.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;

/** PLACEHOLDER during the founding session. */
@Command(name = "heatmap", description = "PLACEHOLDER")
public final class HeatmapCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("heatmap: not yet");
    }
}

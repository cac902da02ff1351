package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.TimeZone;

import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;

/** The CLI's hand-written log line is the one logback's pattern would write, to the character. */
class FallbackLoggingTest {
    private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    @Test
    void theLineIsWhatThePatternWrites() {
        LoggerContext context = new LoggerContext();
        FallbackLogging.Line line = new FallbackLogging.Line();
        line.setContext(context);
        line.start();
        Logger nested = context.getLogger("org.attention4j.cpu.SimdSupport");
        Logger bare = context.getLogger("plain");
        TimeZone saved = TimeZone.getDefault();
        try {
            // Zones with half-hour offsets and either side of UTC; times around midnight and with small millis.
            for (String zone : new String[] {"UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Kiritimati"}) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                PatternLayout pattern = pattern(context); // it takes the default zone when it starts
                for (long t : new long[] {0L, 1_765_151_999_007L, 1_765_152_000_090L, 1_780_000_000_123L}) {
                    for (Level level : new Level[] {Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR}) {
                        LoggingEvent e = new LoggingEvent(Logger.FQCN, nested, level, "cpu kernels: {} ({} lanes)",
                                null, new Object[] {"vector", 16});
                        e.setTimeStamp(t);
                        assertEquals(pattern.doLayout(e), line.doLayout(e), zone + " " + t + " " + level);
                    }
                    LoggingEvent e = new LoggingEvent(Logger.FQCN, bare, Level.WARN, "no package", null, null);
                    e.setTimeStamp(t);
                    assertEquals(pattern.doLayout(e), line.doLayout(e), zone + " " + t);
                }
            }
        } finally {
            TimeZone.setDefault(saved);
        }
    }

    @Test
    void aThrowableFollowsTheLineAsLogbackPrintsIt() {
        LoggerContext context = new LoggerContext();
        PatternLayout pattern = pattern(context);
        FallbackLogging.Line line = new FallbackLogging.Line();
        line.setContext(context);
        line.start();
        LoggingEvent e = new LoggingEvent(Logger.FQCN, context.getLogger("x.Y"), Level.ERROR, "failed",
                new IllegalStateException("boom", new RuntimeException("cause")), null);
        e.setTimeStamp(1_765_152_000_090L);
        assertEquals(pattern.doLayout(e), line.doLayout(e));
    }

    private static PatternLayout pattern(LoggerContext context) {
        PatternLayout pattern = new PatternLayout();
        pattern.setContext(context);
        pattern.setPattern(PATTERN);
        pattern.start();
        return pattern;
    }
}

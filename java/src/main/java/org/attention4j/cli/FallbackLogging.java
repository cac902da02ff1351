package org.attention4j.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's configuration when nobody gave one, registered (as a service) only in the shaded CLI jar, which
 * bundles logback: the CLI's own logging (stderr, INFO for attention4j, WARN for the rest), and what an
 * application gets that puts that jar on its classpath as a library with no {@code logback.xml}, instead of
 * logback's own default of every DEBUG line of every library on standard output.
 *
 * <p>In code rather than in an XML file: parsing one loads about 500 classes (logback's Joran and the JDK's XML
 * parser; {@code docs/benchmarks/cli_startup.txt}). Logback runs service configurators before it looks for
 * configuration files, so this one steps aside (lets the next run) whenever the user configured logback: the
 * {@code logback.configurationFile} property or a {@code logback-test.xml} / {@code logback.xml} on the classpath.
 */
@ConfiguratorRank(ConfiguratorRank.FALLBACK + 1)
public final class FallbackLogging extends ContextAwareBase implements Configurator {

    /**
     * The line of the CLI's own configuration, logback's {@code %d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n}
     * written by hand: a {@code PatternLayout} loads its parser and every converter logback has (about 100
     * classes more in all, 83 of them logback's, counted with {@code -Xlog:class+load}), on the critical path of
     * a one-shot command's start ({@code bench/cli_cold.sh}). {@code FallbackLoggingTest} holds it to the pattern.
     */
    static final class Line extends LayoutBase<ILoggingEvent> {
        @Override
        public String doLayout(ILoggingEvent event) {
            StringBuilder b = new StringBuilder(96);
            long ms = event.getTimeStamp();
            long local = Math.floorMod(ms + java.util.TimeZone.getDefault().getOffset(ms), 86_400_000L);
            two(b, (int) (local / 3_600_000)).append(':');
            two(b, (int) (local / 60_000 % 60)).append(':');
            two(b, (int) (local / 1000 % 60)).append('.');
            int milli = (int) (local % 1000);
            b.append((char) ('0' + milli / 100)).append((char) ('0' + milli / 10 % 10)).append((char) ('0' + milli % 10));
            String level = event.getLevel().toString();
            b.append(' ').append(level);
            for (int i = level.length(); i < 5; i++) {
                b.append(' ');
            }
            String logger = event.getLoggerName();
            b.append(' ').append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(" - ")
                    .append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                b.append(ThrowableProxyUtil.asString(thrown));
            }
            return b.toString();
        }

        private static StringBuilder two(StringBuilder b, int v) {
            return b.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
        }
    }

    /** For the ServiceLoader. */
    public FallbackLogging() {
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        if (cl == null) {
            cl = FallbackLogging.class.getClassLoader();
        }
        if (System.getProperty("logback.configurationFile") != null || cl.getResource("logback-test.xml") != null
                || cl.getResource("logback.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        Line layout = new Line();
        layout.setContext(context);
        layout.start();
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> err = new ConsoleAppender<>();
        err.setContext(context);
        err.setName("STDERR");
        err.setTarget("System.err");
        err.setEncoder(encoder);
        err.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(err);
        context.getLogger("org.attention4j").setLevel(Level.INFO);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}

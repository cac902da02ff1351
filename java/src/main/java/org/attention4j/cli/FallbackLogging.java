package org.attention4j.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
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

    /** The pattern of the CLI's own configuration. */
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

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
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
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

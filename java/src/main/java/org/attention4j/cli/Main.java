package org.attention4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code attention4j} command line: {@code demo}, {@code attend}, {@code bench}, {@code heatmap}, {@code maps}.
 *
 * <p>Errors print one line on stderr, {@code error: ...}, and exit with status 2 (bad usage or input) or 3 (an
 * engine failure); no stack trace unless {@code -Dattention4j.debug=true}. Log lines go to stderr only (INFO,
 * {@code --verbose} for DEBUG), so that stdout carries nothing but results.
 */
@Command(name = "attention4j",
        mixinStandardHelpOptions = true,
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Scaled dot-product attention on the GPU or CPU.",
        subcommands = {})
public final class Main implements Callable<Integer> {

    /** Exit status for bad usage or bad input. */
    public static final int EXIT_USAGE = 2;
    /** Exit status for an engine failure. */
    public static final int EXIT_ENGINE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Read by {@link #run(String...)} before parsing (logging must be set before anything logs); declared here
     *  so that every subcommand accepts and documents it. */
    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "DEBUG logging on stderr (default INFO)")
    boolean verbose;

    /** Entry point. */
    public static void main(String[] args) {
        // The cpu backend's fast kernels need a JVM flag a jar cannot carry: start again with it (VectorRelaunch).
        java.util.Optional<Integer> child = VectorRelaunch.maybeRelaunch(args);
        if (child.isEmpty()) {
            ColdStart.begin(args);
        }
        System.exit(child.isPresent() ? child.get() : run(args));
    }

    /** Runs the CLI and returns its exit status (used by tests, which must not exit the JVM). */
    public static int run(String... args) {
        CommandLine cl = commandLine(args);
        if (!wantsVerbose(args)) {
            return cl.execute(args);
        }
        // The CLI owns the logging backend (logback), so it may turn attention4j's logger up, and back after.
        ch.qos.logback.classic.Logger log = attentionLogger();
        ch.qos.logback.classic.Level before = log == null ? null : log.getLevel();
        if (log != null) {
            log.setLevel(ch.qos.logback.classic.Level.DEBUG);
        }
        try {
            return cl.execute(args);
        } finally {
            if (log != null) {
                log.setLevel(before);
            }
        }
    }

    /** Whether {@code --verbose} comes before any {@code --} (after it, arguments are not options). */
    static boolean wantsVerbose(String[] args) {
        for (String a : args) {
            if (a.equals("--")) {
                return false;
            }
            if (a.equals("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** attention4j's logback logger, or null when slf4j is bound to another backend (a test's, a user's). */
    private static ch.qos.logback.classic.Logger attentionLogger() {
        org.slf4j.Logger l = org.slf4j.LoggerFactory.getLogger("org.attention4j");
        return l instanceof ch.qos.logback.classic.Logger ? (ch.qos.logback.classic.Logger) l : null;
    }

    /** The subcommands by name, in the order {@code --help} lists them. */
    private static final Map<String, Supplier<Object>> COMMANDS = commands();

    private static Map<String, Supplier<Object>> commands() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("demo", DemoCommand::new);
        m.put("attend", AttendCommand::new);
        m.put("bench", BenchCommand::new);
        m.put("heatmap", HeatmapCommand::new);
        m.put("maps", MapsCommand::new);
        m.put("help", CommandLine.HelpCommand::new);
        return Collections.unmodifiableMap(m);
    }

    /** The configured picocli command line with every subcommand, with one-line error handlers. */
    public static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command line for {@code args}: when its first argument names a subcommand, that one only (picocli reads
     * the annotations of every command it is given, a visible part of each start for
     * commands that do not run), else all of them, so that {@code --help} and errors list every command.
     */
    public static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        Supplier<Object> only = args.length > 0 && !args[0].equals("help") ? COMMANDS.get(args[0]) : null;
        if (only != null) {
            cl.addSubcommand(only.get());
        } else {
            for (Supplier<Object> c : COMMANDS.values()) {
                cl.addSubcommand(c.get());
            }
        }
        cl.setParameterExceptionHandler((ex, given) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("error: " + ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help')");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            boolean usage = ex instanceof IllegalArgumentException || ex instanceof java.io.IOException
                    || ex instanceof java.io.UncheckedIOException;
            String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            err.println("error: " + msg.replace('\n', ' '));
            err.flush();
            if (Boolean.getBoolean("attention4j.debug")) {
                ex.printStackTrace(err);
            }
            return usage ? EXIT_USAGE : EXIT_ENGINE;
        });
        return cl;
    }

    /** No command given: the usage on stderr and status 2, as for any other incomplete command line. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("error: no command given");
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** The project version, written into {@code org/attention4j/version.properties} by the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/org/attention4j/version.properties")) {
                if (in == null) {
                    throw new IOException("org/attention4j/version.properties is missing from the classpath");
                }
                p.load(in);
            }
            return new String[] {"attention4j " + p.getProperty("version"),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}

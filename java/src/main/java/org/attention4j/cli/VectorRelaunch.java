package org.attention4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.attention4j.cpu.SimdSupport;

/**
 * Gives the CLI's long-running command ({@code bench}) the cpu backend's Vector API kernels without the user
 * knowing a flag. A JVM can read {@code jdk.incubator.vector} only when started with
 * {@code --add-modules jdk.incubator.vector}, and a jar manifest cannot say so; so when the module is missing the
 * CLI starts itself again, once, with the flag added in front of the JVM's own arguments, passes its standard
 * streams through, and exits with the child's status. The JDK's one-line "Using incubator modules" warning on
 * the child's stderr is dropped, so that errors stay one line.
 *
 * <p>The one-shot commands ({@code attend}, {@code demo}, {@code heatmap}) run in the first JVM on the portable
 * kernels: Vector API code is slow until C2 has compiled it, so a single call in a fresh JVM finishes sooner
 * without it ({@code bench/cli_cold.sh}, {@code docs/benchmarks/cli_cold.txt}). {@code -Dattention4j.cpu.simd=vector} relaunches for every command, {@code =scalar} never;
 * {@code -Dattention4j.relaunch=false} never relaunches; nor when this JVM's command line cannot be read.
 */
final class VectorRelaunch {
    /** Set on the child so that it can never start a third JVM. */
    static final String PROPERTY = "attention4j.relaunch";
    private static final String WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";

    private VectorRelaunch() {
    }

    /** The child's exit status when this JVM should relaunch itself and did, else empty (carry on here). */
    static Optional<Integer> maybeRelaunch(String[] args) {
        String simd = System.getProperty(SimdSupport.PROPERTY, "auto").trim();
        if (SimdSupport.vectorModulePresent() || !Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))
                || simd.equalsIgnoreCase("scalar")) {
            return Optional.empty();
        }
        if (!simd.equalsIgnoreCase("vector") && !wantsVector(args)) {
            // A one-shot command: the portable kernels, and no advice to add a flag that would slow it down.
            System.setProperty(SimdSupport.PROPERTY, "scalar");
            return Optional.empty();
        }
        List<String> command = command(args);
        if (command == null) {
            return Optional.empty();
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
            pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
            Process child = pb.start();
            Thread pump = new Thread(() -> copyDroppingWarning(child, System.err), "attention4j-stderr");
            pump.setDaemon(true);
            pump.start();
            int status = child.waitFor();
            pump.join();
            return Optional.of(status);
        } catch (IOException e) {
            // The relaunch is an optimisation: without it the same command runs here on the portable kernels.
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(130);
        }
    }

    /** Whether the subcommand (the first argument that is not an option) is one that runs long enough to gain. */
    static boolean wantsVector(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a.equals("bench");
            }
        }
        return false;
    }

    /**
     * This JVM's command line with {@code --add-modules jdk.incubator.vector} and the relaunch guard in front of
     * its options, or null when it cannot be read.
     */
    static List<String> command(String[] args) {
        ProcessHandle.Info info = ProcessHandle.current().info();
        Optional<String[]> all = info.arguments();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (all.isEmpty() || !Files.isExecutable(java)) {
            return null;
        }
        String[] a = all.get();
        int jvmPart = a.length - args.length;
        if (jvmPart < 1) {
            return null;
        }
        for (int i = 0; i < args.length; i++) {
            if (!a[jvmPart + i].equals(args[i])) {
                return null;   // not the plain command line we expect (e.g. an argument file): do not guess
            }
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("-D" + PROPERTY + "=false");
        for (String s : a) {
            cmd.add(s);
        }
        return cmd;
    }

    private static void copyDroppingWarning(Process child, PrintStream err) {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(child.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean first = true;
            while ((line = r.readLine()) != null) {
                if (first && line.equals(WARNING)) {
                    first = false;
                    continue;
                }
                first = false;
                err.println(line);
                err.flush();
            }
        } catch (IOException e) {
            err.println("error: lost the relaunched CLI's stderr: " + e.getMessage());
        }
    }
}

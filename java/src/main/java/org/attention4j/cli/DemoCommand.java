package org.attention4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.attention4j.io.HeatmapPng;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: runs self-attention, cross-attention, grouped-query causal decode with RoPE, and two content-free
 * problems (RoPE position similarity, causal ALiBi) on the chosen backend, checks each against the float64
 * reference, prints a table and writes attention maps as PNG heatmaps. Exit status 1 when a check fails.
 *
 * <p>The check: {@code max|x - ref| <= REL_TOL * max|ref| + ABS_TOL} for the output and for the weights, NaN
 * failing. For float32 inputs with float32 accumulation this bound is far above rounding error (about 1e-7
 * relative) and far below any real bug.
 */
@Command(name = "demo",
        description = {"Runs attention on embedded examples on the best backend, checks every result against the "
                + "float64 reference, prints timings and writes attention-map heatmaps (PNG).",
            "Exit status: 0 all checks passed, 1 a check failed, 2 bad usage, 3 engine failure."})
public final class DemoCommand implements Callable<Integer> {

    /** Relative part of the tolerance against the reference. */
    static final double REL_TOL = 1e-4;
    /** Absolute floor of the tolerance against the reference. */
    static final double ABS_TOL = 1e-6;

    /** Timed runs stop after this many, or earlier once {@link #TIME_BUDGET_NS} is spent (at least 3 runs). */
    private static final int MAX_RUNS = 7;
    private static final long TIME_BUDGET_NS = 1_000_000_000L;

    @Spec
    CommandSpec spec;

    @Option(names = "--out-dir", paramLabel = "DIR", defaultValue = "demo-out",
            description = "Directory for the heatmaps (created if missing; default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto",
            description = "auto|cpu|reference|cuda (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random inputs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Backend kind = Backend.parse(backend);
        List<DemoCases.Case> cases = DemoCases.all(seed);
        List<Row> rows = new ArrayList<>();
        List<String> written = new ArrayList<>();
        ColdStart.computeStarts();
        try (AttentionEngine engine = AttentionEngine.builder().backend(kind).build();
             AttentionEngine reference = AttentionEngine.create(Backend.REFERENCE)) {
            // Only once the backend is open: a refused backend leaves nothing behind.
            createOutDir(outDir);
            out.println("attention4j demo");
            out.println("backend: " + engine.backend().cliName() + " (" + engine.selectionReason() + ")");
            out.println("cpu kernels: " + org.attention4j.cpu.SimdSupport.activeKernels());
            out.printf(Locale.ROOT, "checked against: reference (float64 loops); pass when max|x - ref| <= %.0e * "
                    + "max|ref| + %.0e for output and weights%n%n", REL_TOL, ABS_TOL);
            out.flush();
            for (DemoCases.Case c : cases) {
                Row row = run(engine, reference, c);
                rows.add(row);
                for (DemoCases.Map m : c.maps()) {
                    Path file = outDir.resolve(m.file());
                    writeMap(row.weights, m, file);
                    written.add(String.format(Locale.ROOT, "  %-42s %s", file, m.what()));
                }
            }
        }
        printTable(out, rows);
        out.println();
        out.println("heatmaps (" + written.size() + " files, rows = queries, columns = keys):");
        written.forEach(out::println);
        long failed = rows.stream().filter(r -> !r.ok).count();
        out.println();
        out.println(failed == 0 ? "all " + rows.size() + " checks OK"
                : failed + " of " + rows.size() + " checks FAILED");
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    /** One line of the table, plus the weights for the heatmaps. */
    private static final class Row {
        String name;
        String backend;
        String shapes;
        String notes;
        double millis;
        double gflops;
        double errOut;
        double errWeights;
        boolean ok;
        Tensor weights;
    }

    private static Row run(AttentionEngine engine, AttentionEngine reference, DemoCases.Case c) {
        AttentionOptions plain = c.options();
        AttentionOptions withWeights = plain.toBuilder().returnWeights(true).build();
        // Warm-up lets the JIT compile the kernels' loops before anything is timed.
        engine.attention(c.q(), c.k(), c.v(), plain);
        AttentionResult timedResult = null;
        List<Long> times = new ArrayList<>();
        long started = System.nanoTime();
        while (times.size() < MAX_RUNS && (times.size() < 3 || System.nanoTime() - started < TIME_BUDGET_NS)) {
            long t0 = System.nanoTime();
            timedResult = engine.attention(c.q(), c.k(), c.v(), plain);
            times.add(System.nanoTime() - t0);
        }
        AttentionResult mapped = engine.attention(c.q(), c.k(), c.v(), withWeights);
        AttentionResult ref = reference.attention(c.q(), c.k(), c.v(), withWeights);

        Row row = new Row();
        row.name = c.name();
        row.backend = timedResult.backend().cliName();
        row.shapes = c.shapes();
        row.notes = c.notes();
        row.millis = median(times) / 1e6;
        row.gflops = c.flops() / (row.millis * 1e6);
        Tensor refOut = ref.output();
        Tensor refW = ref.weights().orElseThrow();
        // Both the timed (no weights) and the weights-returning path must match: backends may take different
        // code paths for them.
        row.errOut = Math.max(maxAbsDiff(timedResult.output(), refOut), maxAbsDiff(mapped.output(), refOut));
        row.weights = mapped.weights().orElseThrow(() -> new IllegalStateException(
                "backend " + row.backend + " returned no weights although they were asked for"));
        row.errWeights = maxAbsDiff(row.weights, refW);
        row.ok = withinTolerance(timedResult.output(), refOut) && withinTolerance(mapped.output(), refOut)
                && withinTolerance(row.weights, refW);
        return row;
    }

    /** The demo's check: {@code max|got - ref| <= REL_TOL * max|ref| + ABS_TOL}, false on NaN or shape mismatch. */
    static boolean withinTolerance(Tensor got, Tensor ref) {
        return maxAbsDiff(got, ref) <= tolerance(ref);
    }

    private static double tolerance(Tensor ref) {
        double m = 0;
        for (float x : ref.data()) {
            m = Math.max(m, Math.abs(x));
        }
        return REL_TOL * m + ABS_TOL;
    }

    /** The largest absolute difference; NaN (so that the check fails) if either side has a NaN. */
    static double maxAbsDiff(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            return Double.NaN;
        }
        float[] x = a.data(), y = b.data();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            double d = Math.abs((double) x[i] - y[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    private static double median(List<Long> xs) {
        long[] s = xs.stream().mapToLong(Long::longValue).sorted().toArray();
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    }

    private static void writeMap(Tensor weights, DemoCases.Map m, Path file) throws IOException {
        int[] sh = weights.shape(); // [B, Hq, Nq, Nk]
        int nq = sh[2], nk = sh[3];
        int offset = ((m.batch() * sh[1]) + m.head()) * nq * nk;
        String title = file.getFileName().toString().replaceFirst("\\.png$", "") + " batch " + m.batch() + " head "
                + m.head() + " [" + nq + " x " + nk + "]" + (m.log() ? " log" : "");
        HeatmapPng.builder().log(m.log()).title(title).build().write(weights.data(), offset, nq, nk, file);
    }

    private static void printTable(PrintWriter out, List<Row> rows) {
        String fmt = "%-13s %-9s %-42s %-32s %9s %8s %9s %9s  %s%n";
        out.printf(Locale.ROOT, fmt, "case", "backend", "shapes", "options", "time ms", "GFLOP/s", "err out",
                "err P", "check");
        for (Row r : rows) {
            out.printf(Locale.ROOT, fmt, r.name, r.backend, r.shapes, r.notes,
                    String.format(Locale.ROOT, "%.3f", r.millis), String.format(Locale.ROOT, "%.2f", r.gflops),
                    String.format(Locale.ROOT, "%.2e", r.errOut), String.format(Locale.ROOT, "%.2e", r.errWeights),
                    r.ok ? "OK" : "FAIL");
        }
        out.println();
        out.println("time: median of timed runs after one warm-up, output only (no weights); GFLOP/s counts "
                + "2*B*Hq*(visible pairs)*(D+Dv) (= 4*B*H*N^2*D for full self-attention, about half of it causal)");
    }

    /** Creates {@code --out-dir}, or says in one line why it cannot be used. */
    static void createOutDir(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("--out-dir " + dir + ": exists and is not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IOException("--out-dir " + dir + ": cannot create it, permission denied in " + e.getFile());
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new IOException("--out-dir " + dir + ": " + e.getFile() + " exists and is not a directory");
        } catch (java.nio.file.FileSystemException e) {
            throw new IOException("--out-dir " + dir + ": cannot create it (" + e.getReason() + ")");
        }
    }
}

package org.attention4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.attention4j.io.Npy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: attention throughput over a sweep of sequence lengths, per backend. Inputs are seeded random
 * float32 tensors; each case runs {@code --warmup} untimed calls and {@code --iters} timed ones and reports the
 * median. FLOPs are counted as {@code 4 * B * Hq * Nq * Nk * D}, halved under a causal mask. The table goes to
 * stdout, one progress line per case to stderr.
 */
@Command(name = "bench",
        description = "Attention throughput over a sweep of sizes, per backend (median of --iters timed calls).")
public final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", split = ",", paramLabel = "B",
            description = "Backends to time: cpu, reference, cuda, auto (default: cpu).")
    List<String> backends = List.of("cpu");

    @Option(names = "--batch", description = "Batch size B (default: ${DEFAULT-VALUE}).")
    int batch = 1;

    @Option(names = "--heads", description = "Query heads Hq (default: ${DEFAULT-VALUE}).")
    int heads = 8;

    @Option(names = "--kv-heads", description = "Key/value heads Hkv (default: same as --heads).")
    Integer kvHeads;

    @Option(names = "--seq", split = ",", paramLabel = "N",
            description = "Sequence lengths, Nq = Nk = N (default: 512,1024,2048).")
    List<Integer> seq = List.of(512, 1024, 2048);

    @Option(names = "--kv-seq", description = "Key length Nk when it differs from Nq (default: same as --seq).")
    Integer kvSeq;

    @Option(names = "--dim", description = "Head dim D (default: ${DEFAULT-VALUE}).")
    int dim = 64;

    @Option(names = "--causal", description = "Causal mask (bottom-right).")
    boolean causal;

    @Option(names = "--weights", description = "Also return the attention weights (allocates B*Hq*Nq*Nk floats).")
    boolean weights;

    @Option(names = "--warmup", description = "Untimed calls per case (default: ${DEFAULT-VALUE}).")
    int warmup = 2;

    @Option(names = "--warmup-time", paramLabel = "SECONDS",
            description = "Keep warming up until this much time has passed too, so that the JIT has compiled the "
                    + "hot loops (default: ${DEFAULT-VALUE}; 0 times nearly cold calls).")
    double warmupSeconds = 1.0;

    @Option(names = "--iters", description = "Timed calls per case (default: ${DEFAULT-VALUE}).")
    int iters = 5;

    @Option(names = "--threads", description = "CPU worker threads (default: available processors).")
    Integer threads;

    @Option(names = "--seed", description = "Seed of the random inputs (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--inputs", paramLabel = "DIR",
            description = "Time the tensors in DIR/q.npy, DIR/k.npy, DIR/v.npy (float32, [B,H,N,D]) instead of "
                    + "random ones; --batch, --heads, --kv-heads, --seq, --kv-seq and --dim are then ignored.")
    Path inputs;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Backend> kinds = new ArrayList<>();
        for (String b : backends) {
            kinds.add(Backend.parse(b));
        }
        int hkv = kvHeads == null ? heads : kvHeads;
        require(batch >= 1, "--batch must be >= 1, got " + batch);
        require(heads >= 1 && hkv >= 1 && heads % hkv == 0,
                "--heads (" + heads + ") must be a positive multiple of --kv-heads (" + hkv + ")");
        require(dim >= 1, "--dim must be >= 1, got " + dim);
        require(warmup >= 0, "--warmup must be >= 0, got " + warmup);
        require(iters >= 1, "--iters must be >= 1, got " + iters);
        require(warmupSeconds >= 0 && warmupSeconds <= 3600, "--warmup-time must be in [0, 3600], got " + warmupSeconds);
        require(threads == null || threads >= 1, "--threads must be >= 1, got " + threads);
        for (int n : seq) {
            require(n >= 1, "--seq values must be >= 1, got " + n);
        }
        require(kvSeq == null || kvSeq >= 1, "--kv-seq must be >= 1, got " + kvSeq);

        // Inputs read (and refused) before the table header, so a bad file gives one line and no table.
        Tensor[] given = inputs == null ? null : new Tensor[] {
            Npy.readTensor(inputs.resolve("q.npy")), Npy.readTensor(inputs.resolve("k.npy")),
            Npy.readTensor(inputs.resolve("v.npy"))};
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        out.printf(Locale.ROOT, "# attention4j bench: java %s, %d cpus, %d cpu threads, warmup %d (and >= %.1f s), iters %d%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), workers, warmup,
                warmupSeconds, iters);
        out.println("# cpu kernels: " + org.attention4j.cpu.SimdSupport.activeKernels());
        out.printf(Locale.ROOT, "%-9s %3s %4s %4s %7s %7s %5s %6s %11s %9s%n",
                "backend", "B", "Hq", "Hkv", "Nq", "Nk", "D", "causal", "median_ms", "GFLOP/s");
        out.flush();
        AttentionOptions options = AttentionOptions.builder()
                .causal(causal ? org.attention4j.Causal.BOTTOM_RIGHT : org.attention4j.Causal.NONE)
                .returnWeights(weights).build();
        List<Integer> lengths = given == null ? seq : List.of(-1);
        int total = kinds.size() * lengths.size();
        int done = 0;
        for (Backend kind : kinds) {
            try (AttentionEngine engine = AttentionEngine.builder().backend(kind).threads(workers).build()) {
                for (int n : lengths) {
                    Tensor q;
                    Tensor k;
                    Tensor v;
                    if (given != null) {
                        q = given[0];
                        k = given[1];
                        v = given[2];
                    } else {
                        Random r = new Random(seed);
                        int nk = kvSeq == null ? n : kvSeq;
                        q = random(r, batch, heads, n, dim);
                        k = random(r, batch, hkv, nk, dim);
                        v = random(r, batch, hkv, nk, dim);
                    }
                    // Shapes checked (rank 4, matching dims) before the progress line, so bad inputs give one line.
                    org.attention4j.spi.AttentionProblem.of(q, k, v, options);
                    int b = q.dim(0);
                    int hq = q.dim(1);
                    int nq = q.dim(2);
                    int d = q.dim(3);
                    int hk = k.dim(1);
                    int nk = k.dim(2);
                    done++;
                    err.printf(Locale.ROOT, "bench [%d/%d] %s B=%d Hq=%d Hkv=%d Nq=%d Nk=%d D=%d%s ...%n", done, total,
                            engine.backend().cliName(), b, hq, hk, nq, nk, d, causal ? " causal" : "");
                    err.flush();
                    double ms = medianMillis(engine, q, k, v, options, err);
                    double flops = 4.0 * b * hq * nq * nk * d * (causal ? 0.5 : 1.0);
                    out.printf(Locale.ROOT, "%-9s %3d %4d %4d %7d %7d %5d %6s %11.3f %9.2f%n",
                            engine.backend().cliName(), b, hq, hk, nq, nk, d, causal ? "yes" : "no", ms,
                            flops / (ms * 1e6));
                    out.flush();
                }
            }
        }
        return 0;
    }

    private double medianMillis(AttentionEngine engine, Tensor q, Tensor k, Tensor v, AttentionOptions options,
            PrintWriter err) {
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        Progress progress = new Progress(err);
        for (int i = 0; i < warmup || System.nanoTime() < warmupEnd; i++) {
            long t0 = System.nanoTime();
            engine.attention(q, k, v, options);
            progress.call("warm-up", i + 1, -1, t0);
        }
        double[] ms = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            engine.attention(q, k, v, options);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            progress.call("timed", i + 1, iters, t0);
        }
        Arrays.sort(ms);
        return iters % 2 == 1 ? ms[iters / 2] : (ms[iters / 2 - 1] + ms[iters / 2]) / 2;
    }

    private static Tensor random(Random r, int... shape) {
        float[] x = new float[(int) Tensor.elementCount(shape, "shape")];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return Tensor.of(x, shape);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Progress inside a long case: a line on stderr at most every {@link #EVERY_NS}, so a slow case shows life. */
    private static final class Progress {
        private static final long EVERY_NS = 2_000_000_000L;
        private final PrintWriter err;
        private long last = System.nanoTime();

        Progress(PrintWriter err) {
            this.err = err;
        }

        void call(String phase, int done, int of, long started) {
            long now = System.nanoTime();
            if (now - last >= EVERY_NS) {
                err.printf(Locale.ROOT, "  %s call %d%s: %.1f ms%n", phase, done, of < 0 ? "" : "/" + of,
                        (now - started) / 1e6);
                err.flush();
                last = now;
            }
        }
    }
}

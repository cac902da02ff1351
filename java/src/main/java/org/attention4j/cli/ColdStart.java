package org.attention4j.cli;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.attention4j.AttentionOptions;
import org.attention4j.Tensor;
import org.attention4j.cpu.SimdSupport;
import org.attention4j.cpu.TiledCpuBackend;
import org.attention4j.spi.AttentionProblem;

/**
 * The first half second of a one-shot command ({@code attend}, {@code demo}, {@code maps}), which a fresh JVM
 * spends single-threaded: reading picocli's annotations, starting logback, reading the inputs. The cpu kernels
 * meanwhile would wait for their first real call to be interpreted, then compiled by C1, then by C2, which
 * made most of a whole-process {@code attend}'s time ({@code bench/cli_cold.sh} has a row without this help,
 * {@code docs/benchmarks/cli_cold.txt}). So, on a machine with a second core, two daemon threads start with the
 * JVM: one starts logging (logback's configuration is a good part of the start), the other calls attention on a
 * small random problem on a private one-thread cpu backend, again and again, until the command's real call begins
 * ({@link #computeStarts()}, which also waits for the logging) or {@link #WARM_UP_LIMIT_MS} have passed, so that
 * the kernels reach C2 before the real call needs them. The warm-up logs nothing (a line logged while logback is
 * being configured would come out late, behind a note from SLF4J): it calls the cpu backend without an engine,
 * and the kernels' one line is held back ({@link SimdSupport#quietly}).
 * The warm-up's results are dropped; the real call runs the same code on its own inputs, so its output is what
 * it would have been without (the two share nothing but compiled code). Off with
 * {@code -Dattention4j.cli.warmup=false}; never on one core, where it would take the main thread's time.
 */
final class ColdStart {
    /** System property that turns the warm-up off. */
    static final String PROPERTY = "attention4j.cli.warmup";
    /** The warm-up stops by itself after this long, if the command never computes (an error, say). */
    static final long WARM_UP_LIMIT_MS = 3000;
    /**
     * The warm-up's problem: Q [1, 1, Br, 64] over K, V [1, 1, 241, 64], one query tile of the backend's full
     * height ({@link TiledCpuBackend#queryTileRows()}) over three key tiles. C2 compiles a loop for the trip
     * count it profiled: warmed up on 64-row tiles, the portable kernels then ran the 512-row tiles of
     * {@code bench/cli_cold.sh}'s problem clearly slower for the rest of the process (seen by repeating the call
     * with temporary timers). Its branches are those of common calls, so that C2's
     * code stays valid when the real call comes: the most common head dim, and a last key tile whose length is not
     * a multiple of six (the kernels' remainder loops; with D = 32 and 1200 keys instead, the real call hit
     * untaken branches and C2 compiled the value kernel four times). Few keys keep each call short: the warm-up
     * stops only between calls, and a call still running takes a core from the real one.
     */
    private static final int WARM_UP_KEYS = 241;
    private static final int WARM_UP_DIM = 64;

    /** The longest {@link #computeStarts()} waits for the logging; it starts in far less. */
    private static final long LOGGING_WAIT_MS = 5000;

    private static final AtomicBoolean COMPUTING = new AtomicBoolean();
    /** Opens once the helper has started logging; null while no helper runs. */
    private static volatile CountDownLatch logging;

    private ColdStart() {
    }

    /** Starts the helper threads when {@code args} name a one-shot compute command that may run on the cpu. */
    static void begin(String[] args) {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))
                || Runtime.getRuntime().availableProcessors() < 2 || !warmsUp(args)) {
            return;
        }
        CountDownLatch started = new CountDownLatch(1);
        logging = started;
        Thread w = new Thread(ColdStart::warmUp, "attention4j-warmup");
        w.setDaemon(true);
        w.start();
        Thread t = new Thread(() -> {
            try {
                org.slf4j.LoggerFactory.getILoggerFactory();
            } finally {
                started.countDown();
            }
        }, "attention4j-logging");
        t.setDaemon(true);
        t.start();
    }

    /**
     * The command's real call begins: waits (at most {@link #LOGGING_WAIT_MS}) until the helper has started
     * logging, if there is one, because a line logged while another thread is still configuring the logging would
     * come out late, behind a note from SLF4J that it was held back; then the warm-up stops at the end of its
     * current call. Nothing a command does before its call logs (parsing, reading and checking its inputs), so
     * that work overlaps the logging's start.
     */
    static void computeStarts() {
        CountDownLatch started = logging;
        if (started != null) {
            try {
                started.await(LOGGING_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        COMPUTING.set(true);
    }

    /** Whether the command is one that computes once and may do so on the cpu backend. */
    static boolean warmsUp(String[] args) {
        // --verbose: a diagnostic run, left free of the helpers' threads and compilations.
        if (args.length == 0 || !Arrays.asList("attend", "demo", "maps").contains(args[0])
                || Main.wantsVerbose(args)) {
            return false;
        }
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                break;
            }
            String value = a.startsWith("--backend=") ? a.substring("--backend=".length())
                    : a.equals("--backend") && i + 1 < args.length ? args[i + 1] : null;
            if (value != null && !value.equals("cpu") && !value.equals("auto")) {
                return false;
            }
            if (a.equals("--help") || a.equals("-h") || a.equals("--version") || a.equals("-V")) {
                return false;
            }
        }
        return true;
    }

    private static void warmUp() {
        long deadline = System.nanoTime() + WARM_UP_LIMIT_MS * 1_000_000L;
        // Quietly, from the first use of the cpu classes on (the kernels are chosen then): their one INFO line
        // belongs to the command's own engine (a command that fails on its input prints its error line only).
        SimdSupport.quietly(() -> {
            // The backend itself, not an engine: an engine logs when it opens, and a call to a logger while the
            // other helper configures logback is replayed later behind SLF4J's note (any level: none is set yet).
            try (TiledCpuBackend cpu = new TiledCpuBackend(1)) {
                AttentionProblem problem = problem(TiledCpuBackend.queryTileRows());
                while (!COMPUTING.get() && System.nanoTime() < deadline) {
                    cpu.compute(problem);
                }
            } catch (RuntimeException e) {
                // Only a head start: whatever stops it (a bad attention4j.cpu.simd, say), the command's own call
                // meets again and reports in its own words.
            }
        });
    }

    private static AttentionProblem problem(int queries) {
        SplittableRandom random = new SplittableRandom(1);
        float[] x = new float[Math.max(queries, WARM_UP_KEYS) * WARM_UP_DIM];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        Tensor q = Tensor.of(Arrays.copyOf(x, queries * WARM_UP_DIM), 1, 1, queries, WARM_UP_DIM);
        Tensor kv = Tensor.of(Arrays.copyOf(x, WARM_UP_KEYS * WARM_UP_DIM), 1, 1, WARM_UP_KEYS, WARM_UP_DIM);
        return AttentionProblem.of(q, kv, kv, AttentionOptions.DEFAULTS);
    }
}

package org.attention4j.bench;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.Backend;
import org.attention4j.Causal;
import org.attention4j.Tensor;

/**
 * Model-shaped attention cases raced in one JVM: attention4j's {@code cpu} backend against ONNX Runtime's fused
 * opset-23 {@code Attention} operator (CPU execution provider), on the same float32 inputs, with alternating
 * rounds and a correctness check of one output against the other. Run it with {@code bench/cpu_vs_ort.sh}.
 *
 * <p>System properties: {@code threads} (2; attention4j worker threads and ORT intra-op threads, inter-op 1),
 * {@code rounds} (5), {@code cases} (comma list of names; default all), {@code warmup.s} (3.0: seconds of warm-up
 * per side, and at least {@code warmup.calls}, 10, calls: C2 takes a while to compile the Vector API kernels on 2
 * cores, and a shorter warm-up times the JIT, not the engine), {@code round.s} (0.5: a round, both
 * sides together, lasts at least this long; at least 3 calls a side), {@code ort.spin} (true: ORT's default of
 * spinning workers between runs; false sets {@code session.intra_op.allow_spinning=0}), {@code seed} (42).
 *
 * <p>Timing: each call is timed alone; a round times {@code iters} calls of attention4j then {@code iters} of ORT
 * and keeps each side's median; the table shows the median of those round medians. ORT's timed call is
 * {@code session.run} plus closing its result (the output stays in native memory; it is copied to the Java heap
 * only for the correctness check). attention4j's timed call returns its output as a Java {@code float[]}.
 *
 * <p>ONNX Runtime is reached by reflection so that this class compiles in a normal build, where the {@code ort}
 * Maven profile (which puts {@code com.microsoft.onnxruntime:onnxruntime} on the test classpath) is off. The
 * reflective call costs well under a microsecond, far below the smallest case.
 */
public final class ModelSuiteBench {
    /** Whether attention4j writes into one reused output tensor ({@code -Dinto}, default true). */
    private static final boolean INTO = Boolean.parseBoolean(System.getProperty("into", "true"));

    /** Normwise relative error, {@code ||a4j - ort||_2 / ||ort||_2}, above which a case fails. */
    static final double MAX_REL_ERROR = 1e-4;

    /** One benchmark shape: {@code q [b, hq, nq, d]}, {@code k [b, hkv, nk, d]}, {@code v [b, hkv, nk, dv]}. */
    record Case(String name, int b, int hq, int hkv, int nq, int nk, int d, int dv, boolean causal) {
        Case(String name, int b, int hq, int hkv, int nq, int nk, int d, boolean causal) {
            this(name, b, hq, hkv, nq, nk, d, d, causal);
        }

        String shape() {
            return b + "," + hq + "/" + hkv + "," + nq + "x" + nk + "," + (dv == d ? "" + d : d + ":" + dv);
        }

        /** Multiply-adds of QK^T and PV, 2 flops each; halved when causal (the usual convention). */
        double flops() {
            double f = 2.0 * b * hq * nq * nk * (d + dv);
            return causal ? f / 2 : f;
        }
    }

    static final List<Case> CASES = List.of(
            new Case("vit_b16", 8, 12, 12, 197, 197, 64, false),
            new Case("clip_text_causal", 8, 8, 8, 77, 77, 64, true),
            new Case("sd15_cross", 2, 8, 8, 4096, 77, 40, false),
            new Case("sd15_self", 2, 8, 8, 4096, 4096, 40, false),
            new Case("llama3_8b_decode_8k", 1, 32, 8, 1, 8192, 128, false),
            new Case("gqa_prefill_causal", 1, 32, 8, 1024, 1024, 128, true),
            new Case("plain_2048", 1, 8, 8, 2048, 2048, 64, false),
            new Case("bert_base_384", 8, 12, 12, 384, 384, 64, false),
            new Case("whisper_enc", 1, 8, 8, 1500, 1500, 64, false),
            new Case("llama_decode_16q", 1, 32, 8, 16, 4096, 128, false),
            new Case("small_b1h1n16", 1, 1, 1, 16, 16, 64, false),
            new Case("head_dim_80", 1, 32, 32, 512, 512, 80, false));

    private ModelSuiteBench() {
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.getInteger("threads", 2);
        int rounds = Integer.getInteger("rounds", 5);
        double warmupS = Double.parseDouble(System.getProperty("warmup.s", "3.0"));
        int warmupCalls = Integer.getInteger("warmup.calls", 10);
        double roundS = Double.parseDouble(System.getProperty("round.s", "0.5"));
        long seed = Long.getLong("seed", 42L);
        List<Case> selected = select(System.getProperty("cases", ""));

        Ort ort;
        try {
            ort = new Ort();
        } catch (ClassNotFoundException e) {
            System.err.println("error: ONNX Runtime is not on the classpath (" + e.getMessage()
                    + "); build the test classpath with the Maven profile -Port (bench/cpu_vs_ort.sh does)");
            System.exit(2);
            return;
        }

        String simd = System.getProperty("attention4j.cpu.simd");
        boolean vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        System.out.printf("# machine: %d cpus (nproc), %s, %s %s%n", Runtime.getRuntime().availableProcessors(),
                cpuModel(), System.getProperty("os.name"), System.getProperty("os.version"));
        System.out.printf("# java: %s %s (%s); jdk.incubator.vector %s; attention4j.cpu.simd=%s%n",
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                System.getProperty("java.vm.vendor"), vectorModule ? "loaded" : "not loaded",
                simd == null ? "(unset)" : simd);
        System.out.printf("# attention4j cpu kernels: %s; output %s%n", org.attention4j.cpu.SimdSupport.activeKernels(),
                INTO ? "into one reused tensor per case (attentionInto; -Dinto=false: a new one per call)"
                        : "a new tensor per call (attention)");
        System.out.printf("# onnxruntime %s (CPU EP, opset-23 Attention, 4-D inputs, ORT_ENABLE_ALL);"
                + " threads %d (attention4j workers = ORT intra-op; ORT inter-op 1)%n", ort.version(), threads);
        System.out.printf("# float32, seed %d; warm-up >= %d calls and >= %.1f s a side; %d rounds alternating,"
                + " each >= %.2f s and >= 3 calls a side; ms = median over rounds of each round's median%n",
                seed, warmupCalls, warmupS, rounds, roundS);
        System.out.printf("# ratio = ORT ms / attention4j ms (> 1: attention4j faster); FAIL when"
                + " ||a4j-ort||/||ort|| > %.0e or NaN%n", MAX_REL_ERROR);
        String head = String.format("%-20s %-20s %10s %10s %9s %9s %7s %9s %8s %9s  %s",
                "case", "B,Hq/Hkv,NqxNk,D", "a4j_ms", "ort_ms", "a4j_GF/s", "ort_GF/s", "ratio", "max_err",
                "max|y|", "rel_err", "status");
        System.out.println(head);

        List<Double> ratios = new ArrayList<>();
        List<String> memoryLines = new ArrayList<>();
        boolean failed = false;
        try (AttentionEngine engine = AttentionEngine.builder().backend(Backend.CPU).threads(threads).build()) {
            for (Case c : selected) {
                Row row;
                try {
                    row = runCase(c, engine, ort, threads, rounds, warmupS, warmupCalls, roundS, seed);
                } catch (Exception | OutOfMemoryError e) {
                    failed = true;
                    System.out.printf("%-20s %-20s FAIL: %s%n", c.name(), c.shape(), describe(e));
                    e.printStackTrace();
                    continue;
                }
                double ratio = row.ortMs / row.a4jMs;
                ratios.add(ratio);
                boolean ok = row.relErr <= MAX_REL_ERROR && !row.nan;
                failed |= !ok;
                System.out.printf("%-20s %-20s %10.3f %10.3f %9.2f %9.2f %7.3f %9.2e %8.3f %9.2e  %s%s%n",
                        c.name(), c.shape(), row.a4jMs, row.ortMs, c.flops() / (row.a4jMs * 1e6),
                        c.flops() / (row.ortMs * 1e6), ratio, row.maxErr, row.maxAbsOrt, row.relErr,
                        ok ? "ok" : "FAIL" + (row.nan ? " (NaN)" : ""), row.note.isEmpty() ? "" : " " + row.note);
                System.out.flush();
                if (c.nq() <= 16) {
                    // Decode is memory-bound: what matters is how fast the cached K and V are read.
                    double bytes = 4.0 * c.b() * c.hkv() * c.nk() * (c.d() + c.dv());
                    memoryLines.add(String.format(Locale.ROOT, "# %s: K/V read %.1f MB per call: attention4j %.2f"
                            + " GB/s, ORT %.2f GB/s", c.name(), bytes / 1e6, bytes / (row.a4jMs * 1e6),
                            bytes / (row.ortMs * 1e6)));
                }
            }
        } finally {
            ort.close();
        }
        if (!ratios.isEmpty()) {
            double logSum = 0;
            for (double r : ratios) {
                logSum += Math.log(r);
            }
            System.out.printf("# geometric mean of ratios (ORT ms / attention4j ms) over %d cases: %.3f%n",
                    ratios.size(), Math.exp(logSum / ratios.size()));
        }
        if (!memoryLines.isEmpty()) {
            double copy = copyBandwidth(threads);
            System.out.printf(Locale.ROOT, "# memory: copy bandwidth of this machine, %d threads, System.arraycopy of"
                    + " 2 x 256 MiB: %.2f GB/s (bytes read + bytes written, per second)%n", threads, copy);
            memoryLines.forEach(System.out::println);
        }
        if (failed) {
            System.out.println("# FAIL: at least one case failed (see rows above)");
            System.exit(1);
        }
    }

    /** One table row's numbers. */
    private static final class Row {
        double a4jMs;
        double ortMs;
        double maxErr;
        double maxAbsOrt;
        double relErr;
        boolean nan;
        String note = "";
    }

    private static Row runCase(Case c, AttentionEngine engine, Ort ort, int threads, int rounds, double warmupS,
            int warmupCalls, double roundS, long seed) throws Exception {
        System.err.printf("[%s] %s: inputs%n", c.name(), c.shape());
        SplittableRandom rng = new SplittableRandom(seed ^ c.name().hashCode());
        float[] q = uniform(rng, (long) c.b() * c.hq() * c.nq() * c.d());
        float[] k = uniform(rng, (long) c.b() * c.hkv() * c.nk() * c.d());
        float[] v = uniform(rng, (long) c.b() * c.hkv() * c.nk() * c.dv());
        Tensor qt = Tensor.of(q, c.b(), c.hq(), c.nq(), c.d());
        Tensor kt = Tensor.of(k, c.b(), c.hkv(), c.nk(), c.d());
        Tensor vt = Tensor.of(v, c.b(), c.hkv(), c.nk(), c.dv());
        // Causal cases are square (Nq == Nk), where attention4j's bottom-right alignment equals ONNX's top-left;
        // say which one explicitly anyway.
        if (c.causal() && c.nq() != c.nk()) {
            throw new IllegalArgumentException("causal case must be square: ONNX is_causal is top-left aligned");
        }
        AttentionOptions opts = c.causal() ? AttentionOptions.builder().causal(Causal.TOP_LEFT).build()
                : AttentionOptions.builder().causal(Causal.NONE).build();

        Row row = new Row();
        Ort.Model model = ort.open(c, q, k, v, threads);
        try {
            row.note = model.note;
            // Into one reused output tensor, as a service would call it (attentionInto), unless -Dinto=false:
            // ORT too writes its output into memory its arena reuses.
            Tensor out = Tensor.zeros(c.b(), c.hq(), c.nq(), c.dv());
            Runnable a4j = INTO ? () -> engine.attentionInto(qt, kt, vt, opts, out)
                    : () -> engine.attention(qt, kt, vt, opts);
            Runnable onnx = model::run;

            System.err.printf("[%s] warm-up%n", c.name());
            double a4jWarm = warmUp(a4j, warmupCalls, warmupS);
            double ortWarm = warmUp(onnx, warmupCalls, warmupS);

            // Correctness: one more call of each, outputs compared element by element.
            float[] mine = (INTO ? engine.attentionInto(qt, kt, vt, opts, out) : engine.attention(qt, kt, vt, opts))
                    .output().data();
            float[] theirs = model.runAndFetch();
            if (mine.length != theirs.length) {
                throw new IllegalStateException("output sizes differ: attention4j " + mine.length + ", ORT "
                        + theirs.length);
            }
            double diff2 = 0;
            double ref2 = 0;
            for (int i = 0; i < mine.length; i++) {
                double a = mine[i];
                double o = theirs[i];
                if (Double.isNaN(a) || Double.isNaN(o)) {
                    row.nan = true;
                }
                double e = Math.abs(a - o);
                row.maxErr = Math.max(row.maxErr, e);
                row.maxAbsOrt = Math.max(row.maxAbsOrt, Math.abs(o));
                diff2 += e * e;
                ref2 += o * o;
            }
            row.relErr = ref2 == 0 ? (diff2 == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(diff2 / ref2);
            if (Double.isNaN(row.relErr)) {
                row.nan = true;
            }

            int iters = Math.max(3, (int) Math.ceil(roundS / ((a4jWarm + ortWarm) * 1e-3)));
            double[] a4jRounds = new double[rounds];
            double[] ortRounds = new double[rounds];
            double[] a4jCalls = new double[iters];
            double[] ortCalls = new double[iters];
            for (int r = 0; r < rounds; r++) {
                timeCalls(a4j, a4jCalls);
                timeCalls(onnx, ortCalls);
                a4jRounds[r] = median(a4jCalls);
                ortRounds[r] = median(ortCalls);
                System.err.printf("[%s] round %d/%d (%d calls a side): attention4j %.3f ms, ORT %.3f ms%n",
                        c.name(), r + 1, rounds, iters, a4jRounds[r], ortRounds[r]);
            }
            row.a4jMs = median(a4jRounds);
            row.ortMs = median(ortRounds);
        } finally {
            model.close();
        }
        return row;
    }

    /** Calls {@code f} at least {@code minCalls} times and {@code minSeconds}; the median of the last calls, ms. */
    /** Bytes read plus bytes written per second by {@code threads} threads copying disjoint halves; best of 5. */
    private static double copyBandwidth(int threads) throws InterruptedException {
        int n = 64 << 20;   // floats: 256 MiB a side
        float[] src = new float[n];
        float[] dst = new float[n];
        java.util.Arrays.fill(src, 1f);
        double best = 0;
        for (int rep = 0; rep < 5; rep++) {
            Thread[] ts = new Thread[threads];
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int from = (int) ((long) n * t / threads);
                int to = (int) ((long) n * (t + 1) / threads);
                ts[t] = new Thread(() -> System.arraycopy(src, from, dst, from, to - from));
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, 2.0 * 4 * n / s / 1e9);
        }
        return best;
    }

    private static double warmUp(Runnable f, int minCalls, double minSeconds) {
        List<Double> times = new ArrayList<>();
        long start = System.nanoTime();
        while (times.size() < minCalls || System.nanoTime() - start < minSeconds * 1e9) {
            long t0 = System.nanoTime();
            f.run();
            times.add((System.nanoTime() - t0) / 1e6);
        }
        List<Double> tail = times.subList(Math.max(0, times.size() - 5), times.size());
        return median(tail.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static void timeCalls(Runnable f, double[] msOut) {
        for (int i = 0; i < msOut.length; i++) {
            long t0 = System.nanoTime();
            f.run();
            msOut[i] = (System.nanoTime() - t0) / 1e6;
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Uniform in [-1, 1): cheap, and what the correctness threshold was sized for. */
    private static float[] uniform(SplittableRandom rng, long n) {
        if (n > Tensor.MAX_ELEMENTS) {
            throw new IllegalArgumentException("tensor too large: " + n + " elements");
        }
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) {
            a[i] = rng.nextFloat() * 2 - 1;
        }
        return a;
    }

    private static List<Case> select(String names) {
        if (names.isBlank()) {
            return CASES;
        }
        Map<String, Case> byName = new LinkedHashMap<>();
        for (Case c : CASES) {
            byName.put(c.name(), c);
        }
        List<Case> out = new ArrayList<>();
        for (String n : names.split(",")) {
            String name = n.trim();
            if (name.isEmpty()) {
                continue;
            }
            Case c = byName.get(name);
            if (c == null) {
                throw new IllegalArgumentException("unknown case '" + name + "'; known: " + byName.keySet());
            }
            out.add(c);
        }
        return out;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t instanceof InvocationTargetException && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /**
     * ONNX Runtime's Java API through reflection (see the class comment): {@code OrtEnvironment},
     * {@code OrtSession.SessionOptions}, {@code OrtSession}, {@code OnnxTensor}, {@code OrtSession.Result}.
     */
    static final class Ort implements AutoCloseable {
        private final Object env;
        private final Class<?> optionsClass;
        private final Method setIntra;
        private final Method setInter;
        private final Method setOptLevel;
        private final Object optAll;
        private final Method createSession;
        private final Method createTensor;
        private final Method sessionRun;
        private final Method resultGet;
        private final Method getFloatBuffer;
        private final Method close;
        private final String version;

        Ort() throws ReflectiveOperationException {
            Class<?> envClass = Class.forName("ai.onnxruntime.OrtEnvironment");
            Class<?> sessionClass = Class.forName("ai.onnxruntime.OrtSession");
            Class<?> tensorClass = Class.forName("ai.onnxruntime.OnnxTensor");
            Class<?> resultClass = Class.forName("ai.onnxruntime.OrtSession$Result");
            optionsClass = Class.forName("ai.onnxruntime.OrtSession$SessionOptions");
            Class<?> optLevel = Class.forName("ai.onnxruntime.OrtSession$SessionOptions$OptLevel");
            env = envClass.getMethod("getEnvironment").invoke(null);
            version = String.valueOf(envClass.getMethod("getVersion").invoke(env));
            setIntra = optionsClass.getMethod("setIntraOpNumThreads", int.class);
            setInter = optionsClass.getMethod("setInterOpNumThreads", int.class);
            setOptLevel = optionsClass.getMethod("setOptimizationLevel", optLevel);
            optAll = optLevel.getField("ALL_OPT").get(null);
            createSession = envClass.getMethod("createSession", byte[].class, optionsClass);
            createTensor = tensorClass.getMethod("createTensor", envClass, FloatBuffer.class, long[].class);
            sessionRun = sessionClass.getMethod("run", Map.class);
            resultGet = resultClass.getMethod("get", int.class);
            getFloatBuffer = tensorClass.getMethod("getFloatBuffer");
            close = AutoCloseable.class.getMethod("close");
        }

        String version() {
            return version;
        }

        /**
         * A session for case {@code c} with its inputs bound once. When ORT refuses grouped-query heads
         * (Hq != Hkv) on 4-D inputs, K and V are repeated to Hq heads on the ORT side only (same math; ORT then
         * reads Hq/Hq times more K/V bytes than attention4j), and the row says so.
         */
        Model open(Case c, float[] q, float[] k, float[] v, int threads) throws Exception {
            try {
                return new Model(this, c, q, k, v, c.hkv(), threads, "");
            } catch (Exception e) {
                if (c.hq() == c.hkv()) {
                    throw e;
                }
                System.err.printf("[%s] ORT refused GQA on 4-D inputs (%s); repeating K/V heads to %d on the ORT"
                        + " side%n", c.name(), describe(e), c.hq());
                int g = c.hq() / c.hkv();
                return new Model(this, c, q, repeatHeads(k, c.b(), c.hkv(), g, c.nk() * c.d()),
                        repeatHeads(v, c.b(), c.hkv(), g, c.nk() * c.dv()), c.hq(), threads,
                        "(ORT: K/V heads repeated to " + c.hq() + ")");
            }
        }

        private static float[] repeatHeads(float[] x, int b, int hkv, int groups, int perHead) {
            float[] out = new float[x.length * groups];
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < hkv; h++) {
                    for (int r = 0; r < groups; r++) {
                        System.arraycopy(x, (bi * hkv + h) * perHead, out, ((bi * hkv + h) * groups + r) * perHead,
                                perHead);
                    }
                }
            }
            return out;
        }

        Object tensor(float[] data, long... shape) throws ReflectiveOperationException {
            FloatBuffer buf = ByteBuffer.allocateDirect(data.length * Float.BYTES).order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            buf.put(data).flip();
            return createTensor.invoke(null, env, buf, shape);
        }

        void closeQuietly(Object o) {
            if (o != null) {
                try {
                    close.invoke(o);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    // best effort
                }
            }
        }

        @Override
        public void close() {
            // The environment is a process-wide singleton that ORT closes at exit.
        }

        /** One case's session and bound input tensors. */
        static final class Model implements AutoCloseable {
            private final Ort ort;
            private final Object options;
            private Object session;
            private final Map<String, Object> inputs = new LinkedHashMap<>();
            final String note;

            Model(Ort ort, Case c, float[] q, float[] k, float[] v, int kvHeads, int threads, String note)
                    throws Exception {
                this.ort = ort;
                this.note = note;
                this.options = ort.optionsClass.getConstructor().newInstance();
                try {
                    ort.setIntra.invoke(options, threads);
                    ort.setInter.invoke(options, 1);
                    ort.setOptLevel.invoke(options, ort.optAll);
                    if (!Boolean.parseBoolean(System.getProperty("ort.spin", "true"))) {
                        // ORT's workers spin after each run by default, taking the cores from whatever runs next.
                        ort.optionsClass.getMethod("addConfigEntry", String.class, String.class)
                                .invoke(options, "session.intra_op.allow_spinning", "0");
                    }
                    byte[] bytes = OnnxAttentionModel.build(c.b(), c.hq(), kvHeads, c.nq(), c.nk(), c.d(), c.dv(),
                            c.causal(), null);
                    session = ort.createSession.invoke(ort.env, bytes, options);
                    inputs.put("Q", ort.tensor(q, c.b(), c.hq(), c.nq(), c.d()));
                    inputs.put("K", ort.tensor(k, c.b(), kvHeads, c.nk(), c.d()));
                    inputs.put("V", ort.tensor(v, c.b(), kvHeads, c.nk(), c.dv()));
                    runAndFetch();                                  // shape errors surface here, at open
                } catch (Exception e) {
                    close();
                    throw e;
                }
            }

            /** One timed call: run, then free the native output. */
            void run() {
                try {
                    Object result = ort.sessionRun.invoke(session, inputs);
                    ort.close.invoke(result);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("ORT run failed: " + describe(e), e);
                }
            }

            /** One call whose output is copied to the heap. */
            float[] runAndFetch() throws ReflectiveOperationException {
                Object result = ort.sessionRun.invoke(session, inputs);
                try {
                    FloatBuffer fb = (FloatBuffer) ort.getFloatBuffer.invoke(ort.resultGet.invoke(result, 0));
                    float[] out = new float[fb.remaining()];
                    fb.get(out);
                    return out;
                } finally {
                    ort.close.invoke(result);
                }
            }

            @Override
            public void close() {
                inputs.values().forEach(ort::closeQuietly);
                ort.closeQuietly(session);
                ort.closeQuietly(options);
            }
        }
    }
}

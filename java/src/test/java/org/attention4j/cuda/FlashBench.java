package org.attention4j.cuda;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.attention4j.AttentionOptions;

/**
 * The fused kernels' benchmark, Java half (bench/flash_bench.sh runs it next to bench/torch_flash.py in one device
 * run): the fused path on device tensors per case and precision (forced with {@code attention4j.cuda.path=fused}),
 * TFLOP/s = 4*B*H*Nq*Nk*D / time (halved for causal), and decode steps of one query over long device caches in
 * tokens per second. Each timed call is what a Java service sees: launches through JCuda and a stream
 * synchronisation per call, so short calls carry that overhead. Prints a table and, with {@code --json FILE}, one
 * JSON object per line.
 *
 * <pre>
 * FlashBench --cases "B,H,N,D,causal;..." --precisions fp16,bf16 [--decode "B,Hq,Hkv,D,L;..."] [--iters 20]
 *            [--json out.jsonl]
 * </pre>
 */
public final class FlashBench {
    private FlashBench() {
    }

    public static void main(String[] args) throws IOException {
        String cases = "4,16,4096,128,1";
        String precisions = "fp16,bf16";
        String decode = "";
        int iters = 20;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cases":
                    cases = args[++i];
                    break;
                case "--precisions":
                    precisions = args[++i];
                    break;
                case "--decode":
                    decode = args[++i];
                    break;
                case "--iters":
                    iters = Integer.parseInt(args[++i]);
                    break;
                case "--json":
                    json = Path.of(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        CudaSupport.Availability a = CudaSupport.probe();
        if (!a.usable()) {
            System.err.println("error: CUDA not usable: " + a.detail());
            System.exit(3);
        }
        if (!CudaRuntime.get().kernels.fusedPresent()) {
            System.err.println("error: the packaged kernels lack the fused family (rebuild with cuda/build.sh)");
            System.exit(3);
        }
        System.setProperty(CudaPath.PROPERTY, "fused");
        System.out.println("attention4j fused-kernel benchmark on " + a.detail());
        List<String> lines = new ArrayList<>();
        System.out.printf(Locale.ROOT, "%-24s %-5s %10s %10s%n", "case B,H,N,D,causal", "prec", "ms", "TFLOP/s");
        for (String c : cases.split(";")) {
            int[] s = ints(c.trim(), 5, "B,H,N,D,causal");
            for (String p : precisions.split(",")) {
                Precision prec = Precision.parse(p);
                double ms;
                try {
                    ms = timeForward(s, prec, iters);
                } catch (RuntimeException e) {
                    System.out.printf(Locale.ROOT, "%-24s %-5s error: %s%n", c.trim(), p, e.getMessage());
                    lines.add(String.format(Locale.ROOT, "{\"impl\":\"attention4j-fused\",\"case\":\"%s\","
                            + "\"precision\":\"%s\",\"error\":\"%s\"}", c.trim(), p, jsonEscape(e.getMessage())));
                    continue;
                }
                double flops = 4.0 * s[0] * s[1] * s[2] * (double) s[2] * s[3] * (s[4] == 1 ? 0.5 : 1.0);
                double tflops = flops / (ms * 1e-3) / 1e12;
                System.out.printf(Locale.ROOT, "%-24s %-5s %10.3f %10.2f%n", c.trim(), p, ms, tflops);
                lines.add(String.format(Locale.ROOT, "{\"impl\":\"attention4j-fused\",\"case\":\"%s\","
                        + "\"precision\":\"%s\",\"ms\":%.4f,\"tflops\":%.3f}", c.trim(), p, ms, tflops));
            }
        }
        if (!decode.isBlank()) {
            System.out.printf(Locale.ROOT, "%n%-24s %-5s %10s %12s%n", "decode B,Hq,Hkv,D,L", "prec", "ms", "tokens/s");
            for (String c : decode.split(";")) {
                int[] s = ints(c.trim(), 5, "B,Hq,Hkv,D,L");
                for (String p : precisions.split(",")) {
                    double ms = timeDecode(s, Precision.parse(p), iters);
                    double tps = s[0] / (ms * 1e-3);
                    System.out.printf(Locale.ROOT, "%-24s %-5s %10.4f %12.0f%n", c.trim(), p, ms, tps);
                    lines.add(String.format(Locale.ROOT, "{\"impl\":\"attention4j-decode\",\"case\":\"%s\","
                            + "\"precision\":\"%s\",\"ms\":%.5f,\"tokens_per_s\":%.1f}", c.trim(), p, ms, tps));
                }
            }
        }
        if (json != null) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(json, StandardCharsets.UTF_8))) {
                lines.forEach(w::println);
            }
        }
    }

    private static int[] ints(String c, int n, String what) {
        String[] f = c.split(",");
        if (f.length != n) {
            throw new IllegalArgumentException("case must be " + what + ": " + c);
        }
        int[] s = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = Integer.parseInt(f[i].trim());
        }
        return s;
    }

    /** Milliseconds of one fused forward on device tensors {@code [B, H, N, D]} ({@link BenchTiming}). */
    static double timeForward(int[] s, Precision prec, int iters) {
        Random rnd = new Random(1);
        DType t = prec.storageType();
        int b = s[0], h = s[1], n = s[2], d = s[3];
        try (CudaAttention cuda = CudaAttention.open(prec);
             DeviceTensor q = cuda.upload(random(rnd, (long) b * h * n * d), t, b, h, n, d);
             DeviceTensor k = cuda.upload(random(rnd, (long) b * h * n * d), t, b, h, n, d);
             DeviceTensor v = cuda.upload(random(rnd, (long) b * h * n * d), t, b, h, n, d);
             DeviceTensor out = cuda.allocate(t, b, h, n, d)) {
            AttentionOptions o = s[4] == 1 ? AttentionOptions.builder().causal().build() : AttentionOptions.DEFAULTS;
            return BenchTiming.medianMs(() -> cuda.attentionInto(q, k, v, o, out, null, null), iters);
        }
    }

    /** Milliseconds of one decode step of one query per batch entry over {@code L} cached keys ({@link BenchTiming}). */
    static double timeDecode(int[] s, Precision prec, int iters) {
        Random rnd = new Random(2);
        DType t = prec.storageType();
        int b = s[0], hq = s[1], hkv = s[2], d = s[3], len = s[4];
        try (CudaAttention cuda = CudaAttention.open(prec);
             DeviceKvCache cache = cuda.newKvCache(b, hkv, len, d, d);
             DeviceTensor q = cuda.upload(random(rnd, (long) b * hq * d), t, b, hq, 1, d);
             DeviceTensor out = cuda.allocate(t, b, hq, 1, d)) {
            int chunk = Math.max(1, Math.min(len, (1 << 26) / Math.max(1, b * hkv * d)));
            for (int done = 0; done < len; done += chunk) {
                int m = Math.min(chunk, len - done);
                try (DeviceTensor kn = cuda.upload(random(rnd, (long) b * hkv * m * d), t, b, hkv, m, d);
                     DeviceTensor vn = cuda.upload(random(rnd, (long) b * hkv * m * d), t, b, hkv, m, d)) {
                    cache.append(kn, vn);
                }
            }
            AttentionOptions o = AttentionOptions.DEFAULTS;   // one query sees every cached key
            return BenchTiming.medianMs(() -> cuda.decode(q, cache, o, out, null), iters * 5);
        }
    }

    /** {@link BenchInputs#values}: the next input of {@code rnd}'s sequence, without a Gaussian per element. */
    private static float[] random(Random rnd, long n) {
        return BenchInputs.values(rnd.nextLong(), n);
    }

    private static String jsonEscape(String s) {
        return s == null ? "" : s.replace("\\", "\\\\").replace("\"", "'").replace("\n", " ");
    }
}

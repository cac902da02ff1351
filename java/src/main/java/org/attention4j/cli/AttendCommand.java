package org.attention4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionException;
import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Causal;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.attention4j.io.FileChecks;
import org.attention4j.io.Npy;
import org.attention4j.io.NpyArray;
import org.attention4j.spi.AttentionProblem;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code attend}: attention over Q, K, V (and an optional mask) read from {@code .npy} files, writing the output
 * and, on request, the weights and the log-sum-exp as float32 {@code .npy}.
 *
 * <p>Everything is checked and computed before anything is written, and the outputs are written all-or-nothing
 * ({@link Npy#writeAll}): bad input ends with one {@code error:} line on stderr, a non-zero exit status and no
 * output file.
 */
@Command(name = "attend", sortOptions = false,
        description = {"Scaled dot-product attention over .npy inputs (float32, C order).",
            "Q [B,Hq,Nq,D], K [B,Hkv,Nk,D], V [B,Hkv,Nk,Dv] -> out [B,Hq,Nq,Dv];"
                + " weights [B,Hq,Nq,Nk]; lse [B,Hq,Nq]."})
public final class AttendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--q", required = true, paramLabel = "F", description = "queries [B,Hq,Nq,D] (.npy float32)",
            converter = FilePathConverter.class)
    Path q;

    @Option(names = "--k", required = true, paramLabel = "F", description = "keys [B,Hkv,Nk,D] (.npy float32)",
            converter = FilePathConverter.class)
    Path k;

    @Option(names = "--v", required = true, paramLabel = "F", description = "values [B,Hkv,Nk,Dv] (.npy float32)",
            converter = FilePathConverter.class)
    Path v;

    @Option(names = "--out", required = true, paramLabel = "F", description = "output [B,Hq,Nq,Dv] to write",
            converter = FilePathConverter.class)
    Path out;

    @Option(names = "--weights", paramLabel = "F", description = "also write the attention weights [B,Hq,Nq,Nk]",
            converter = FilePathConverter.class)
    Path weights;

    @Option(names = "--lse", paramLabel = "F", description = "also write the log-sum-exp [B,Hq,Nq]",
            converter = FilePathConverter.class)
    Path lse;

    @Option(names = "--mask", paramLabel = "F",
            description = "bool (true = may attend) or float32 (added to the scores) mask,"
                    + " broadcastable to [B,Hq,Nq,Nk]", converter = FilePathConverter.class)
    Path mask;

    @Option(names = "--scale", paramLabel = "S", description = "score scale (default 1/sqrt(D))")
    String scale;

    @Option(names = "--causal", description = "causal mask aligned bottom-right: key j visible when j <= i + Nk - Nq")
    boolean causal;

    @Option(names = "--causal-top-left", description = "causal mask aligned top-left: key j visible when j <= i")
    boolean causalTopLeft;

    @Option(names = "--kv-lengths", paramLabel = "N,N,...", description = "valid keys per batch entry (padding)")
    String kvLengths;

    @Option(names = "--alibi", description = "ALiBi biases with the paper's slopes for Hq heads")
    boolean alibi;

    @Option(names = "--rope", paramLabel = "BASE", description = "RoPE on Q and K with this base (e.g. 10000)")
    String ropeBase;

    @Option(names = "--rope-style", paramLabel = "half|interleaved", description = "RoPE pairing (default half)")
    String ropeStyle;

    @Option(names = "--window", paramLabel = "L,R", description = "sliding window, -1 = unbounded on that side")
    String window;

    @Option(names = "--backend", paramLabel = "auto|cpu|reference|cuda", defaultValue = "auto",
            description = "engine backend (default auto)")
    String backend;

    @Override
    public Integer call() throws IOException {
        try {
            return attend();
        } catch (OutOfMemoryError e) {
            // Large inputs or weights: say so in one line rather than dying with a stack trace.
            throw new AttentionException("out of memory (max heap " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB): raise -Xmx, or drop --weights", e);
        }
    }

    private int attend() throws IOException {
        // 1. Options that need no file.
        Backend chosen = parseBackend(backend);
        AttentionOptions.Builder opts = AttentionOptions.builder();
        if (scale != null) {
            opts.scale(parseFinite(scale, "--scale"));
        }
        if (causal && causalTopLeft) {
            throw new IllegalArgumentException("--causal and --causal-top-left are mutually exclusive");
        }
        if (causal) {
            opts.causal(Causal.BOTTOM_RIGHT);
        } else if (causalTopLeft) {
            opts.causal(Causal.TOP_LEFT);
        }
        if (kvLengths != null) {
            opts.kvLengths(parseLengths(kvLengths));
        }
        if (alibi) {
            opts.alibi();
        }
        if (ropeStyle != null && ropeBase == null) {
            throw new IllegalArgumentException("--rope-style needs --rope BASE");
        }
        if (ropeBase != null) {
            double base = parseFinite(ropeBase, "--rope");
            if (base <= 0) {
                throw new IllegalArgumentException("--rope BASE must be > 0, got '" + ropeBase + "'");
            }
            opts.rope(Rope.of(base, ropeStyle == null ? RopeStyle.HALF : parseStyle(ropeStyle)));
        }
        if (window != null) {
            int[] lr = parseWindow(window);
            opts.window(lr[0], lr[1]);
        }
        opts.returnWeights(weights != null).returnLse(lse != null);

        // 2. Input and output paths, before the (possibly long) reads and compute: no output may be an input.
        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put("--q", q);
        inputs.put("--k", k);
        inputs.put("--v", v);
        if (mask != null) {
            inputs.put("--mask", mask);
        }
        for (Map.Entry<String, Path> in : inputs.entrySet()) {
            FileChecks.checkInput(in.getValue(), in.getKey() + " " + in.getValue());
        }
        Map<String, Path> outputs = new LinkedHashMap<>();
        outputs.put("--out", out);
        if (weights != null) {
            outputs.put("--weights", weights);
        }
        if (lse != null) {
            outputs.put("--lse", lse);
        }
        FileChecks.checkOutputs(outputs, inputs);

        // 3. Inputs and the full validation of the problem.
        Tensor tq = readFloat(q, "--q");
        Tensor tk = readFloat(k, "--k");
        Tensor tv = readFloat(v, "--v");
        if (mask != null) {
            opts.mask(readMask(mask));
        }
        AttentionOptions options = opts.build();
        AttentionProblem problem = AttentionProblem.of(tq, tk, tv, options);

        // 4. Compute, then write everything at once.
        long t0 = System.nanoTime();
        AttentionResult r;
        ColdStart.computeStarts();
        try (AttentionEngine engine = AttentionEngine.create(chosen)) {
            r = engine.attention(tq, tk, tv, options);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        Map<Path, NpyArray> files = new LinkedHashMap<>();
        files.put(out, NpyArray.of(r.output()));
        if (weights != null) {
            files.put(weights, NpyArray.of(r.weights().orElseThrow()));
        }
        if (lse != null) {
            files.put(lse, NpyArray.of(r.logSumExp().orElseThrow()));
        }
        Npy.writeAll(files);
        spec.commandLine().getOut().printf(Locale.ROOT, "attend: %s %s -> %s %s on %s in %.1f ms%n",
                problem.describe(), options, out,
                Tensor.shapeString(r.output().shape()), r.backend().cliName(), ms);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static Tensor readFloat(Path file, String option) throws IOException {
        try {
            return Npy.readTensor(file);
        } catch (IOException e) {
            throw new IOException(option + " " + e.getMessage(), e);
        }
    }

    private static AttentionMask readMask(Path file) throws IOException {
        NpyArray a;
        try {
            a = Npy.read(file);
        } catch (IOException e) {
            throw new IOException("--mask " + e.getMessage(), e);
        }
        // A 0-d mask broadcasts like NumPy's scalars; the mask type wants rank 1 to 4.
        int[] shape = a.rank() == 0 ? new int[] {1} : a.shape();
        try {
            return a.isBoolean() ? AttentionMask.ofBoolean(a.booleanData(), shape)
                    : AttentionMask.ofFloat(a.floatData(), shape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--mask " + file + ": " + e.getMessage(), e);
        }
    }

    private static Backend parseBackend(String s) {
        try {
            return Backend.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--backend must be one of auto, cpu, reference, cuda; got '" + s + "'",
                    e);
        }
    }

    private static RopeStyle parseStyle(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "half":
                return RopeStyle.HALF;
            case "interleaved":
                return RopeStyle.INTERLEAVED;
            default:
                throw new IllegalArgumentException("--rope-style must be half or interleaved, got '" + s + "'");
        }
    }

    static double parseFinite(String s, String option) {
        String t = s.trim().toLowerCase(Locale.ROOT).replaceFirst("^[+-]", "");
        if (t.equals("inf") || t.equals("infinity") || t.equals("nan")) {
            throw new IllegalArgumentException(option + " must be finite, got '" + s + "'");
        }
        double d;
        try {
            d = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number, got '" + s + "'");
        }
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException(option + " must be finite, got '" + s + "'");
        }
        return d;
    }

    static int[] parseLengths(String s) {
        String[] parts = s.split(",", -1);
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = parseInt(parts[i], "--kv-lengths", s, "a comma-separated list of integers >= 0, e.g. 12,3,0");
            if (out[i] < 0) {
                throw new IllegalArgumentException("--kv-lengths entries must be >= 0, got '" + s + "'");
            }
        }
        return out;
    }

    static int[] parseWindow(String s) {
        String[] parts = s.split(",", -1);
        String expected = "L,R with integers >= -1 (-1 = unbounded), e.g. 128,0";
        if (parts.length != 2) {
            throw new IllegalArgumentException("--window must be " + expected + "; got '" + s + "'");
        }
        int[] lr = {parseInt(parts[0], "--window", s, expected), parseInt(parts[1], "--window", s, expected)};
        if (lr[0] < -1 || lr[1] < -1) {
            throw new IllegalArgumentException("--window must be " + expected + "; got '" + s + "'");
        }
        return lr;
    }

    private static int parseInt(String item, String option, String whole, String expected) {
        try {
            return Integer.parseInt(item.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be " + expected + "; got '" + whole + "'");
        }
    }
}

package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Causal;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.attention4j.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;


/** {@code attend} in-process: every option against the reference engine, and bad input refused cleanly. */
class AttendCommandTest extends CliTest {
    // B=2, Hq=6, Hkv=3 (grouped), Nq=5, Nk=9 (cross-attention: the causal alignments differ), D=8, Dv=3.
    private static final int B = 2, HQ = 6, HKV = 3, NQ = 5, NK = 9, D = 8, DV = 3;

    @TempDir
    Path dir;

    private Tensor q;
    private Tensor k;
    private Tensor v;
    @BeforeAll
    static void cliLogging() {
        // As Main.run does: the CLI's logback configuration (log lines on stderr).
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "org/attention4j/cli/logback-cli.xml");
        }
    }

    @BeforeEach
    void inputs() throws IOException {
        Random rnd = new Random(7);
        q = random(rnd, B, HQ, NQ, D);
        k = random(rnd, B, HKV, NK, D);
        v = random(rnd, B, HKV, NK, DV);
        Npy.write(dir.resolve("q.npy"), q);
        Npy.write(dir.resolve("k.npy"), k);
        Npy.write(dir.resolve("v.npy"), v);
        boolean[] m = new boolean[NQ * NK];
        for (int i = 0; i < m.length; i++) {
            m[i] = rnd.nextInt(4) != 0;
        }
        Npy.writeBoolean(dir.resolve("bmask.npy"), m, NQ, NK);
        Npy.write(dir.resolve("fmask.npy"), random(rnd, B, 1, NQ, NK));
    }

    private static Tensor random(Random rnd, int... shape) {
        return org.attention4j.testing.TestData.gaussian(rnd, shape);
    }

    private String[] base(String backend, String... extra) {
        List<String> a = new ArrayList<>(List.of("attend", "--q", p("q.npy"), "--k", p("k.npy"), "--v", p("v.npy"),
                "--out", p("out.npy"), "--weights", p("w.npy"), "--lse", p("lse.npy"), "--backend", backend));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private AttentionResult reference(Consumer<AttentionOptions.Builder> opts) {
        AttentionOptions.Builder b = AttentionOptions.builder().returnWeights(true).returnLse(true);
        opts.accept(b);
        try (AttentionEngine e = AttentionEngine.create(Backend.REFERENCE)) {
            return e.attention(q, k, v, b.build());
        }
    }

    private static Consumer<AttentionOptions.Builder> opt(Consumer<AttentionOptions.Builder> c) {
        return c;
    }

    static Stream<Arguments> options() {
        return Stream.of(
                Arguments.of("none", new String[] {}, opt(b -> { })),
                Arguments.of("scale", new String[] {"--scale", "0.7"}, opt(b -> b.scale(0.7))),
                Arguments.of("causal", new String[] {"--causal"}, opt(b -> b.causal(Causal.BOTTOM_RIGHT))),
                Arguments.of("causal-top-left", new String[] {"--causal-top-left"},
                        opt(b -> b.causal(Causal.TOP_LEFT))),
                Arguments.of("kv-lengths", new String[] {"--kv-lengths", "4,7"}, opt(b -> b.kvLengths(4, 7))),
                Arguments.of("alibi", new String[] {"--alibi"}, opt(b -> b.alibi())),
                Arguments.of("rope", new String[] {"--rope", "10000"}, opt(b -> b.rope(10000, RopeStyle.HALF))),
                Arguments.of("rope-interleaved", new String[] {"--rope", "500", "--rope-style", "interleaved"},
                        opt(b -> b.rope(500, RopeStyle.INTERLEAVED))),
                Arguments.of("window", new String[] {"--window", "2,1"}, opt(b -> b.window(2, 1))),
                Arguments.of("window-left-unbounded", new String[] {"--window", "-1,0"}, opt(b -> b.window(-1, 0))),
                Arguments.of("everything", new String[] {"--scale", "0.3", "--causal-top-left", "--kv-lengths", "7,9",
                    "--alibi", "--rope", "100", "--rope-style", "half", "--window", "3,-1"},
                        opt(b -> b.scale(0.3).causal(Causal.TOP_LEFT).kvLengths(7, 9).alibi()
                                .rope(100, RopeStyle.HALF).window(3, -1))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("options")
    void everyOptionMatchesTheReference(String name, String[] extra, Consumer<AttentionOptions.Builder> opts)
            throws IOException {
        AttentionResult want = reference(opts);
        for (String backend : List.of("reference", "cpu", "auto")) {
            assertEquals(0, run(base(backend, extra)), err);
            assertTrue(out.startsWith("attend:"), out);
            assertClose(want.output(), Npy.readTensor(dir.resolve("out.npy")), name + " out " + backend);
            assertClose(want.weights().orElseThrow(), Npy.readTensor(dir.resolve("w.npy")), name + " w " + backend);
            assertClose(want.logSumExp().orElseThrow(), Npy.readTensor(dir.resolve("lse.npy")),
                    name + " lse " + backend);
        }
        if (!name.equals("none")) {
            // The option reached the engine: its result differs from the plain one.
            assertFalse(Arrays.equals(reference(b -> { }).output().data(), want.output().data()),
                    name + " had no effect");
        }
    }

    @Test
    void masksOfBothKindsBroadcast() throws IOException {
        AttentionMask bm = AttentionMask.ofBoolean(Npy.read(dir.resolve("bmask.npy")).booleanData(), NQ, NK);
        AttentionResult want = reference(b -> b.mask(bm));
        assertEquals(0, run(base("cpu", "--mask", p("bmask.npy"))), err);
        assertClose(want.output(), Npy.readTensor(dir.resolve("out.npy")), "bool mask");
        assertClose(want.weights().orElseThrow(), Npy.readTensor(dir.resolve("w.npy")), "bool mask weights");
        assertFalse(Arrays.equals(reference(b -> { }).output().data(), want.output().data()));

        AttentionMask fm = AttentionMask.ofFloat(Npy.readTensor(dir.resolve("fmask.npy")));
        want = reference(b -> b.mask(fm).causal());
        assertEquals(0, run(base("reference", "--mask", p("fmask.npy"), "--causal")), err);
        assertClose(want.output(), Npy.readTensor(dir.resolve("out.npy")), "float mask");
        assertClose(want.logSumExp().orElseThrow(), Npy.readTensor(dir.resolve("lse.npy")), "float mask lse");

        // A 0-d mask broadcasts to everything, as in NumPy.
        Npy.write(dir.resolve("scalar.npy"), Tensor.of(new float[] {0.5f}));
        want = reference(b -> b.mask(AttentionMask.ofFloat(new float[] {0.5f}, 1)));
        assertEquals(0, run(base("cpu", "--mask", p("scalar.npy"))), err);
        assertClose(want.logSumExp().orElseThrow(), Npy.readTensor(dir.resolve("lse.npy")), "scalar mask lse");
    }

    @Test
    void fullyMaskedRowsGiveZeroAndMinusInfinity() throws IOException {
        assertEquals(0, run(base("cpu", "--kv-lengths", "0,9")), err);
        Tensor o = Npy.readTensor(dir.resolve("out.npy"));
        Tensor l = Npy.readTensor(dir.resolve("lse.npy"));
        Tensor w = Npy.readTensor(dir.resolve("w.npy"));
        for (int h = 0; h < HQ; h++) {
            for (int i = 0; i < NQ; i++) {
                assertEquals(Float.NEGATIVE_INFINITY, l.get(0, h, i));
                assertTrue(Float.isFinite(l.get(1, h, i)));
                for (int c = 0; c < DV; c++) {
                    assertEquals(0f, o.get(0, h, i, c));
                }
                for (int j = 0; j < NK; j++) {
                    assertEquals(0f, w.get(0, h, i, j));
                }
            }
        }
    }

    @Test
    void onlyTheRequestedOutputsAreWritten() throws IOException {
        assertEquals(0, run("attend", "--q", p("q.npy"), "--k", p("k.npy"), "--v", p("v.npy"), "--out", p("o.npy"),
                "--backend", "cpu"), err);
        assertArrayEquals(new int[] {B, HQ, NQ, DV}, Npy.readTensor(dir.resolve("o.npy")).shape());
        assertFalse(Files.exists(dir.resolve("w.npy")));
        assertFalse(Files.exists(dir.resolve("lse.npy")));
        assertEquals("", err);
    }

    // ---- bad input: exit != 0, exactly one "error:" line naming the problem, no output file

    private static Arguments bad(String name, String fragment, String... args) {
        return Arguments.of(name, fragment, args);
    }

    /** Arguments: "@x" is the file x in the temp dir; an option already in the base line replaces its value. */
    static Stream<Arguments> badInput() {
        return Stream.of(
                bad("missing input file", "no such file", "--q", "@missing.npy"),
                bad("malformed npy", "bad magic", "--k", "@garbage.npy"),
                bad("truncated npy", "truncated data", "--v", "@truncated.npy"),
                bad("float64 input", "dtype '<f8'", "--q", "@f8.npy"),
                bad("bool as q", "bool", "--q", "@bmask.npy"),
                bad("rank 3 q", "rank 4", "--q", "@rank3.npy"),
                bad("D mismatch", "head dim D", "--k", "@kd.npy"),
                bad("heads not dividing", "not a multiple", "--q", "@q4heads.npy"),
                bad("mask not broadcasting", "does not broadcast", "--mask", "@badmask.npy"),
                bad("mask rank 5", "rank 1 to 4", "--mask", "@mask5.npy"),
                bad("mask i4", "dtype '<i4'", "--mask", "@maski4.npy"),
                bad("kv-lengths count", "kvLengths has 3 entries", "--kv-lengths", "1,2,3"),
                bad("kv-lengths too long", "outside [0, Nk=9]", "--kv-lengths", "1,10"),
                bad("kv-lengths not numbers", "--kv-lengths must be", "--kv-lengths", "1,x"),
                bad("kv-lengths empty item", "--kv-lengths must be", "--kv-lengths", "1,,2"),
                bad("kv-lengths negative", "--kv-lengths entries must be >= 0", "--kv-lengths", "-1,2"),
                bad("window one number", "--window must be", "--window", "3"),
                bad("window words", "--window must be", "--window", "a,b"),
                bad("window below -1", "--window must be", "--window", "-2,0"),
                bad("scale NaN", "--scale must be finite", "--scale", "NaN"),
                bad("scale inf", "--scale must be finite", "--scale", "Infinity"),
                bad("scale word", "--scale must be a number", "--scale", "big"),
                bad("rope zero", "--rope BASE must be > 0", "--rope", "0"),
                bad("rope inf", "--rope must be finite", "--rope", "inf"),
                bad("rope style without rope", "--rope-style needs --rope", "--rope-style", "half"),
                bad("rope style unknown", "--rope-style must be half or interleaved", "--rope", "10000",
                        "--rope-style", "diagonal"),
                bad("rope odd D", "even head dim", "--q", "@qodd.npy", "--k", "@kodd.npy", "--rope", "10000"),
                bad("both causal", "mutually exclusive", "--causal", "--causal-top-left"),
                bad("backend unknown", "backend must be one of", "--backend", "tpu"),
                bad("backend cuda unavailable", "CUDA", "--backend", "cuda"),
                bad("unknown option", "Unknown option", "--dropout", "0.1"),
                bad("missing required option", "Missing required option", "--out"),
                bad("same output twice", "name the same file", "--weights", "@out.npy"),
                bad("output dir missing", "does not exist", "--lse", "@nodir/lse.npy"),
                bad("output is a directory", "is a directory", "--weights", "@."));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void badInputIsRefusedWithOneLineAndNoOutput(String name, String fragment, String[] extra) throws IOException {
        Random rnd = new Random(3);
        Files.write(dir.resolve("garbage.npy"), "not an npy file at all".getBytes(StandardCharsets.US_ASCII));
        byte[] good = Files.readAllBytes(dir.resolve("v.npy"));
        Files.write(dir.resolve("truncated.npy"), Arrays.copyOf(good, good.length - 3));
        Npy.write(dir.resolve("rank3.npy"), random(rnd, HQ, NQ, D));
        Npy.write(dir.resolve("kd.npy"), random(rnd, B, HKV, NK, D + 1));
        Npy.write(dir.resolve("q4heads.npy"), random(rnd, B, 4, NQ, D));
        Npy.write(dir.resolve("badmask.npy"), random(rnd, NQ, NK + 1));
        Npy.write(dir.resolve("mask5.npy"), random(rnd, 1, B, 1, NQ, NK));
        Npy.write(dir.resolve("qodd.npy"), random(rnd, B, HQ, NQ, 5));
        Npy.write(dir.resolve("kodd.npy"), random(rnd, B, HKV, NK, 5));
        Files.write(dir.resolve("f8.npy"), npyFile("<f8", "(1, 1, 1, 1)", 8));
        Files.write(dir.resolve("maski4.npy"), npyFile("<i4", "(1,)", 4));

        List<String> args = new ArrayList<>(List.of("attend", "--q", p("q.npy"), "--k", p("k.npy"), "--v",
                p("v.npy"), "--out", p("out.npy")));
        for (int i = 0; i < extra.length; i++) {
            String a = resolve(extra[i]);
            int at = args.indexOf(a);
            if (a.equals("--out") && extra.length == 1) {
                args.remove(at + 1);
                args.remove(at);
            } else if (a.startsWith("--") && at >= 0 && i + 1 < extra.length) {
                args.set(at + 1, resolve(extra[++i]));
            } else {
                args.add(a);
            }
        }
        List<String> before = listing();
        int code = run(args.toArray(new String[0]));
        assertNotEquals(0, code, name + ": " + err);
        String[] lines = err.split("\\R");
        assertEquals(1, lines.length, name + ": stderr must be one line, got:\n" + err);
        assertTrue(lines[0].startsWith("error: "), lines[0]);
        assertTrue(lines[0].contains(fragment), name + ": '" + lines[0] + "' lacks '" + fragment + "'");
        assertEquals("", out, name + ": nothing on stdout");
        assertEquals(before, listing(), name + ": no file created or left behind");
        assertFalse(Files.exists(dir.resolve("out.npy")), name);
    }

    private String resolve(String arg) {
        return arg.startsWith("@") ? p(arg.substring(1)) : arg;
    }

    @Test
    void mainRunReturnsTheExitStatusAndPrintsOneLine() throws IOException {
        java.io.PrintStream oldErr = System.err;
        java.io.PrintStream oldOut = System.out;
        java.io.ByteArrayOutputStream e = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        int bad;
        int good;
        try {
            System.setErr(new java.io.PrintStream(e, true, StandardCharsets.UTF_8));
            System.setOut(new java.io.PrintStream(o, true, StandardCharsets.UTF_8));
            bad = Main.run(base("cpu", "--window", "1,2,3"));
            good = Main.run(base("reference"));
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
        }
        String errText = e.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_USAGE, bad);
        assertEquals(0, good, errText);
        assertEquals(1, errText.strip().split("\\R").length, errText);
        assertTrue(errText.startsWith("error: --window must be"), errText);
        assertTrue(o.toString(StandardCharsets.UTF_8).startsWith("attend:"));
        assertClose(reference(b -> { }).output(), Npy.readTensor(dir.resolve("out.npy")), "Main.run output");
    }

    @Test
    void existingOutputsSurviveAFailedRun() throws IOException {
        Npy.write(dir.resolve("out.npy"), Tensor.of(new float[] {42f}, 1));
        assertEquals(Main.EXIT_USAGE, run(base("cpu", "--kv-lengths", "1,2,3")));
        assertArrayEquals(new float[] {42f}, Npy.readTensor(dir.resolve("out.npy")).data());
        assertFalse(Files.exists(dir.resolve("w.npy")));
    }

    private static byte[] npyFile(String descr, String shape, int dataBytes) {
        byte[] h = ("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[10 + h.length + dataBytes];
        byte[] prefix = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) h.length, 0};
        System.arraycopy(prefix, 0, b, 0, 10);
        System.arraycopy(h, 0, b, 10, h.length);
        return b;
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(x -> dir.relativize(x).toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Same shape; every element within 1e-5 of the tensor's largest magnitude; infinities equal; NaN fails. */
    private static void assertClose(Tensor want, Tensor got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what);
        double max = 1e-6;
        for (float x : want.data()) {
            if (Float.isFinite(x)) {
                max = Math.max(max, Math.abs(x));
            }
        }
        for (int i = 0; i < want.size(); i++) {
            float a = want.data()[i];
            float b = got.data()[i];
            assertFalse(Float.isNaN(b), what + ": NaN at " + i);
            if (Float.isInfinite(a) || Float.isInfinite(b)) {
                assertEquals(a, b, what + ": at " + i);
            } else {
                assertTrue(Math.abs(a - b) <= 1e-5 * max, what + ": at " + i + " want " + a + " got " + b);
            }
        }
    }
}

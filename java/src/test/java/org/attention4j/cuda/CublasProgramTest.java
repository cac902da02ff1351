package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Causal;
import org.attention4j.Rope;
import org.attention4j.RopeScaling;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.attention4j.cpu.ReferenceBackend;
import org.attention4j.spi.AttentionProblem;
import org.attention4j.cuda.CublasProgram.Ref;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs whole {@link CublasProgram}s, exactly the command lists the GPU executes, on CPU emulations of cuBLAS
 * ({@link CublasEmulator}), the softmax kernel ({@link SoftmaxKernelEmulator}) and the RoPE kernel (below, from
 * cuda/README.md), with every buffer sized from the program's own scratch sizes and every pointer offset
 * converted from bytes: the result must match the float64 reference. This covers which buffer feeds which GEMM,
 * element types, RoPE parameters and positions, per-chunk offsets of masks, key lengths, slopes and the
 * log-sum-exp, weights offsets, and the split softmax's workspace, without a GPU.
 */
class CublasProgramTest {

    @ParameterizedTest(name = "{0} options #{1} B={2} Hq={3} Hkv={4} Nq={5} Nk={6} D={7} Dv={8} ws={9} scratchQK={10}")
    @CsvSource({
            "FP32, 0, 2, 4, 2, 7, 9, 6, 5, 100000, true",
            "FP32, 1, 2, 6, 2, 5, 8, 4, 4, 80, false",       // RoPE on copies, chunks of parts of a group
            "FP32, 2, 3, 4, 1, 4, 6, 8, 3, 200, true",      // MQA, whole-group chunks, Nq < Nk
            "FP32, 3, 2, 4, 4, 5, 11, 2, 2, 100000, false",
            "FP16, 0, 2, 4, 2, 7, 9, 6, 5, 130, true",
            "FP16, 1, 1, 2, 1, 4, 6, 8, 8, 100000, false",
            "BF16, 2, 2, 2, 2, 3, 5, 4, 4, 100000, true",
            "TF32, 3, 1, 2, 2, 3, 5, 4, 4, 100000, true",
            "FP32, 4, 1, 2, 1, 1, 9000, 8, 3, 100000000, false",  // split softmax: few long rows
            "FP16, 4, 1, 2, 2, 2, 9000, 8, 3, 100000000, true",
            "FP32, 5, 3, 4, 2, 7, 12, 6, 5, 90, false",     // start positions per entry, chunks that split the batch
            "FP16, 5, 2, 2, 1, 9, 9, 4, 4, 100000, true",
    })
    void programOnEmulatorsMatchesTheReference(Precision prec, int which, int b, int hq, int hkv, int nq, int nk,
                                               int d, int dv, long workspace, boolean qkScratch) {
        Random rnd = new Random(1000L * which + nq + nk + prec.ordinal());
        Tensor q = CudaBackendGpuTest.rounded(rnd, prec, b, hq, nq, d);
        Tensor k = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, nk, d);
        Tensor v = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, nk, dv);
        AttentionOptions opts = options(which, b, hq, nq, nk, d, rnd);
        AttentionProblem problem = AttentionProblem.of(q, k, v, opts);
        DeviceProblem p = DeviceProblem.of(problem);
        GemmPrecision gp = GemmPrecision.of(prec);
        DType st = gp.storage();
        CublasProgram prog = CublasProgram.of(p, gp, qkScratch, DType.FP32, true, true, workspace, 4);

        Map<Buf, float[]> f = new EnumMap<>(Buf.class);
        f.put(Buf.Q, q.data().clone());
        f.put(Buf.K, k.data().clone());
        f.put(Buf.V, v.data().clone());
        float[] out = new float[b * hq * nq * dv];
        float[] lse = new float[b * hq * nq];
        float[] weights = new float[b * hq * nq * nk];
        Arrays.fill(out, Float.NaN);
        Arrays.fill(lse, Float.NaN);
        Arrays.fill(weights, Float.NaN);
        f.put(Buf.OUT, out);
        f.put(Buf.LSE, lse);
        Map<Buf, int[]> ints = new EnumMap<>(Buf.class);
        boolean[] boolMask = null;
        // The uploads the program carries are the problem's own arrays, and nothing else is uploaded.
        assertArrayEquals(p.kvLengths(), prog.ints().get(Buf.KV_LENGTHS), "kvLengths");
        assertArrayEquals(p.diagonals(), prog.ints().get(Buf.DIAGONALS), "diagonals");
        assertArrayEquals(p.queryPositions(), prog.ints().get(Buf.Q_POSITIONS), "query positions");
        assertArrayEquals(p.keyPositions(), prog.ints().get(Buf.K_POSITIONS), "key positions");
        assertArrayEquals(p.alibiSlopes(), prog.floats().get(Buf.SLOPES), "slopes");
        assertArrayEquals(p.rope() == null ? null : RopeFrequencies.packed(p.rope(), p.dim()),
                prog.floats().get(Buf.ROPE_FREQ), "rope frequencies");
        boolean isBool = p.mask() != null && p.mask().isBoolean();
        assertArrayEquals(p.mask() != null && !isBool ? p.mask().floatData() : null, prog.floats().get(Buf.FLOAT_MASK),
                "float mask");
        assertArrayEquals(isBool ? p.mask().booleanData() : null, prog.booleans().get(Buf.BOOL_MASK), "bool mask");
        for (Map.Entry<Buf, Long> e : prog.scratchBytes().entrySet()) {
            Buf buf = e.getKey();
            int n = (int) (e.getValue() / bytes(buf, st));
            if (prog.ints().containsKey(buf)) {
                ints.put(buf, fit(prog.ints().get(buf), n));
            } else if (prog.floats().containsKey(buf)) {
                f.put(buf, fitF(prog.floats().get(buf), n));
            } else if (prog.booleans().containsKey(buf)) {
                assertEquals(prog.booleans().get(buf).length, n);
                boolMask = prog.booleans().get(buf);
            } else {
                float[] a = new float[n];
                Arrays.fill(a, Float.NaN);        // scratch holds garbage
                f.put(buf, a);
            }
        }
        boolean sawSplit = false;
        for (CublasProgram.Command c : prog.commands()) {
            if (c instanceof SharedCommand) {
                if (c instanceof SharedCommand.Rope) {
                    Buf x = ((SharedCommand.Rope) c).x();
                    assertTrue(qkScratch ? x == Buf.Q || x == Buf.K : x == Buf.QR || x == Buf.KR,
                            "RoPE must not touch caller-owned Q/K: " + x);
                }
                SharedCommandEmulator.run((SharedCommand) c, f, ints, st, buf -> st.bytes());
            } else if (c instanceof CublasProgram.Gemm) {
                CublasProgram.Gemm g = (CublasProgram.Gemm) c;
                assertEquals(st, g.aType());
                assertEquals(st, g.bType());
                float[] dst = f.get(g.c());
                CublasEmulator.gemmStridedBatched(g.call(), f.get(g.a()), f.get(g.b()), dst);
                roundAll(dst, g.cType());
            } else if (c instanceof CublasProgram.Softmax) {
                CublasProgram.Softmax x = (CublasProgram.Softmax) c;
                assertEquals(0, x.s().byteOffset());
                assertEquals(0, x.p().byteOffset());
                if (x.launch().split()) {
                    sawSplit = true;
                    assertTrue(prog.scratchBytes().getOrDefault(Buf.PARTIAL, 0L)
                            >= x.launch().partialBytes((long) x.batch() * x.heads() * x.nq()));
                    assertEquals(Buf.PARTIAL, x.partial().buf());
                }
                float[] s = f.get(x.s().buf());
                float[] pr = x.p().buf() == x.s().buf() ? s : f.get(x.p().buf());
                SoftmaxKernelEmulator.run(s, pr, new SoftmaxKernelEmulator.Args(x.batch(), x.heads(), x.nq(), x.nk(),
                        x.scale(), x.causal(), x.windowLeft(), x.windowRight(),
                        x.kvLengths() == null ? null : ints.get(Buf.KV_LENGTHS), (int) elem(x.kvLengths(), 4),
                        x.diagonals() == null ? null : ints.get(Buf.DIAGONALS), (int) elem(x.diagonals(), 4),
                        x.boolMask() == null ? null : boolMask,
                        x.floatMask() == null ? null : f.get(Buf.FLOAT_MASK),
                        x.boolMask() != null ? elem(x.boolMask(), 1) : elem(x.floatMask(), 4), x.maskStrides(),
                        x.alibiSlopes() == null ? null : f.get(Buf.SLOPES), (int) elem(x.alibiSlopes(), 4),
                        x.lse() == null ? null : f.get(Buf.LSE), elem(x.lse(), 4)));
                roundAll(pr, x.pType());
            } else if (c instanceof CublasProgram.Weights) {
                CublasProgram.Weights w = (CublasProgram.Weights) c;
                System.arraycopy(f.get(w.p()), 0, weights, (int) w.first(), (int) w.count());
            }
        }
        assertEquals(nk > 8192, sawSplit, "the split softmax runs exactly for the long-row cases");
        assertArrayEqualsUnchanged(q.data(), f.get(Buf.Q), qkScratch || opts.rope() == null);

        AttentionResult ref = new ReferenceBackend().compute(problem);
        String what = prec + " " + problem.describe() + " " + opts;
        double tol = prec == Precision.FP32 ? 1e-5 : prec == Precision.TF32 ? 1e-5 : prec == Precision.FP16 ? 3e-3
                : 2e-2;
        assertClose(ref.output().data(), out, tol, what + " output");
        assertClose(ref.weights().orElseThrow().data(), weights, tol, what + " weights");
        // RoPE'd Q and K are stored in the input type, so half types carry their rounding into the scores.
        double lseTol = prec == Precision.FP16 ? 3e-3 : prec == Precision.BF16 ? 2e-2 : 1e-4;
        assertClose(ref.logSumExp().orElseThrow().data(), lse, lseTol, what + " lse");
    }

    static AttentionOptions options(int which, int b, int hq, int nq, int nk, int d, Random rnd) {
        switch (which) {
            case 0: {
                int[] lens = new int[b];
                for (int i = 0; i < b; i++) {
                    lens[i] = i == 1 ? 0 : 1 + rnd.nextInt(nk);
                }
                float[] m = new float[hq * nq * nk];
                for (int i = 0; i < m.length; i++) {
                    m[i] = rnd.nextInt(6) == 0 ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian();
                }
                return AttentionOptions.builder().kvLengths(lens).mask(AttentionMask.ofFloat(m, hq, nq, nk)).alibi()
                        .causal(Causal.TOP_LEFT).returnWeights(true).returnLse(true).build();
            }
            case 1: {
                int[] qp = new int[b * nq];
                int[] kp = new int[nk];
                for (int i = 0; i < qp.length; i++) {
                    qp[i] = rnd.nextInt(5000);
                }
                for (int i = 0; i < kp.length; i++) {
                    kp[i] = rnd.nextInt(5000);
                }
                // Partial rotary (half the head dim, even) with YaRN, at positions past its original context.
                Rope rope = new Rope(10000, RopeStyle.INTERLEAVED, qp, kp, d / 4 * 2, RopeScaling.Yarn.of(4, 1024));
                return AttentionOptions.builder().rope(rope).causal().returnWeights(true).returnLse(true).build();
            }
            case 2: {
                boolean[] m = new boolean[b * nq * nk];
                for (int i = 0; i < m.length; i++) {
                    m[i] = rnd.nextInt(3) != 0;
                }
                return AttentionOptions.builder().mask(AttentionMask.ofBoolean(m, b, 1, nq, nk)).window(2, 1)
                        .rope(Rope.of(500, RopeStyle.HALF).withScaling(new RopeScaling.Llama3(8, 1, 4, 64)))
                        .returnWeights(true).returnLse(true).build();
            }
            case 3:
                return AttentionOptions.builder().scale(0.7).alibiSlopes(new float[hq]).window(-1, 0)
                        .returnWeights(true).returnLse(true).build();
            case 5: {
                // A shard of a longer sequence per entry: keys before, around and after the queries.
                int[][] s = org.attention4j.testing.TestData.starts(rnd, b, 30);
                return AttentionOptions.builder().causal().alibi().window(6, 2).rope(10000, RopeStyle.HALF)
                        .startPositions(s[0], s[1]).returnWeights(true).returnLse(true).build();
            }
            default:
                return AttentionOptions.builder().causal().kvLengths(new int[b]).kvLengths(fill(b, nk - 3))
                        .returnWeights(true).returnLse(true).build();
        }
    }

    private static int[] fill(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    private static long bytes(Buf b, DType st) {
        switch (b) {
            case Q: case K: case V: case QR: case KR: case P:
                return st.bytes();
            case BOOL_MASK:
                return 1;
            default:
                return 4;                     // S, OUT (FP32 here), LSE, masks, slopes, lengths, positions, partial
        }
    }

    private static long elem(Ref r, int size) {
        if (r == null) {
            return 0;
        }
        assertEquals(0, r.byteOffset() % size, "misaligned offset " + r);
        return r.byteOffset() / size;
    }

    private static int[] fit(int[] a, int n) {
        assertEquals(a.length, n, "scratch size of an int array");
        return a;
    }

    private static float[] fitF(float[] a, int n) {
        assertEquals(a.length, n, "scratch size of a float array");
        return a.clone();
    }

    private static float round(float v, DType t) {
        return t == DType.FP16 ? HalfFloats.halfToFloat(HalfFloats.toHalf(v))
                : t == DType.BF16 ? HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(v)) : v;
    }

    private static void roundAll(float[] a, DType t) {
        if (t != DType.FP32) {
            for (int i = 0; i < a.length; i++) {
                a[i] = round(a[i], t);
            }
        }
    }

    private static void assertArrayEqualsUnchanged(float[] original, float[] now, boolean expectUnchanged) {
        if (expectUnchanged) {
            return;                            // Q may be rotated in place when it is the call's own scratch
        }
        assertTrue(Arrays.equals(original, now), "caller's Q was modified");
    }

    private static void assertClose(float[] want, float[] got, double tol, String what) {
        for (int i = 0; i < want.length; i++) {
            boolean ok = want[i] == got[i] || Math.abs(want[i] - got[i]) <= tol * (1 + Math.abs(want[i]));
            assertTrue(ok, what + " element " + i + ": " + got[i] + " vs " + want[i]);
        }
    }
}

package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

import org.attention4j.testing.NaiveAttention;
import org.attention4j.testing.Tolerance;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Causal;
import org.attention4j.HostKvCache;
import org.attention4j.Rope;
import org.attention4j.RopeScaling;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.attention4j.cpu.ReferenceBackend;
import org.attention4j.spi.AttentionProblem;
import org.attention4j.spi.BySequence;
import org.attention4j.spi.DecodeProblem;
import org.attention4j.spi.VarlenProblem;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whole fused-path programs (exactly the command lists the GPU executes) run on {@link FlashEmulator}'s CPU
 * emulations of the kernels, against the float64 reference: dense calls with every option the fused path takes
 * (RoPE before the kernel, on copies or in place, with default and explicit positions), output conversion,
 * log-sum-exp and the weights pass; packed sequences with per-token RoPE positions; decode steps over a cache
 * with per-entry lengths, RoPE continuing from each length, and several splits merged.
 */
class FlashProgramTest {

    static AttentionOptions options(int which, int b, int nq, int nk, Random rnd) {
        AttentionOptions.Builder o = AttentionOptions.builder();
        switch (which) {
            case 0:
                return o.causal().build();
            case 1: {
                int[] lens = new int[b];
                for (int i = 0; i < b; i++) {
                    lens[i] = i == 1 ? 0 : rnd.nextInt(nk + 1);
                }
                return o.causal(Causal.TOP_LEFT).kvLengths(lens).alibi().build();
            }
            case 2:
                return o.window(5, 2).rope(10000, RopeStyle.HALF).scale(0.6).build();
            case 3: {
                int[] qp = new int[b * nq];
                int[] kp = new int[nk];
                for (int i = 0; i < qp.length; i++) {
                    qp[i] = rnd.nextInt(5000);
                }
                for (int j = 0; j < kp.length; j++) {
                    kp[j] = 3 * j;
                }
                return o.causal().rope(new Rope(500, RopeStyle.INTERLEAVED, qp, kp).withScaling(RopeScaling.Yarn.of(8, 512)))
                        .alibi().build();
            }
            case 5: {
                int[][] s = org.attention4j.testing.TestData.starts(rnd, b, 30);
                return o.causal().alibi().window(6, 2).rope(10000, RopeStyle.HALF).startPositions(s[0], s[1]).build();
            }
            default:
                return o.causal().rope(Rope.of(10000, RopeStyle.INTERLEAVED).withRotaryDim(2)).window(7, -1).build();
        }
    }

    @ParameterizedTest(name = "{0} v{1} options #{2} B={3} Hq={4} Hkv={5} Nq={6} Nk={7} D={8} scratchQK={9} out {10}")
    @CsvSource({
            "FP32, 1, 0, 2, 4, 2, 7, 9, 8, true, FP32",
            "FP32, 1, 1, 3, 4, 1, 5, 6, 6, false, FP32",
            "FP32, 1, 2, 2, 2, 2, 9, 4, 4, false, FP32",
            "FP32, 1, 3, 2, 6, 3, 4, 11, 10, true, FP32",
            "FP32, 1, 4, 1, 2, 1, 13, 13, 6, false, FP32",
            "FP16, 2, 0, 2, 4, 2, 7, 9, 8, true, FP16",
            "FP16, 2, 2, 2, 4, 1, 6, 8, 16, false, FP32",
            "BF16, 2, 3, 2, 2, 2, 5, 7, 8, false, BF16",
            "BF16, 1, 4, 1, 4, 2, 3, 12, 12, true, FP32",
            "FP32, 1, 5, 3, 4, 2, 7, 12, 8, false, FP32",   // start positions per entry
            "FP16, 2, 5, 2, 2, 1, 9, 9, 16, true, FP32",
    })
    void denseProgramsMatchTheReference(DType st, int version, int which, int b, int hq, int hkv, int nq, int nk,
                                        int d, boolean qkScratch, DType outType) {
        Precision prec = st == DType.FP16 ? Precision.FP16 : st == DType.BF16 ? Precision.BF16 : Precision.FP32;
        Random rnd = new Random(100L * which + nq * 7L + d);
        Tensor q = CudaBackendGpuTest.rounded(rnd, prec, b, hq, nq, d);
        Tensor k = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, nk, d);
        Tensor v = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, nk, d);
        AttentionOptions base = options(which, b, nq, nk, rnd);
        for (boolean weights : new boolean[] {false, true}) {
            AttentionOptions opts = base.toBuilder().returnLse(!weights || which % 2 == 0).returnWeights(weights)
                    .build();
            AttentionProblem problem = AttentionProblem.of(q, k, v, opts);
            DeviceProblem p = DeviceProblem.of(problem);
            FlashProgram prog = FlashProgram.dense(p, st, version, qkScratch, outType, opts.returnLse(), weights);
            long rows = (long) b * hq * nq;
            Map<Buf, float[]> given = new EnumMap<>(Buf.class);
            given.put(Buf.Q, q.data());
            given.put(Buf.K, k.data());
            given.put(Buf.V, v.data());
            given.put(Buf.OUT, nan(rows * d));
            if (opts.returnLse()) {
                given.put(Buf.LSE, nan(rows));
            }
            if (weights) {
                given.put(Buf.WEIGHTS, nan(rows * nk));
            }
            FlashEmulator emu = new FlashEmulator(prog, st, outType, given);
            emu.run(prog);
            if (!qkScratch) {
                assertArrayEquals(q.data(), emu.f.get(Buf.Q), "the caller's Q is never rotated in place");
                assertArrayEquals(k.data(), emu.f.get(Buf.K), "the caller's K is never rotated in place");
            }
            String what = st + " v" + version + " " + problem.describe() + " " + opts;
            AttentionResult ref = new ReferenceBackend().compute(problem);
            check(ref, emu.f.get(Buf.OUT), new NaiveAttention(problem, prec).out, prec, what);
            if (opts.returnLse()) {
                checkLse(ref.logSumExp().orElseThrow().data(), emu.f.get(Buf.LSE), prec, what);
            }
            if (weights) {
                double tol = prec == Precision.FP32 ? 1e-5 : prec == Precision.BF16 ? 2e-2 : 3e-3;
                double e = CudaBackendGpuTest.maxError(ref.weights().orElseThrow().data(), emu.f.get(Buf.WEIGHTS),
                        what + " weights");
                assertTrue(e <= tol, what + " weights error " + e);
            }
        }
    }

    @ParameterizedTest(name = "{0} v{1} options #{2} Hq={3} Hkv={4} D={5}")
    @CsvSource({
            "FP32, 1, 0, 4, 2, 8",
            "FP32, 1, 1, 2, 1, 6",
            "FP32, 1, 2, 3, 3, 4",
            "FP16, 2, 3, 4, 2, 8",
            "BF16, 2, 4, 2, 2, 16",
            "FP32, 1, 5, 4, 2, 8",
            "FP16, 2, 5, 2, 1, 16",
    })
    void varlenProgramsMatchPerSequenceReference(DType st, int version, int which, int hq, int hkv, int d) {
        Precision prec = st == DType.FP16 ? Precision.FP16 : st == DType.BF16 ? Precision.BF16 : Precision.FP32;
        int[] nq = {5, 1, 0, 13, 4, 7};
        int[] nk = {9, 17, 3, 13, 1, 2};
        int[] cuQ = offsets(nq);
        int[] cuK = offsets(nk);
        Random rnd = new Random(31L * which + d);
        int totalQ = cuQ[nq.length], totalK = cuK[nk.length];
        Tensor q = CudaBackendGpuTest.rounded(rnd, prec, totalQ, hq, d);
        Tensor k = CudaBackendGpuTest.rounded(rnd, prec, totalK, hkv, d);
        Tensor v = CudaBackendGpuTest.rounded(rnd, prec, totalK, hkv, d);
        AttentionOptions.Builder o = AttentionOptions.builder().returnLse(true);
        switch (which) {
            case 0:
                o.causal().rope(Rope.of(10000, RopeStyle.HALF).withRotaryDim(d / 4 * 2)
                        .withScaling(new RopeScaling.Linear(2)));
                break;
            case 1:
                o.causal(Causal.TOP_LEFT).alibi().scale(0.4);
                break;
            case 2:
                o.window(2, 0).alibi();
                break;
            case 3: {
                int[] qp = new int[totalQ];
                int[] kp = new int[totalK];
                for (int i = 0; i < totalQ; i++) {
                    qp[i] = rnd.nextInt(300);
                }
                for (int j = 0; j < totalK; j++) {
                    kp[j] = rnd.nextInt(300);
                }
                o.causal().rope(new Rope(500, RopeStyle.INTERLEAVED, qp, kp));
                break;
            }
            case 5: {
                int[][] s = org.attention4j.testing.TestData.starts(rnd, nq.length, 30);
                o.causal().alibi().window(8, 1).rope(10000, RopeStyle.HALF).startPositions(s[0], s[1]);
                break;
            }
            default:
                o.causal().rope(10000, RopeStyle.INTERLEAVED).window(3, -1);
        }
        VarlenProblem vp = VarlenProblem.of(q, k, v, cuQ, cuK, o.build());
        FlashProgram prog = FlashProgram.varlen(FusedPath.varlenShape(vp), st, version, false, DType.FP32, true);
        Map<Buf, float[]> given = new EnumMap<>(Buf.class);
        given.put(Buf.Q, q.data());
        given.put(Buf.K, k.data());
        given.put(Buf.V, v.data());
        given.put(Buf.OUT, nan((long) totalQ * hq * d));
        given.put(Buf.LSE, nan((long) totalQ * hq));
        FlashEmulator emu = new FlashEmulator(prog, st, DType.FP32, given);
        emu.run(prog);
        AttentionResult ref = BySequence.varlen(new ReferenceBackend(), vp);
        String what = st + " " + vp.describe() + " " + vp.options();
        double tol = prec == Precision.FP32 ? 1e-5 : prec == Precision.FP16 ? 4e-3 : 3e-2;
        double e = CudaBackendGpuTest.maxError(ref.output().data(), emu.f.get(Buf.OUT), what + " output");
        assertTrue(e <= tol, what + " output error " + e);
        checkLse(ref.logSumExp().orElseThrow().data(), emu.f.get(Buf.LSE), prec, what);
    }

    @ParameterizedTest(name = "{0} options #{1} B={2} Hq={3} Hkv={4} Nq={5} D={6} SMs={7}")
    @CsvSource({
            "FP32, 0, 3, 4, 2, 1, 8, 132",
            "FP32, 1, 2, 8, 2, 3, 6, 4",
            "FP32, 2, 3, 2, 1, 16, 4, 132",
            "FP16, 0, 2, 4, 4, 2, 8, 132",
            "BF16, 2, 1, 8, 1, 1, 16, 1",
    })
    void decodeProgramsMatchTheReference(DType st, int which, int b, int hq, int hkv, int nq, int d, int sms) {
        Precision prec = st == DType.FP16 ? Precision.FP16 : st == DType.BF16 ? Precision.BF16 : Precision.FP32;
        Random rnd = new Random(17L * which + b + d);
        int cap = 700;
        int[] lens = new int[b];
        for (int i = 0; i < b; i++) {
            lens[i] = i == 1 ? nq - 1 : 300 + rnd.nextInt(cap - 300);   // entry 1: fewer keys than queries
        }
        Tensor kAll = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, cap, d);
        Tensor vAll = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, cap, d);
        HostKvCache cache = new HostKvCache(b, hkv, cap, d, d);
        cache.append(kAll, vAll, lens);
        float[] kc = kAll.data().clone();
        float[] vc = vAll.data().clone();
        for (int bb = 0; bb < b; bb++) {          // what lies beyond a length must never be read
            for (int h = 0; h < hkv; h++) {
                int from = ((bb * hkv + h) * cap + lens[bb]) * d, to = ((bb * hkv + h) * cap + cap) * d;
                Arrays.fill(kc, from, to, Float.NaN);
                Arrays.fill(vc, from, to, Float.NaN);
            }
        }
        Tensor q = CudaBackendGpuTest.rounded(rnd, prec, b, hq, nq, d);
        AttentionOptions.Builder o = AttentionOptions.builder().returnLse(true);
        switch (which) {
            case 0:
                o.causal().rope(10000, RopeStyle.HALF);
                break;
            case 1:
                o.causal().alibi().rope(Rope.of(500, RopeStyle.INTERLEAVED).withRotaryDim(d / 4 * 2)
                        .withScaling(new RopeScaling.NtkAware(4)));
                break;
            default:
                o.causal().window(40, -1).scale(0.2);
        }
        DecodeProblem dp = DecodeProblem.of(q, cache, o.build());
        FlashProgram.Decode shape = FusedPath.decodeShape(dp, hkv, cap);
        FlashProgram prog = FlashProgram.decode(shape, st, false, DType.FP32, true, sms, false);
        FlashProgram.DecodeSplit split = (FlashProgram.DecodeSplit) prog.commands().stream()
                .filter(c -> c instanceof FlashProgram.DecodeSplit).findFirst().orElseThrow();
        int maxLen = Arrays.stream(lens).max().orElseThrow();
        assertEquals(FlashLaunch.decodeSplits(b, hq, hkv, nq, maxLen, sms), split.args().numSplits());
        if (sms > 1) {
            assertTrue(split.args().numSplits() > 1, "a long cache is split: " + split.args().numSplits());
        }
        Map<Buf, float[]> given = new EnumMap<>(Buf.class);
        given.put(Buf.Q, q.data());
        given.put(Buf.K_CACHE, kc);
        given.put(Buf.V_CACHE, vc);
        given.put(Buf.K_ROT, nan(kc.length));
        long rows = (long) b * hq * nq;
        given.put(Buf.OUT, nan(rows * d));
        given.put(Buf.LSE, nan(rows));
        FlashEmulator emu = new FlashEmulator(prog, st, DType.FP32, given);
        emu.run(prog);
        assertArrayEquals(kc, emu.f.get(Buf.K_CACHE), "the cache is never rotated in place");
        AttentionResult ref = BySequence.decode(new ReferenceBackend(), dp);
        String what = st + " " + dp.describe() + " " + dp.options();
        double tol = prec == Precision.FP32 ? 1e-5 : prec == Precision.FP16 ? 4e-3 : 3e-2;
        double e = CudaBackendGpuTest.maxError(ref.output().data(), emu.f.get(Buf.OUT), what + " output");
        assertTrue(e <= tol, what + " output error " + e);
        checkLse(ref.logSumExp().orElseThrow().data(), emu.f.get(Buf.LSE), prec, what);
    }

    /**
     * The device cache's life with RoPE, as {@link DeviceKvCache} and {@link FusedPath} drive the programs:
     * appends before any RoPE step write the cache only; the first RoPE step rebuilds the rotated keys; later
     * appends extend them and later steps read them as they are; a step with another RoPE base rebuilds them.
     * Every step must equal the reference over a host mirror of the cache.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"FP32", "FP16"})
    void decodeWithRotatedKeysKeptByAppends(DType st) {
        Precision prec = st == DType.FP16 ? Precision.FP16 : Precision.FP32;
        Random rnd = new Random(99 + st.ordinal());
        int b = 2, hq = 4, hkv = 2, d = 8, cap = 300;
        float[] kc = nan((long) b * hkv * cap * d);
        float[] vc = nan((long) b * hkv * cap * d);
        float[] kr = nan((long) b * hkv * cap * d);
        HostKvCache mirror = new HostKvCache(b, hkv, cap, d, d);
        Rope rotatedFor = null;
        int[][] plan = {{90, 40}, {1, 1}, {3, 3}, {1, 1}, {16, 16}, {1, 1}, {2, 0}};   // counts per entry per step
        double[] bases = {0, 10000, 10000, 10000, 10000, 500, 500};                    // 0: append only
        for (int step = 0; step < plan.length; step++) {
            int nNew = Math.max(plan[step][0], plan[step][1]);
            Tensor kn = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, nNew, d);
            Tensor vn = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, nNew, d);
            int[] at = mirror.lengths();
            FlashProgram app = FlashProgram.append(b, hkv, nNew, cap, d, at, plan[step], st, rotatedFor);
            Map<Buf, float[]> given = new EnumMap<>(Buf.class);
            given.put(Buf.K_NEW, kn.data());
            given.put(Buf.V_NEW, vn.data());
            given.put(Buf.K_CACHE, kc);
            given.put(Buf.V_CACHE, vc);
            given.put(Buf.K_ROT, kr);
            FlashEmulator ea = new FlashEmulator(app, st, DType.FP32, given);
            ea.run(app);
            assertArrayEquals(kn.data(), ea.f.get(Buf.K_NEW), "the new keys are not rotated in place");
            kc = ea.f.get(Buf.K_CACHE);
            vc = ea.f.get(Buf.V_CACHE);
            kr = ea.f.get(Buf.K_ROT);
            mirror.append(kn, vn, plan[step]);
            if (bases[step] == 0) {
                continue;
            }
            Rope rope = Rope.of(bases[step], RopeStyle.HALF);
            boolean valid = rotatedFor != null && rotatedFor.base() == rope.base();
            int nq = Math.min(3, Math.max(1, plan[step][0]));
            Tensor q = CudaBackendGpuTest.rounded(rnd, prec, b, hq, nq, d);
            DecodeProblem dp = DecodeProblem.of(q, mirror, AttentionOptions.builder().causal().rope(rope)
                    .returnLse(true).build());
            FlashProgram dec = FlashProgram.decode(FusedPath.decodeShape(dp, hkv, cap), st, false, DType.FP32, true,
                    8, valid);
            assertEquals(valid, dec.commands().stream().noneMatch(c -> c instanceof SharedCommand.Copy
                            && ((SharedCommand.Copy) c).dst() == Buf.K_ROT),
                    "the rotated keys are rebuilt exactly when they are not current");
            Map<Buf, float[]> g = new EnumMap<>(Buf.class);
            g.put(Buf.Q, q.data());
            g.put(Buf.K_CACHE, kc);
            g.put(Buf.V_CACHE, vc);
            g.put(Buf.K_ROT, kr);
            g.put(Buf.OUT, nan((long) b * hq * nq * d));
            g.put(Buf.LSE, nan((long) b * hq * nq));
            FlashEmulator ed = new FlashEmulator(dec, st, DType.FP32, g);
            ed.run(dec);
            kr = ed.f.get(Buf.K_ROT);
            rotatedFor = rope;
            AttentionResult ref = BySequence.decode(new ReferenceBackend(), dp);
            String what = st + " step " + step + " lengths " + Arrays.toString(mirror.lengths()) + " base "
                    + rope.base() + (valid ? " (kept)" : " (rebuilt)");
            double tol = prec == Precision.FP32 ? 1e-5 : 4e-3;
            double e = CudaBackendGpuTest.maxError(ref.output().data(), ed.f.get(Buf.OUT), what);
            assertTrue(e <= tol, what + " output error " + e);
            checkLse(ref.logSumExp().orElseThrow().data(), ed.f.get(Buf.LSE), prec, what);
        }
    }

    private static void check(AttentionResult ref, float[] got, float[] naive, Precision prec, String what) {
        double floor = prec == Precision.FP32 ? 1e-5 : prec == Precision.FP16 ? 2e-3 : 1.6e-2;
        Tolerance.assertWithinTwiceNaive(ref.output().data(), got, naive, floor, what + " output");
    }

    private static void checkLse(float[] want, float[] got, Precision prec, String what) {
        double rel = prec == Precision.FP16 ? 3e-3 : prec == Precision.BF16 ? 2e-2 : 1e-5;
        for (int i = 0; i < want.length; i++) {
            boolean ok = want[i] == got[i] || Math.abs(want[i] - got[i]) <= rel * (1 + Math.abs(want[i]));
            assertTrue(ok, what + " lse[" + i + "] " + got[i] + " vs " + want[i]);
        }
    }

    private static float[] nan(long n) {
        float[] a = new float[(int) n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    private static int[] offsets(int[] lengths) {
        int[] cu = new int[lengths.length + 1];
        for (int b = 0; b < lengths.length; b++) {
            cu[b + 1] = cu[b] + lengths[b];
        }
        return cu;
    }
}

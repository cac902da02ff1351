package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.attention4j.testing.NaiveAttention;
import org.attention4j.testing.Tolerance;
import org.attention4j.AttentionEngine;
import org.attention4j.AttentionMask;
import org.attention4j.AttentionMerge;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Causal;
import org.attention4j.HostKvCache;
import org.attention4j.KvCache;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.attention4j.cpu.ReferenceBackend;
import org.attention4j.spi.AttentionProblem;
import org.attention4j.spi.BySequence;
import org.attention4j.spi.DecodeProblem;
import org.attention4j.spi.VarlenProblem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused kernels (forced with {@code attention4j.cuda.path=fused}) against the float64 reference on a GPU,
 * with FlashAttention's rule (error at most twice a naive CPU computation at the same precision, plus a floor),
 * outputs NaN-poisoned before every run: dense calls over awkward shapes and every option the fused path takes,
 * the weights pass, packed sequences, decode over long device caches, the device merge, and N = 131072 in O(N)
 * memory. Skipped, with the reason, where CUDA cannot run or the kernels lack the fused family.
 */
class CudaFlashGpuTest {
    private static final long SEED = System.nanoTime();

    @BeforeEach
    void requireGpu() {
        CudaSupport.Availability a = CudaSupport.probe();
        GpuRequirement.require(a.usable(), "no CUDA device: " + a.detail());
        GpuRequirement.require(CudaRuntime.get().kernels.fusedPresent(), "the packaged kernels lack the fused family (issue 4)");
        System.setProperty("attention4j.cuda.poison", "true");
        System.setProperty(CudaPath.PROPERTY, "fused");
    }

    @AfterEach
    void restore() {
        System.clearProperty("attention4j.cuda.poison");
        System.clearProperty(CudaPath.PROPERTY);
    }

    /** B, Hq, Hkv, Nq, Nk, D. */
    static final int[][] SHAPES = {
            {1, 2, 2, 1, 1, 64},
            {2, 4, 2, 113, 113, 64},
            {1, 4, 1, 1023, 1025, 59},
            {1, 2, 2, 1025, 1023, 96},
            {2, 8, 2, 113, 1025, 128},
            {1, 4, 4, 1, 1023, 256},
            {1, 2, 1, 1025, 113, 32},
    };

    static AttentionOptions options(int which, int[] s, Random rnd) {
        int b = s[0], nk = s[4];
        switch (which) {
            case 0:
                return AttentionOptions.builder().returnLse(true).build();
            case 1:
                return AttentionOptions.builder().causal().returnLse(true).build();
            case 2: {
                int[] lens = new int[b];
                for (int i = 0; i < b; i++) {
                    lens[i] = i == 1 ? 0 : rnd.nextInt(nk + 1);
                }
                return AttentionOptions.builder().causal(Causal.TOP_LEFT).kvLengths(lens).alibi().returnLse(true)
                        .build();
            }
            case 3:
                return AttentionOptions.builder().window(40, 3).scale(0.3).returnLse(true).build();
            default:
                return AttentionOptions.builder().causal().rope(10000, s[5] % 4 == 0 ? RopeStyle.HALF
                        : RopeStyle.INTERLEAVED).alibi().returnLse(true).build();
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Precision p : new Precision[] {Precision.FP32, Precision.FP16, Precision.BF16}) {
            for (int[] s : SHAPES) {
                for (int o = 0; o < 5; o++) {
                    if (o == 4 && s[5] % 2 != 0) {
                        continue;       // RoPE needs an even D
                    }
                    all.add(Arguments.of(p, s, o));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} shape {1} options #{2}")
    @MethodSource("cases")
    void fusedMatchesTheReference(Precision prec, int[] s, int which) {
        Random rnd = new Random(SEED + 31L * which + s[3] * 7L + s[5] + prec.ordinal() * 1000L);
        Tensor q = CudaBackendGpuTest.rounded(rnd, prec, s[0], s[1], s[3], s[5]);
        Tensor k = CudaBackendGpuTest.rounded(rnd, prec, s[0], s[2], s[4], s[5]);
        Tensor v = CudaBackendGpuTest.rounded(rnd, prec, s[0], s[2], s[4], s[5]);
        AttentionOptions opts = options(which, s, rnd);
        AttentionProblem problem = AttentionProblem.of(q, k, v, opts);
        AttentionResult ref = new ReferenceBackend().compute(problem);
        float[] naive = new NaiveAttention(problem, prec).out;
        DType t = prec.storageType();
        try (CudaAttention cuda = CudaAttention.open(prec);
             DeviceTensor dq = cuda.upload(q.data(), t, q.shape());
             DeviceTensor dk = cuda.upload(k.data(), t, k.shape());
             DeviceTensor dv = cuda.upload(v.data(), t, v.shape());
             DeviceTensor out = cuda.allocate(DType.FP32, s[0], s[1], s[3], s[5]);
             DeviceTensor lse = cuda.allocate(DType.FP32, s[0], s[1], s[3])) {
            assertTrue(cuda.pathFor(q.shape(), k.shape(), v.shape(), opts).startsWith("fused"));
            out.fill(Float.NaN);
            lse.fill(Float.NaN);
            cuda.attentionInto(dq, dk, dv, opts, out, null, lse);
            String what = prec + " " + problem.describe() + " " + opts + " seed " + SEED;
            checkOutput(ref.output().data(), out.download(), naive, prec, what);
            checkLse(ref.logSumExp().orElseThrow().data(), lse.download(), prec, what);
        }
    }

    @Test
    void weightsPassMatchesTheReference() {
        for (Precision prec : new Precision[] {Precision.FP32, Precision.FP16, Precision.BF16}) {
            Random rnd = new Random(SEED + prec.ordinal());
            Tensor q = CudaBackendGpuTest.rounded(rnd, prec, 2, 4, 113, 64);
            Tensor k = CudaBackendGpuTest.rounded(rnd, prec, 2, 2, 1025, 64);
            Tensor v = CudaBackendGpuTest.rounded(rnd, prec, 2, 2, 1025, 64);
            AttentionOptions o = AttentionOptions.builder().causal().alibi().kvLengths(1000, 17).returnWeights(true)
                    .build();
            try (AttentionEngine e = AttentionEngine.builder().backend(Backend.CUDA).cudaPrecision(prec).build()) {
                AttentionResult got = e.attention(q, k, v, o);
                AttentionResult want = new ReferenceBackend().compute(AttentionProblem.of(q, k, v, o));
                double tol = prec == Precision.FP32 ? 1e-5 : prec == Precision.BF16 ? 8e-3 : 2e-3;
                double err = CudaBackendGpuTest.maxError(want.weights().orElseThrow().data(),
                        got.weights().orElseThrow().data(), prec + " weights");
                assertTrue(err <= tol, prec + " weights error " + err);
                assertTrue(got.logSumExp().isEmpty(), "lse was not asked for");
            }
        }
    }

    @Test
    void varlenMatchesPerSequenceReference() {
        int[] nq = {5, 1, 0, 1023, 113, 7};
        int[] nk = {9, 1025, 3, 1023, 0, 2};
        int[] cuQ = new int[nq.length + 1];
        int[] cuK = new int[nk.length + 1];
        for (int b = 0; b < nq.length; b++) {
            cuQ[b + 1] = cuQ[b] + nq[b];
            cuK[b + 1] = cuK[b] + nk[b];
        }
        for (Precision prec : new Precision[] {Precision.FP32, Precision.FP16}) {
            Random rnd = new Random(SEED + 11 + prec.ordinal());
            Tensor q = CudaBackendGpuTest.rounded(rnd, prec, cuQ[nq.length], 8, 64);
            Tensor k = CudaBackendGpuTest.rounded(rnd, prec, cuK[nk.length], 2, 64);
            Tensor v = CudaBackendGpuTest.rounded(rnd, prec, cuK[nk.length], 2, 64);
            for (AttentionOptions o : new AttentionOptions[] {
                    AttentionOptions.builder().causal().returnLse(true).build(),
                    AttentionOptions.builder().causal().rope(10000, RopeStyle.HALF).alibi().window(64, -1)
                            .returnLse(true).build()}) {
                try (AttentionEngine e = AttentionEngine.builder().backend(Backend.CUDA).cudaPrecision(prec)
                        .build()) {
                    AttentionResult got = e.attentionVarlen(q, k, v, cuQ, cuK, o);
                    AttentionResult want = BySequence.varlen(new ReferenceBackend(),
                            VarlenProblem.of(q, k, v, cuQ, cuK, o));
                    String what = prec + " varlen " + o;
                    double tol = prec == Precision.FP32 ? 1e-5 : 4e-3;
                    double err = CudaBackendGpuTest.maxError(want.output().data(), got.output().data(), what);
                    assertTrue(err <= tol, what + " error " + err);
                    checkLse(want.logSumExp().orElseThrow().data(), got.logSumExp().orElseThrow().data(), prec, what);
                }
            }
        }
    }

    @Test
    void decodeOverLongDeviceCachesMatchesTheReference() {
        for (Precision prec : new Precision[] {Precision.FP32, Precision.FP16, Precision.BF16}) {
            Random rnd = new Random(SEED + 21 + prec.ordinal());
            int b = 2, hq = 8, hkv = 2, d = 128, cap = 40_000;
            int[] prefill = {33_000, 1_000};
            Tensor k0 = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, prefill[0], d);
            Tensor v0 = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, prefill[0], d);
            AttentionOptions o = AttentionOptions.builder().causal().rope(10000, RopeStyle.HALF).returnLse(true)
                    .build();
            try (AttentionEngine e = AttentionEngine.builder().backend(Backend.CUDA).cudaPrecision(prec).build();
                 KvCache cache = e.newKvCache(b, hkv, cap, d, d);
                 HostKvCache mirror = new HostKvCache(b, hkv, cap, d, d)) {
                assertTrue(cache instanceof DeviceKvCache, "CUDA keeps the cache on the device: " + cache);
                cache.append(k0, v0, prefill);
                mirror.append(k0, v0, prefill);
                for (int step = 0; step < 3; step++) {
                    int n = step == 1 ? 16 : 1;
                    Tensor kn = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, n, d);
                    Tensor vn = CudaBackendGpuTest.rounded(rnd, prec, b, hkv, n, d);
                    Tensor qn = CudaBackendGpuTest.rounded(rnd, prec, b, hq, n, d);
                    cache.append(kn, vn);
                    mirror.append(kn, vn);
                    AttentionResult got = e.decode(qn, cache, o);
                    AttentionResult want = BySequence.decode(new ReferenceBackend(), DecodeProblem.of(qn, mirror, o));
                    String what = prec + " decode step " + step + " lengths " + Arrays.toString(cache.lengths());
                    double tol = prec == Precision.FP32 ? 2e-5 : prec == Precision.FP16 ? 4e-3 : 3e-2;
                    double err = CudaBackendGpuTest.maxError(want.output().data(), got.output().data(), what);
                    assertTrue(err <= tol, what + " error " + err);
                    checkLse(want.logSumExp().orElseThrow().data(), got.logSumExp().orElseThrow().data(), prec, what);
                }
            }
        }
    }

    @Test
    void deviceMergeOfShardsEqualsTheWhole() {
        Random rnd = new Random(SEED + 41);
        Tensor q = CudaBackendGpuTest.rounded(rnd, Precision.FP32, 1, 4, 97, 64);
        Tensor k = CudaBackendGpuTest.rounded(rnd, Precision.FP32, 1, 4, 1025, 64);
        Tensor v = CudaBackendGpuTest.rounded(rnd, Precision.FP32, 1, 4, 1025, 64);
        int[] cuts = {0, 300, 300, 1025};         // the middle shard is empty
        AttentionOptions o = AttentionOptions.builder().returnLse(true).build();
        AttentionResult whole = new ReferenceBackend().compute(AttentionProblem.of(q, k, v, o));
        try (CudaAttention cuda = CudaAttention.open(Precision.FP32)) {
            List<DeviceTensor> outs = new ArrayList<>();
            List<DeviceTensor> lses = new ArrayList<>();
            List<AttentionResult> host = new ArrayList<>();
            try {
                for (int s = 0; s + 1 < cuts.length; s++) {
                    Tensor ks = slice(k, cuts[s], cuts[s + 1]);
                    Tensor vs = slice(v, cuts[s], cuts[s + 1]);
                    AttentionResult r = ks.dim(2) == 0
                            ? new ReferenceBackend().compute(AttentionProblem.of(q, ks, vs, o))
                            : cuda.attention(q, ks, vs, o);
                    host.add(r);
                    outs.add(cuda.upload(r.output().data(), DType.FP32, r.output().shape()));
                    lses.add(cuda.upload(r.logSumExp().orElseThrow().data(), DType.FP32,
                            r.logSumExp().orElseThrow().shape()));
                }
                try (DeviceTensor out = cuda.allocate(DType.FP32, 1, 4, 97, 64);
                     DeviceTensor lse = cuda.allocate(DType.FP32, 1, 4, 97)) {
                    out.fill(Float.NaN);
                    lse.fill(Float.NaN);
                    cuda.merge(outs, lses, out, lse);
                    AttentionResult hostMerged = AttentionMerge.merge(host);
                    assertTrue(CudaBackendGpuTest.maxError(whole.output().data(), out.download(), "device merge")
                            <= 2e-5);
                    assertTrue(CudaBackendGpuTest.maxError(hostMerged.output().data(), out.download(), "vs host")
                            <= 1e-6);
                    checkLse(whole.logSumExp().orElseThrow().data(), lse.download(), Precision.FP32, "merge lse");
                }
            } finally {
                outs.forEach(DeviceTensor::close);
                lses.forEach(DeviceTensor::close);
            }
        }
    }

    @Test
    void longSequenceRunsInLinearMemory() {
        int n = 131_072, h = 8, d = 128;
        // 400M values: BenchInputs' parallel cheap generator, not nextGaussian one by one (seconds of the GPU
        // machine's few minutes, issue 11).
        float[] qa = fp16(BenchInputs.values(SEED + 51, (long) n * h * d));
        float[] ka = fp16(BenchInputs.values(SEED + 52, (long) n * h * d));
        float[] va = fp16(BenchInputs.values(SEED + 53, (long) n * h * d));
        try (CudaAttention cuda = CudaAttention.open(Precision.FP16);
             DeviceTensor q = cuda.upload(qa, DType.FP16, 1, h, n, d);
             DeviceTensor k = cuda.upload(ka, DType.FP16, 1, h, n, d);
             DeviceTensor v = cuda.upload(va, DType.FP16, 1, h, n, d);
             DeviceTensor out = cuda.allocate(DType.FP16, 1, h, n, d)) {
            out.fill(Float.NaN);
            long before = cuda.memoryStats().bytesReserved();
            cuda.attentionInto(q, k, v, AttentionOptions.builder().causal().build(), out, null, null);
            // Scratch goes back to the cache after the call, so what the cache grew by is the call's peak.
            long extra = cuda.memoryStats().bytesReserved() - before;
            assertTrue(extra < (64L << 20), "the fused call holds " + extra + " extra bytes (scores would be "
                    + 4L * h * n * n + ")");
            float[] got = out.download();
            for (int i : new int[] {0, 4097, 20_000}) {     // (the JVM of the tests has 4 GiB)
                // Row i of causal attention is the attention of query i over keys 0..i.
                Tensor qi = Tensor.zeros(1, h, 1, d);
                Tensor ki = Tensor.zeros(1, h, i + 1, d);
                Tensor vi = Tensor.zeros(1, h, i + 1, d);
                for (int hh = 0; hh < h; hh++) {
                    System.arraycopy(qa, (hh * n + i) * d, qi.data(), hh * d, d);
                    System.arraycopy(ka, hh * n * d, ki.data(), hh * (i + 1) * d, (i + 1) * d);
                    System.arraycopy(va, hh * n * d, vi.data(), hh * (i + 1) * d, (i + 1) * d);
                }
                float[] want = new ReferenceBackend().compute(AttentionProblem.of(qi, ki, vi,
                        AttentionOptions.builder().causal().build())).output().data();
                for (int hh = 0; hh < h; hh++) {
                    for (int c = 0; c < d; c++) {
                        float g = got[(hh * n + i) * d + c];
                        assertTrue(Math.abs(g - want[hh * d + c]) <= 4e-3, "row " + i + " head " + hh + " col " + c
                                + ": " + g + " vs " + want[hh * d + c]);
                    }
                }
            }
        }
    }

    @Test
    void manyThreadsAtOnceGiveWhatOneThreadGives() throws Exception {
        Random rnd = new Random(SEED + 61);
        Tensor[][] in = new Tensor[80][];
        for (int i = 0; i < in.length; i++) {
            in[i] = new Tensor[] {CudaBackendGpuTest.rounded(rnd, Precision.FP16, 1, 4, 65, 64),
                    CudaBackendGpuTest.rounded(rnd, Precision.FP16, 1, 2, 80, 64),
                    CudaBackendGpuTest.rounded(rnd, Precision.FP16, 1, 2, 80, 64)};
        }
        AttentionOptions o = AttentionOptions.builder().causal().rope(10000, RopeStyle.HALF).returnLse(true).build();
        try (AttentionEngine e = AttentionEngine.builder().backend(Backend.CUDA).cudaPrecision(Precision.FP16)
                .build()) {
            float[][] serial = new float[in.length][];
            for (int i = 0; i < in.length; i++) {
                serial[i] = e.attention(in[i][0], in[i][1], in[i][2], o).output().data();
            }
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                List<java.util.concurrent.Future<float[]>> fs = new ArrayList<>();
                for (Tensor[] x : in) {
                    fs.add(pool.submit(() -> e.attention(x[0], x[1], x[2], o).output().data()));
                }
                for (int i = 0; i < in.length; i++) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(serial[i],
                            fs.get(i).get(120, java.util.concurrent.TimeUnit.SECONDS), "call " + i);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void steadyCallsKeepDeviceMemoryFlat() {
        Random rnd = new Random(SEED + 71);
        try (CudaAttention cuda = CudaAttention.open(Precision.BF16);
             DeviceTensor q = cuda.upload(CudaBackendGpuTest.rounded(rnd, Precision.BF16, 1, 4, 16, 64).data(),
                     DType.BF16, 1, 4, 16, 64);
             DeviceTensor k = cuda.upload(CudaBackendGpuTest.rounded(rnd, Precision.BF16, 1, 2, 16, 64).data(),
                     DType.BF16, 1, 2, 16, 64);
             DeviceTensor out = cuda.allocate(DType.FP32, 1, 4, 16, 64);
             DeviceTensor lse = cuda.allocate(DType.FP32, 1, 4, 16)) {
            AttentionOptions o = AttentionOptions.builder().causal().alibi().kvLengths(12)
                    .rope(10000, RopeStyle.HALF).build();
            for (int i = 0; i < 100; i++) {
                cuda.attentionInto(q, k, k, o, out, null, lse);
            }
            AllocatorStats warm = cuda.memoryStats();
            for (int i = 0; i < 20_000; i++) {
                cuda.attentionInto(q, k, k, o, out, null, lse);
            }
            AllocatorStats after = cuda.memoryStats();
            assertEquals(warm.deviceAllocations(), after.deviceAllocations(), "allocations after warm-up");
            assertEquals(warm.bytesInUse(), after.bytesInUse());
        }
    }

    @Test
    void masksStayOnTheCublasPath() {
        AttentionOptions masked = AttentionOptions.builder()
                .mask(AttentionMask.ofBoolean(new boolean[] {true, false}, 1, 2)).build();
        try (CudaAttention cuda = CudaAttention.open(Precision.FP16)) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> cuda.pathFor(new int[] {1, 1, 2, 64}, new int[] {1, 1, 2, 64}, new int[] {1, 1, 2, 64},
                            masked));
            assertTrue(x.getMessage().contains("mask"), x.getMessage());
            System.setProperty(CudaPath.PROPERTY, "auto");
            assertEquals("boolean and float masks run on the cuBLAS path", cuda.pathFor(new int[] {1, 1, 2, 64},
                    new int[] {1, 1, 2, 64}, new int[] {1, 1, 2, 64}, masked));
            assertTrue(cuda.pathFor(new int[] {1, 1, 2, 64}, new int[] {1, 1, 2, 64}, new int[] {1, 1, 2, 64},
                    AttentionOptions.DEFAULTS).startsWith("fused"));
        }
    }

    private static Tensor slice(Tensor t, int from, int to) {
        int[] s = t.shape();
        Tensor out = Tensor.zeros(s[0], s[1], to - from, s[3]);
        for (int b = 0; b < s[0]; b++) {
            for (int h = 0; h < s[1]; h++) {
                System.arraycopy(t.data(), ((b * s[1] + h) * s[2] + from) * s[3], out.data(),
                        ((b * s[1] + h) * (to - from)) * s[3], (to - from) * s[3]);
            }
        }
        return out;
    }

    private static void checkOutput(float[] want, float[] got, float[] naive, Precision prec, String what) {
        double floor = prec == Precision.FP32 ? 1e-5 : prec == Precision.FP16 ? 1e-3 : 8e-3;
        Tolerance.assertWithinTwiceNaive(want, got, naive, floor, what + " GPU output");
    }

    private static void checkLse(float[] want, float[] got, Precision prec, String what) {
        double rel = prec == Precision.FP16 ? 3e-3 : prec == Precision.BF16 ? 2e-2 : 1e-4;
        assertEquals(want.length, got.length, what + " lse length");
        for (int i = 0; i < want.length; i++) {
            boolean ok = want[i] == got[i] || Math.abs(want[i] - got[i]) <= rel * (1 + Math.abs(want[i]));
            assertTrue(ok, what + " lse[" + i + "] " + got[i] + " vs " + want[i]);
        }
    }

    /** {@code a} rounded to fp16 in place (in parallel: the long-sequence inputs have 134M values each). */
    private static float[] fp16(float[] a) {
        java.util.stream.IntStream.range(0, a.length).parallel()
                .forEach(i -> a[i] = NaiveAttention.round(a[i], Precision.FP16));
        return a;
    }
}

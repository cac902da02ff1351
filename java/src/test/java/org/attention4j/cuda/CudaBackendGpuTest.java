package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.attention4j.testing.NaiveAttention;
import org.attention4j.testing.Tolerance;
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
import org.attention4j.cpu.ReferenceBackend;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA backend's cuBLAS path (forced with {@code attention4j.cuda.path=cublas}) against the float64
 * reference, on a GPU. Skipped, with the probe's reason, where CUDA cannot
 * run. Tolerance as FlashAttention's tests: the GPU's max error is at most twice that of a naive CPU computation
 * at the same precision ({@link NaiveAttention}) plus a floor; inputs for FP16/BF16 are rounded to that
 * type first so that the reference sees what the GPU sees. Outputs are poisoned with NaN before every run.
 */
class CudaBackendGpuTest {
    private static final long SEED = System.nanoTime();

    /** Per test, not per class, so that every skipped test is reported with the reason. */
    @BeforeEach
    void requireGpu() {
        CudaSupport.Availability a = CudaSupport.probe();
        GpuRequirement.require(a.usable(), "no CUDA device: " + a.detail());
        // The backend runs without cuBLAS (the fused kernels alone), this class's path does not.
        GpuRequirement.require(CudaSupport.cublasMissing() == null, "no cuBLAS: " + CudaSupport.cublasMissing());
        System.setProperty("attention4j.cuda.poison", "true");   // host calls: device outputs NaN-filled first
        // This class covers the cuBLAS path (CudaFlashGpuTest the fused one): AUTO would send most calls there.
        System.setProperty(CudaPath.PROPERTY, "cublas");
    }

    @AfterEach
    void stopPoisoning() {
        System.clearProperty("attention4j.cuda.poison");
        System.clearProperty(CudaPath.PROPERTY);
    }

    /** B, Hq, Hkv, Nq, Nk, D, Dv. */
    static final int[][] SHAPES = {
            {1, 1, 1, 1, 1, 64, 64},
            {2, 4, 2, 97, 113, 64, 64},
            {1, 8, 2, 113, 97, 111, 111},
            {1, 2, 1, 1023, 1025, 64, 64},
            {2, 2, 2, 1025, 1023, 59, 59},
            {1, 4, 1, 1, 1025, 64, 32},
            {1, 2, 2, 97, 97, 1, 1},
    };

    static AttentionOptions options(int which, int[] s, Random rnd) {
        int b = s[0], hq = s[1], nq = s[3], nk = s[4];
        switch (which) {
            case 0:
                return AttentionOptions.builder().returnLse(true).returnWeights(true).build();
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
            case 3: {
                boolean[] m = new boolean[nq * nk];
                for (int i = 0; i < m.length; i++) {
                    m[i] = rnd.nextInt(4) != 0;
                }
                return AttentionOptions.builder().mask(AttentionMask.ofBoolean(m, 1, 1, nq, nk)).window(40, 3)
                        .returnWeights(true).build();
            }
            case 4: {
                float[] m = new float[hq * nk];
                for (int i = 0; i < m.length; i++) {
                    m[i] = rnd.nextInt(9) == 0 ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian();
                }
                AttentionOptions.Builder o = AttentionOptions.builder().mask(AttentionMask.ofFloat(m, hq, 1, nk))
                        .returnLse(true).scale(0.3);
                return s[5] % 2 == 0 ? o.rope(10000, RopeStyle.HALF).build() : o.build();
            }
            default: {
                int[] pos = new int[b * nq];
                for (int i = 0; i < pos.length; i++) {
                    pos[i] = rnd.nextInt(100_000);
                }
                AttentionOptions.Builder o = AttentionOptions.builder().causal().returnLse(true);
                return s[5] % 2 == 0 ? o.rope(new Rope(500000, RopeStyle.INTERLEAVED, pos, null)).build() : o.build();
            }
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Precision p : Precision.values()) {
            for (int[] s : SHAPES) {
                for (int o = 0; o < 6; o++) {
                    all.add(Arguments.of(p, s, o));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} shape {1} options #{2}")
    @MethodSource("cases")
    void deviceTensorsMatchTheReference(Precision prec, int[] s, int which) {
        Random rnd = new Random(SEED + 31L * which + s[3] * 7L + s[5] + prec.ordinal() * 1000L);
        Tensor q = rounded(rnd, prec, s[0], s[1], s[3], s[5]);
        Tensor k = rounded(rnd, prec, s[0], s[2], s[4], s[5]);
        Tensor v = rounded(rnd, prec, s[0], s[2], s[4], s[6]);
        AttentionOptions opts = options(which, s, rnd);
        AttentionProblem problem = AttentionProblem.of(q, k, v, opts);
        AttentionResult ref = new ReferenceBackend().compute(problem);
        float[] naive = new NaiveAttention(problem, prec).out;

        DType t = prec.storageType();
        try (CudaAttention cuda = CudaAttention.open(prec);
             DeviceTensor dq = cuda.upload(q.data(), t, q.shape());
             DeviceTensor dk = cuda.upload(k.data(), t, k.shape());
             DeviceTensor dv = cuda.upload(v.data(), t, v.shape());
             DeviceTensor out = cuda.allocate(DType.FP32, s[0], s[1], s[3], s[6]);
             DeviceTensor w = cuda.allocate(DType.FP32, s[0], s[1], s[3], s[4]);
             DeviceTensor lse = cuda.allocate(DType.FP32, s[0], s[1], s[3])) {
            out.fill(Float.NaN);
            w.fill(Float.NaN);
            lse.fill(Float.NaN);
            cuda.attentionInto(dq, dk, dv, opts, out, opts.returnWeights() ? w : null, opts.returnLse() ? lse : null);
            String what = prec + " " + problem.describe() + " " + opts + " seed " + SEED;
            double floor = prec == Precision.FP32 ? 1e-5 : prec == Precision.TF32 ? 1e-4
                    : prec == Precision.FP16 ? 1e-3 : 8e-3;
            Tolerance.assertWithinTwiceNaive(ref.output().data(), out.download(), naive, floor, what + " GPU output");
            if (opts.returnWeights()) {
                double tol = prec == Precision.FP32 ? 1e-5 : prec == Precision.BF16 ? 8e-3 : 2e-3;
                assertTrue(maxError(ref.weights().orElseThrow().data(), w.download(), what + " weights") <= tol,
                        what + " weights");
            }
            if (opts.returnLse()) {
                float[] wl = ref.logSumExp().orElseThrow().data();
                float[] gl = lse.download();
                // TF32 rounds Q and K inside the GEMM; RoPE'd Q and K are stored in FP16/BF16 when those are used.
                double rel = prec == Precision.TF32 ? 5e-3 : prec == Precision.FP16 ? 3e-3
                        : prec == Precision.BF16 ? 2e-2 : 1e-4;
                for (int i = 0; i < wl.length; i++) {
                    boolean ok = wl[i] == gl[i] || Math.abs(wl[i] - gl[i]) <= rel * (1 + Math.abs(wl[i]));
                    assertTrue(ok, what + " lse[" + i + "] " + gl[i] + " vs " + wl[i]);
                }
            }
        }
    }

    @Test
    void engineOnCudaMatchesTheReference() {
        Random rnd = new Random(SEED);
        Tensor q = rounded(rnd, Precision.FP32, 2, 8, 200, 64);
        Tensor k = rounded(rnd, Precision.FP32, 2, 2, 300, 64);
        Tensor v = rounded(rnd, Precision.FP32, 2, 2, 300, 48);
        AttentionOptions o = AttentionOptions.builder().causal().returnWeights(true).returnLse(true).build();
        try (AttentionEngine e = AttentionEngine.builder().backend(Backend.CUDA).cudaPrecision(Precision.FP32)
                .build()) {
            assertEquals(Backend.CUDA, e.backend());
            AttentionResult got = e.attention(q, k, v, o);
            AttentionResult want = new ReferenceBackend().compute(AttentionProblem.of(q, k, v, o));
            assertTrue(maxError(want.output().data(), got.output().data(), "output") <= 1e-5);
            assertTrue(maxError(want.weights().orElseThrow().data(), got.weights().orElseThrow().data(), "w") <= 1e-6);
            assertTrue(maxError(want.logSumExp().orElseThrow().data(), got.logSumExp().orElseThrow().data(), "lse")
                    <= 1e-4);
        }
    }

    @ParameterizedTest(name = "path {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"cublas", "fused"})
    void startPositionsMatchTheReferenceOnBothPaths(String path) {
        // A block of queries over a shard of keys of a longer sequence, per-entry starts: the diagonals reach the
        // softmax and fused kernels, the positions the rotation (issue 14).
        System.setProperty(CudaPath.PROPERTY, path);
        Random rnd = new Random(SEED);
        Tensor q = rounded(rnd, Precision.FP32, 2, 4, 97, 64);
        Tensor k = rounded(rnd, Precision.FP32, 2, 2, 113, 64);
        Tensor v = rounded(rnd, Precision.FP32, 2, 2, 113, 64);
        AttentionOptions o = AttentionOptions.builder().causal().alibi().window(60, 5).rope(10000, RopeStyle.HALF)
                .startPositions(new int[] {300, 150}, new int[] {250, 200}).returnLse(true).build();
        try (AttentionEngine e = AttentionEngine.builder().backend(Backend.CUDA).cudaPrecision(Precision.FP32)
                .build()) {
            AttentionResult got = e.attention(q, k, v, o);
            AttentionResult want = new ReferenceBackend().compute(AttentionProblem.of(q, k, v, o));
            assertTrue(maxError(want.output().data(), got.output().data(), path + " output") <= 1e-5);
            assertTrue(maxError(want.logSumExp().orElseThrow().data(), got.logSumExp().orElseThrow().data(),
                    path + " lse") <= 1e-4);
        }
    }

    @Test
    void chunkedWorkspaceGivesTheSameResult() {
        String old = System.getProperty("attention4j.cuda.workspaceBytes");
        Random rnd = new Random(SEED + 5);
        Tensor q = rounded(rnd, Precision.FP32, 3, 6, 97, 64);
        Tensor k = rounded(rnd, Precision.FP32, 3, 2, 113, 64);
        Tensor v = rounded(rnd, Precision.FP32, 3, 2, 113, 64);
        AttentionOptions o = AttentionOptions.builder().causal().alibi().returnLse(true).build();
        AttentionResult want = new ReferenceBackend().compute(AttentionProblem.of(q, k, v, o));
        try (CudaAttention cuda = CudaAttention.open(Precision.FP32)) {
            for (long ws : new long[] {97L * 113 * 4, 2L * 97 * 113 * 4, 3L * 97 * 113 * 4, 6L * 97 * 113 * 4 * 2}) {
                System.setProperty("attention4j.cuda.workspaceBytes", Long.toString(ws));
                AttentionResult got = cuda.attention(q, k, v, o);
                assertTrue(maxError(want.output().data(), got.output().data(), "workspace " + ws) <= 1e-5);
                assertTrue(maxError(want.logSumExp().orElseThrow().data(), got.logSumExp().orElseThrow().data(),
                        "lse") <= 1e-4);
            }
        } finally {
            if (old == null) {
                System.clearProperty("attention4j.cuda.workspaceBytes");
            } else {
                System.setProperty("attention4j.cuda.workspaceBytes", old);
            }
        }
    }

    @Test
    void manyThreadsAtOnceGiveWhatOneThreadGives() throws Exception {
        int threads = 8, calls = 25;
        Random rnd = new Random(SEED + 1);
        Tensor[][] in = new Tensor[threads * calls][];
        for (int i = 0; i < in.length; i++) {
            in[i] = new Tensor[] {rounded(rnd, Precision.FP32, 1, 4, 65, 64), rounded(rnd, Precision.FP32, 1, 2, 80, 64),
                    rounded(rnd, Precision.FP32, 1, 2, 80, 64)};
        }
        AttentionOptions o = AttentionOptions.builder().causal().returnLse(true).build();
        try (AttentionEngine e = AttentionEngine.builder().backend(Backend.CUDA).build()) {
            float[][] serial = new float[in.length][];
            for (int i = 0; i < in.length; i++) {
                serial[i] = e.attention(in[i][0], in[i][1], in[i][2], o).output().data();
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<float[]>> fs = new ArrayList<>();
                for (int i = 0; i < in.length; i++) {
                    Tensor[] x = in[i];
                    fs.add(pool.submit(() -> e.attention(x[0], x[1], x[2], o).output().data()));
                }
                for (int i = 0; i < in.length; i++) {
                    assertArrayEquals(serial[i], fs.get(i).get(120, TimeUnit.SECONDS), "call " + i);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void hundredThousandCallsKeepDeviceMemoryFlat() {
        Random rnd = new Random(SEED + 2);
        try (CudaAttention cuda = CudaAttention.open(Precision.FP32);
             DeviceTensor q = cuda.upload(rounded(rnd, Precision.FP32, 1, 2, 16, 16).data(), DType.FP32, 1, 2, 16, 16);
             DeviceTensor k = cuda.upload(rounded(rnd, Precision.FP32, 1, 2, 16, 16).data(), DType.FP32, 1, 2, 16, 16);
             DeviceTensor v = cuda.upload(rounded(rnd, Precision.FP32, 1, 2, 16, 16).data(), DType.FP32, 1, 2, 16, 16);
             DeviceTensor out = cuda.allocate(DType.FP32, 1, 2, 16, 16);
             DeviceTensor lse = cuda.allocate(DType.FP32, 1, 2, 16)) {
            AttentionOptions o = AttentionOptions.builder().causal().alibi().kvLengths(12).build();
            for (int i = 0; i < 100; i++) {
                cuda.attentionInto(q, k, v, o, out, null, lse);
            }
            AllocatorStats warm = cuda.memoryStats();
            for (int i = 0; i < 100_000; i++) {
                cuda.attentionInto(q, k, v, o, out, null, lse);
            }
            AllocatorStats after = cuda.memoryStats();
            assertEquals(warm.deviceAllocations(), after.deviceAllocations(), "allocations after warm-up");
            assertEquals(warm.bytesInUse(), after.bytesInUse());
            assertEquals(warm.bytesReserved(), after.bytesReserved());
        }
    }

    @Test
    void outOfMemoryRaisesAndTheEngineStaysUsable() {
        int n = 1 << 18;          // one head's scores alone: 2^36 floats = 256 GiB
        Tensor q = Tensor.zeros(1, 1, n, 4);
        try (AttentionEngine e = AttentionEngine.builder().backend(Backend.CUDA).build();
             CudaAttention cuda = CudaAttention.open(Precision.FP32)) {
            long inUse = cuda.memoryStats().bytesInUse();
            AttentionException x = assertThrows(AttentionException.class, () -> e.attention(q, q, q));
            assertTrue(x.getMessage().contains("out of memory") && x.getMessage().contains("bytes"), x.getMessage());
            assertEquals(inUse, cuda.memoryStats().bytesInUse(), "the failed call released what it took");
            Random rnd = new Random(SEED + 3);
            Tensor a = rounded(rnd, Precision.FP32, 1, 1, 8, 8);
            AttentionResult r = e.attention(a, a, a);
            AttentionResult want = new ReferenceBackend().compute(AttentionProblem.of(a, a, a, null));
            assertTrue(maxError(want.output().data(), r.output().data(), "after OOM") <= 1e-5);
        }
    }

    /**
     * Each kind of call that can run out of device memory (a tensor's allocation, an upload, a KV cache, a call on
     * device tensors whose scores do not fit, one into caller-owned tensors) raises the OOM subclass of
     * AttentionException, gives back what it took, and leaves the backend computing correctly (issue 10).
     */
    @Test
    void everyKindOfCallThatRunsOutOfMemoryLeavesTheBackendUsable() {
        // Every request is 256 GiB or more (fp32): more than any GPU has, H200 included.
        int n = 1 << 18;          // scores of one head: 2^36 floats
        Random rnd = new Random(SEED + 5);
        try (CudaAttention cuda = CudaAttention.open(Precision.FP32);
             DeviceTensor q = cuda.upload(new float[n * 4], DType.FP32, 1, 1, n, 4);
             DeviceTensor out = cuda.allocate(DType.FP32, 1, 1, n, 4)) {
            List<Runnable> calls = List.of(
                    () -> cuda.allocate(DType.FP32, 1 << 16, 1 << 16, 16).close(),
                    () -> cuda.upload(java.nio.FloatBuffer.allocate(0), DType.FP32, 1 << 16, 1 << 16, 16).close(),
                    () -> cuda.newKvCache(1, 1 << 12, 1 << 20, 16, 16).close(),
                    () -> cuda.attention(q, q, q, AttentionOptions.builder().build()).close(),
                    () -> cuda.attentionInto(q, q, q, AttentionOptions.builder().build(), out, null, null));
            for (int i = 0; i < calls.size(); i++) {
                long inUse = cuda.memoryStats().bytesInUse();
                org.attention4j.AttentionOutOfMemoryException x = assertThrows(
                        org.attention4j.AttentionOutOfMemoryException.class, calls.get(i)::run, "call " + i);
                assertTrue(x.getMessage().contains("out of memory"), "call " + i + ": " + x.getMessage());
                assertEquals(inUse, cuda.memoryStats().bytesInUse(), "call " + i + " released what it took");
                Tensor a = rounded(rnd, Precision.FP32, 1, 2, 9, 8);
                try (DeviceTensor d = cuda.upload(a.data(), DType.FP32, 1, 2, 9, 8);
                     DeviceAttentionResult r = cuda.attention(d, d, d, AttentionOptions.builder().build())) {
                    AttentionResult want = new ReferenceBackend().compute(AttentionProblem.of(a, a, a, null));
                    assertTrue(maxError(want.output().data(), r.output().download(), "after call " + i) <= 1e-5);
                }
            }
        }
    }

    @Test
    void deviceTensorsRoundTripInEveryType() {
        Random rnd = new Random(SEED + 4);
        float[] x = rounded(rnd, Precision.FP32, 3, 1000, 7, 1).data();
        try (CudaAttention cuda = CudaAttention.open(Precision.FP32)) {
            for (DType t : DType.values()) {
                try (DeviceTensor d = cuda.upload(x, t, 3, 1000, 7)) {
                    float[] back = d.download();
                    for (int i = 0; i < x.length; i++) {
                        float want = t == DType.FP32 ? x[i] : t == DType.FP16
                                ? HalfFloats.halfToFloat(HalfFloats.toHalf(x[i]))
                                : HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(x[i]));
                        assertEquals(want, back[i], 0f, t + " element " + i);
                    }
                    d.fill(Float.NaN);
                    for (float f : d.download()) {
                        assertTrue(Float.isNaN(f));
                    }
                }
            }
        }
    }

    static Tensor rounded(Random rnd, Precision p, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] a = t.data();
        for (int i = 0; i < a.length; i++) {
            float f = (float) rnd.nextGaussian();
            a[i] = p == Precision.FP16 || p == Precision.BF16 ? NaiveAttention.round(f, p) : f;
        }
        return t;
    }

    /** Max |want - got|; NaN anywhere (or an infinity mismatch) fails. */
    static double maxError(float[] want, float[] got, String what) {
        return Tolerance.maxError(want, got, what);
    }
}

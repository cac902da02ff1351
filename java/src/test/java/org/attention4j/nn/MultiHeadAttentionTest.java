package org.attention4j.nn;

import static org.attention4j.nn.NnTesting.assertClose;
import static org.attention4j.nn.NnTesting.assertIae;
import static org.attention4j.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.attention4j.Alibi;
import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Causal;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MultiHeadAttentionTest {
    private static final Map<Backend, AttentionEngine> ENGINES = new EnumMap<>(Backend.class);

    @BeforeAll
    static void open() {
        ENGINES.put(Backend.REFERENCE, AttentionEngine.create(Backend.REFERENCE));
        ENGINES.put(Backend.CPU, AttentionEngine.builder().backend(Backend.CPU).threads(2).build());
    }

    @AfterAll
    static void close() {
        ENGINES.values().forEach(AttentionEngine::close);
    }

    /** The reference engine computes in float64 and only the projections are float32; the CPU one is float32. */
    private static double tol(Backend b) {
        return b == Backend.REFERENCE ? 2e-5 : 1e-4;
    }

    /** A layer with random (non-zero) weights and biases everywhere, given explicitly. */
    private static MultiHeadAttention.Builder randomWeights(SplittableRandom rnd, int e, int h, int hkv, int kdim,
            int vdim) {
        int kvw = hkv * (e / h);
        return MultiHeadAttention.builder(e, h).numKvHeads(hkv).kdim(kdim).vdim(vdim)
                .qProj(uniform(rnd, 0.5, e, e), uniform(rnd, 0.5, e))
                .kProj(uniform(rnd, 0.5, kvw, kdim), uniform(rnd, 0.5, kvw))
                .vProj(uniform(rnd, 0.5, kvw, vdim), uniform(rnd, 0.5, kvw))
                .outProj(uniform(rnd, 0.5, e, e), uniform(rnd, 0.5, e));
    }

    private static double[] d(Tensor t) {
        return Float64Mha.toDouble(t.data());
    }

    @ParameterizedTest
    @EnumSource(names = {"REFERENCE", "CPU"})
    void selfAttentionMatchesFloat64(Backend backend) {
        SplittableRandom rnd = new SplittableRandom(1);
        MultiHeadAttention mha = randomWeights(rnd, 16, 4, 4, 16, 16).build();
        Tensor x = uniform(rnd, 1, 2, 7, 16);
        AttentionResult r = mha.selfAttention(ENGINES.get(backend), x,
                AttentionOptions.builder().returnWeights(true).returnLse(true).build());
        Float64Mha.Result want = Float64Mha.forward(mha, d(x), d(x), d(x), 2, 7, 7, false, null, null, null);
        assertArrayEquals(new int[] {2, 7, 16}, r.output().shape());
        assertClose(want.out(), r.output().data(), tol(backend), "output");
        assertArrayEquals(new int[] {2, 4, 7, 7}, r.weights().orElseThrow().shape());
        assertClose(want.weights(), r.weights().orElseThrow().data(), tol(backend), "weights");
        assertArrayEquals(new int[] {2, 4, 7}, r.logSumExp().orElseThrow().shape());
        assertEquals(backend, r.backend());
    }

    @ParameterizedTest
    @EnumSource(names = {"REFERENCE", "CPU"})
    void crossAttentionWithOtherKdimVdimMatchesFloat64(Backend backend) {
        SplittableRandom rnd = new SplittableRandom(2);
        MultiHeadAttention mha = randomWeights(rnd, 12, 3, 3, 7, 5).build();
        Tensor x = uniform(rnd, 1, 2, 5, 12);
        Tensor kc = uniform(rnd, 1, 2, 9, 7);
        Tensor vc = uniform(rnd, 1, 2, 9, 5);
        AttentionResult r = mha.crossAttention(ENGINES.get(backend), x, kc, vc,
                AttentionOptions.builder().returnWeights(true).build());
        Float64Mha.Result want = Float64Mha.forward(mha, d(x), d(kc), d(vc), 2, 5, 9, false, null, null, null);
        assertArrayEquals(new int[] {2, 5, 12}, r.output().shape());
        assertClose(want.out(), r.output().data(), tol(backend), "output");
        assertArrayEquals(new int[] {2, 3, 5, 9}, r.weights().orElseThrow().shape());
        assertClose(want.weights(), r.weights().orElseThrow().data(), tol(backend), "weights");
    }

    @ParameterizedTest
    @EnumSource(names = {"REFERENCE", "CPU"})
    void crossAttentionWithOneContextAndKeyLengths(Backend backend) {
        SplittableRandom rnd = new SplittableRandom(3);
        MultiHeadAttention mha = randomWeights(rnd, 8, 2, 2, 6, 6).build();
        Tensor x = uniform(rnd, 1, 3, 4, 8);
        Tensor ctx = uniform(rnd, 1, 3, 11, 6);
        int[] lengths = {11, 5, 1};
        AttentionResult r = mha.crossAttention(ENGINES.get(backend), x, ctx,
                AttentionOptions.builder().kvLengths(lengths).build());
        Float64Mha.Result want = Float64Mha.forward(mha, d(x), d(ctx), d(ctx), 3, 4, 11, false, lengths, null, null);
        assertClose(want.out(), r.output().data(), tol(backend), "output");
    }

    @ParameterizedTest
    @EnumSource(names = {"REFERENCE", "CPU"})
    void groupedQueryAttentionMatchesFloat64(Backend backend) {
        SplittableRandom rnd = new SplittableRandom(4);
        MultiHeadAttention mha = randomWeights(rnd, 32, 8, 2, 32, 32).build();
        assertEquals(8, mha.kProj().outFeatures()); // Hkv * hd = 2 * 4
        Tensor x = uniform(rnd, 1, 2, 6, 32);
        AttentionResult r = mha.selfAttention(ENGINES.get(backend), x, null);
        Float64Mha.Result want = Float64Mha.forward(mha, d(x), d(x), d(x), 2, 6, 6, false, null, null, null);
        assertClose(want.out(), r.output().data(), tol(backend), "output");
    }

    @ParameterizedTest
    @EnumSource(names = {"REFERENCE", "CPU"})
    void causalSelfAndDecodeStyleCrossMatchFloat64(Backend backend) {
        SplittableRandom rnd = new SplittableRandom(5);
        MultiHeadAttention mha = randomWeights(rnd, 16, 4, 2, 16, 16).build();
        AttentionOptions causal = AttentionOptions.builder().causal().returnWeights(true).build();
        Tensor x = uniform(rnd, 1, 1, 9, 16);
        AttentionResult r = mha.selfAttention(ENGINES.get(backend), x, causal);
        Float64Mha.Result want = Float64Mha.forward(mha, d(x), d(x), d(x), 1, 9, 9, true, null, null, null);
        assertClose(want.out(), r.output().data(), tol(backend), "causal self output");
        // The first query sees only the first key: its row of weights is one-hot.
        float[] w = r.weights().orElseThrow().data();
        assertEquals(1f, w[0], 1e-6f);
        assertEquals(0f, w[1]);

        // Three new tokens against a cache of ten: bottom-right alignment.
        Tensor q = uniform(rnd, 1, 1, 3, 16);
        Tensor cache = uniform(rnd, 1, 1, 10, 16);
        AttentionResult rc = mha.crossAttention(ENGINES.get(backend), q, cache, causal);
        Float64Mha.Result wc = Float64Mha.forward(mha, d(q), d(cache), d(cache), 1, 3, 10, true, null, null, null);
        assertClose(wc.out(), rc.output().data(), tol(backend), "causal cross output");
        assertClose(wc.weights(), rc.weights().orElseThrow().data(), tol(backend), "causal cross weights");
    }

    @ParameterizedTest
    @EnumSource(names = {"REFERENCE", "CPU"})
    void ropeInBothStylesMatchesFloat64(Backend backend) {
        for (RopeStyle style : RopeStyle.values()) {
            SplittableRandom rnd = new SplittableRandom(6);
            MultiHeadAttention mha = randomWeights(rnd, 16, 2, 1, 16, 16).rope(500.0, style).build();
            Tensor x = uniform(rnd, 1, 2, 8, 16);
            AttentionResult r = mha.selfAttention(ENGINES.get(backend), x,
                    AttentionOptions.builder().causal().build());
            Float64Mha.Result want = Float64Mha.forward(mha, d(x), d(x), d(x), 2, 8, 8, true, null,
                    Rope.of(500.0, style), null);
            assertClose(want.out(), r.output().data(), tol(backend), "rope " + style);
            // Without the rotation the result must differ, or this test would not see RoPE at all.
            Float64Mha.Result plain = Float64Mha.forward(mha, d(x), d(x), d(x), 2, 8, 8, true, null, null, null);
            double diff = 0;
            for (int i = 0; i < plain.out().length; i++) {
                diff = Math.max(diff, Math.abs(plain.out()[i] - want.out()[i]));
            }
            assertEquals(true, diff > 1e-3, "rope changes the output (max diff " + diff + ")");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"REFERENCE", "CPU"})
    void alibiMatchesFloat64(Backend backend) {
        SplittableRandom rnd = new SplittableRandom(7);
        MultiHeadAttention mha = randomWeights(rnd, 18, 3, 3, 18, 18).alibi().build();
        Tensor x = uniform(rnd, 1, 2, 10, 18);
        AttentionResult r = mha.selfAttention(ENGINES.get(backend), x,
                AttentionOptions.builder().causal().build());
        Float64Mha.Result want = Float64Mha.forward(mha, d(x), d(x), d(x), 2, 10, 10, true, null, null,
                Alibi.slopes(3));
        assertClose(want.out(), r.output().data(), tol(backend), "alibi output");

        float[] slopes = {0.5f, 0.25f, 2f};
        MultiHeadAttention explicit = randomWeights(new SplittableRandom(7), 18, 3, 3, 18, 18).alibiSlopes(slopes)
                .build();
        Float64Mha.Result want2 = Float64Mha.forward(explicit, d(x), d(x), d(x), 2, 10, 10, false, null, null, slopes);
        assertClose(want2.out(), explicit.selfAttention(ENGINES.get(backend), x).output().data(), tol(backend),
                "explicit slopes");
    }

    @Test
    void packedInProjEqualsSeparateWeights() {
        SplittableRandom rnd = new SplittableRandom(8);
        int e = 12;
        Tensor inW = uniform(rnd, 0.5, 3 * e, e);
        Tensor inB = uniform(rnd, 0.5, 3 * e);
        Tensor outW = uniform(rnd, 0.5, e, e);
        Tensor outB = uniform(rnd, 0.5, e);
        MultiHeadAttention packed = MultiHeadAttention.fromPyTorch(3, inW, inB, outW, outB);
        MultiHeadAttention separate = MultiHeadAttention.builder(e, 3)
                .qProj(slice(inW, 0, e), slice(inB, 0, e))
                .kProj(slice(inW, 1, e), slice(inB, 1, e))
                .vProj(slice(inW, 2, e), slice(inB, 2, e))
                .outProj(outW, outB).build();
        assertArrayEquals(separate.kProj().weight().data(), packed.kProj().weight().data());
        assertArrayEquals(separate.vProj().bias().orElseThrow().data(), packed.vProj().bias().orElseThrow().data());
        Tensor x = uniform(rnd, 1, 2, 5, e);
        AttentionEngine ref = ENGINES.get(Backend.REFERENCE);
        assertArrayEquals(separate.selfAttention(ref, x).output().data(), packed.selfAttention(ref, x).output().data());

        // A builder may build more than once.
        MultiHeadAttention.Builder builder = MultiHeadAttention.builder(e, 3).inProj(inW, inB).outProj(outW, outB);
        builder.build();
        assertArrayEquals(packed.qProj().weight().data(), builder.build().qProj().weight().data());

        MultiHeadAttention noBias = MultiHeadAttention.fromPyTorch(3, inW, null, outW, null);
        assertEquals(false, noBias.qProj().hasBias());
        assertEquals(false, noBias.outProj().hasBias());
    }

    @Test
    void separatePyTorchWeightsWithStackedBias() {
        SplittableRandom rnd = new SplittableRandom(12);
        int e = 8;
        Tensor qW = uniform(rnd, 0.5, e, e);
        Tensor kW = uniform(rnd, 0.5, e, 6);
        Tensor vW = uniform(rnd, 0.5, e, 4);
        Tensor inB = uniform(rnd, 0.5, 3 * e);
        Tensor outW = uniform(rnd, 0.5, e, e);
        Tensor outB = uniform(rnd, 0.5, e);
        MultiHeadAttention mha = MultiHeadAttention.fromPyTorch(2, qW, kW, vW, inB, outW, outB);
        assertEquals(6, mha.kdim());
        assertEquals(4, mha.vdim());
        assertArrayEquals(kW.data(), mha.kProj().weight().data());
        assertArrayEquals(slice(inB, 1, e).data(), mha.kProj().bias().orElseThrow().data());
        assertArrayEquals(slice(inB, 2, e).data(), mha.vProj().bias().orElseThrow().data());
        Tensor x = uniform(rnd, 1, 2, 3, e);
        Tensor kc = uniform(rnd, 1, 2, 5, 6);
        Tensor vc = uniform(rnd, 1, 2, 5, 4);
        Float64Mha.Result want = Float64Mha.forward(mha, d(x), d(kc), d(vc), 2, 3, 5, false, null, null, null);
        assertClose(want.out(), mha.crossAttention(ENGINES.get(Backend.REFERENCE), x, kc, vc, null).output().data(),
                2e-5, "output");
        assertIae(() -> MultiHeadAttention.fromPyTorch(2, qW, kW, vW, Tensor.zeros(e), outW, outB), "inProjBias",
                "[24]", "[8]");
        assertIae(() -> MultiHeadAttention.fromPyTorch(2, qW, Tensor.zeros(4, 6), vW, inB, outW, outB),
                "kProj weight", "[8, 6]", "[4, 6]");
    }

    /** Rows {@code part*e .. part*e+e-1} of a [3E, E] matrix, or elements of a [3E] vector. */
    private static Tensor slice(Tensor t, int part, int e) {
        int width = t.rank() == 2 ? e : 1;
        float[] out = new float[e * width];
        System.arraycopy(t.data(), part * e * width, out, 0, e * width);
        return t.rank() == 2 ? Tensor.of(out, e, e) : Tensor.of(out, e);
    }

    @Test
    void randomInitIsSeededAndShapedLikePyTorch() {
        MultiHeadAttention a = MultiHeadAttention.builder(16, 4).numKvHeads(2).kdim(10).vdim(6).seed(42).build();
        MultiHeadAttention b = MultiHeadAttention.builder(16, 4).numKvHeads(2).kdim(10).vdim(6).seed(42).build();
        MultiHeadAttention c = MultiHeadAttention.builder(16, 4).numKvHeads(2).kdim(10).vdim(6).seed(43).build();
        assertArrayEquals(a.qProj().weight().data(), b.qProj().weight().data());
        assertEquals(false, java.util.Arrays.equals(a.qProj().weight().data(), c.qProj().weight().data()));
        assertArrayEquals(new int[] {8, 10}, a.kProj().weight().shape());
        assertArrayEquals(new int[] {8, 6}, a.vProj().weight().shape());
        // Xavier bound for Wk [8, 10] is sqrt(6/18); biases start at zero.
        double bound = Math.sqrt(6.0 / 18);
        for (float w : a.kProj().weight().data()) {
            assertEquals(true, Math.abs(w) <= bound, "xavier bound");
        }
        assertArrayEquals(new float[8], a.kProj().bias().orElseThrow().data());
        assertEquals(false, MultiHeadAttention.builder(16, 4).bias(false).build().qProj().hasBias());
    }

    @Test
    void layerRopeAndAlibiMergeIntoCallerOptions() {
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 2).rope(10000, RopeStyle.HALF).alibi().build();
        AttentionOptions caller = AttentionOptions.builder().causal(Causal.TOP_LEFT).kvLengths(3, 4).scale(0.5)
                .returnWeights(true).build();
        AttentionOptions merged = mha.mergeOptions(caller);
        assertEquals(Causal.TOP_LEFT, merged.causal());
        assertArrayEquals(new int[] {3, 4}, merged.kvLengths());
        assertEquals(0.5, merged.scale());
        assertEquals(true, merged.returnWeights());
        assertEquals(true, merged.alibi());
        assertNotNull(merged.rope());
        assertEquals(RopeStyle.HALF, merged.rope().style());
        // A caller's RoPE with the same base and style keeps its explicit positions.
        Rope withPositions = new Rope(10000, RopeStyle.HALF, new int[] {5}, null);
        assertArrayEquals(new int[] {5}, mha.mergeOptions(AttentionOptions.builder().rope(withPositions).build())
                .rope().queryPositions());
        assertIae(() -> mha.mergeOptions(AttentionOptions.builder().rope(500, RopeStyle.HALF).build()),
                "conflicts");
        MultiHeadAttention plain = MultiHeadAttention.builder(8, 2).build();
        assertSame(caller, plain.mergeOptions(caller));
    }

    @Test
    void badShapesAndSettingsNameTheArgument() {
        AttentionEngine ref = ENGINES.get(Backend.REFERENCE);
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 2).kdim(6).vdim(4).build();
        Tensor x = Tensor.zeros(2, 3, 8);
        assertIae(() -> mha.crossAttention(ref, Tensor.zeros(2, 3, 7), Tensor.zeros(2, 5, 6), Tensor.zeros(2, 5, 4),
                null), "x", "[2, 3, 7]", "8");
        assertIae(() -> mha.crossAttention(ref, Tensor.zeros(2, 3, 8, 1), Tensor.zeros(2, 5, 6),
                Tensor.zeros(2, 5, 4), null), "x", "[2, 3, 8, 1]");
        assertIae(() -> mha.crossAttention(ref, x, Tensor.zeros(2, 5, 4), Tensor.zeros(2, 5, 4), null),
                "keyContext", "[2, 5, 4]");
        assertIae(() -> mha.crossAttention(ref, x, Tensor.zeros(2, 5, 6), Tensor.zeros(2, 4, 4), null),
                "valueContext", "[2, 4, 4]");
        assertIae(() -> mha.crossAttention(ref, x, Tensor.zeros(1, 5, 6), Tensor.zeros(1, 5, 4), null),
                "batch", "[1, 5, 6]");
        assertIae(() -> mha.selfAttention(ref, x), "kdim");
        assertIae(() -> mha.crossAttention(ref, x, Tensor.zeros(2, 5, 6), null), "vdim");
        MultiHeadAttention self = MultiHeadAttention.builder(8, 2).build();
        assertIae(() -> self.selfAttention(ref, x, AttentionOptions.builder().kvLengths(1, 2, 3).build()),
                "kvLengths");

        assertIae(() -> MultiHeadAttention.builder(10, 3), "embedDim", "10", "numHeads", "3");
        assertIae(() -> MultiHeadAttention.builder(16, 4).numKvHeads(3), "numKvHeads", "3");
        assertIae(() -> MultiHeadAttention.builder(6, 2).rope(10000, RopeStyle.HALF).build(), "rope", "even");
        assertIae(() -> MultiHeadAttention.builder(8, 2).alibiSlopes(1f).build(), "alibiSlopes", "1");
        assertIae(() -> MultiHeadAttention.builder(8, 2).kdim(4).inProj(Tensor.zeros(24, 8), null).build(),
                "inProj", "kdim");
        assertIae(() -> MultiHeadAttention.builder(8, 2).inProj(Tensor.zeros(24, 7), null).build(),
                "inProj weight", "[24, 7]");
        assertIae(() -> MultiHeadAttention.builder(8, 2).qProj(Tensor.zeros(8, 7), null).build(),
                "qProj weight", "[8, 7]");
        assertIae(() -> MultiHeadAttention.builder(8, 2).numKvHeads(1).kProj(Tensor.zeros(8, 8), null).build(),
                "kProj weight", "[4, 8]");
        assertIae(() -> MultiHeadAttention.builder(8, 2).outProj(Tensor.zeros(8, 8), Tensor.zeros(7)).build(),
                "outProj bias", "[7]");
        assertIae(() -> MultiHeadAttention.builder(8, 2).bias(false).vProj(Tensor.zeros(8, 8), Tensor.zeros(8))
                .build(), "vProj bias", "bias(false)");
        assertIae(() -> MultiHeadAttention.fromPyTorch(2, Tensor.zeros(8, 8), null, Tensor.zeros(8, 8), null),
                "inProjWeight", "[8, 8]");
    }
}

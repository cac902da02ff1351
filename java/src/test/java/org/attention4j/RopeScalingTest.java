package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.attention4j.cpu.ReferenceBackend;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RoPE scalings and partial rotary: the inverse frequencies against an independent NumPy transcription of Hugging
 * Face's formulas ({@code tools/rope_scaling_golden.py}, its output a test resource), and the reference engine's
 * rotation against the way Hugging Face applies it ({@code q * cos + rotate_half(q) * sin} on the first
 * {@code R} elements, the rest passed through), written out here from scratch.
 */
class RopeScalingTest {

    /** The Java twin of each case of tools/rope_scaling_golden.py. */
    private static final Map<String, RopeScaling> CASES = Map.of(
            "linear_x4", new RopeScaling.Linear(4.0),
            "ntk_alpha8", new RopeScaling.NtkAware(8.0),
            "llama31", RopeScaling.Llama3.llama31(),
            "llama3_partial", new RopeScaling.Llama3(4.0, 1.0, 4.0, 2048),
            "yarn_qwen", RopeScaling.Yarn.of(4.0, 32768),
            "yarn_small", new RopeScaling.Yarn(16.0, 4096, 32.0, 1.0, Double.NaN, false),
            "yarn_given_factor", new RopeScaling.Yarn(2.0, 2048, 16.0, 2.0, 1.25, true));

    private static Map<String, String[]> golden() throws IOException {
        Map<String, String[]> rows = new HashMap<>();
        try (InputStream in = RopeScalingTest.class.getResourceAsStream("rope_scaling_golden.txt");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.trim().split(" ");
                rows.put(f[0], f);
            }
        }
        return rows;
    }

    @Test
    void frequenciesMatchAnIndependentTranscriptionOfTransformers() throws IOException {
        Map<String, String[]> rows = golden();
        assertEquals(CASES.keySet(), rows.keySet(), "cases of the golden file");
        for (Map.Entry<String, RopeScaling> e : CASES.entrySet()) {
            String[] f = rows.get(e.getKey());
            double base = Double.parseDouble(f[1]);
            int dim = Integer.parseInt(f[2]);
            double[] got = e.getValue().inverseFrequencies(base, dim);
            assertEquals(dim / 2, got.length, e.getKey() + ": pairs");
            assertEquals(Double.parseDouble(f[3]), e.getValue().attentionFactor(), 1e-15, e.getKey() + ": factor");
            for (int t = 0; t < got.length; t++) {
                double want = Double.parseDouble(f[4 + t]);
                assertEquals(want, got[t], 1e-13 * want, e.getKey() + ": inverse frequency of pair " + t);
            }
        }
    }

    @Test
    void scalingsChangeWhatTheyShouldAndNothingElse() {
        double[] plain = RopeScaling.unscaled(500000, 128);
        double[] llama = RopeScaling.Llama3.llama31().inverseFrequencies(500000, 128);
        // The fastest pairs (wavelength below 8192/4 positions) are kept, the slowest divided by the factor.
        assertEquals(plain[0], llama[0], 0.0);
        assertEquals(plain[63] / 8, llama[63], 1e-18);
        double[] yarn = RopeScaling.Yarn.of(4.0, 32768).inverseFrequencies(1e6, 128);
        assertEquals(plain.length, yarn.length);
        assertEquals(RopeScaling.unscaled(1e6, 128)[0], yarn[0], 0.0);
        assertEquals(RopeScaling.unscaled(1e6, 128)[63] / 4, yarn[63], 1e-18);
        // NTK-aware keeps the highest frequency (1) and lowers the others.
        double[] ntk = new RopeScaling.NtkAware(8).inverseFrequencies(10000, 64);
        assertEquals(1.0, ntk[0], 0.0);
        assertTrue(ntk[31] < RopeScaling.unscaled(10000, 64)[31]);
    }

    @Test
    void badParametersAreRefusedByName() {
        assertMessage(() -> new RopeScaling.Linear(0), "linear rope scaling factor");
        assertMessage(() -> new RopeScaling.NtkAware(Double.NaN), "NTK-aware rope alpha");
        assertMessage(() -> new RopeScaling.Llama3(8, 4, 1, 8192), "high_freq_factor must exceed low_freq_factor");
        assertMessage(() -> new RopeScaling.Llama3(8, 1, 4, 0), "original_max_position_embeddings");
        assertMessage(() -> new RopeScaling.Yarn(4, 4096, -1, 1, Double.NaN, true), "yarn beta_fast");
        assertMessage(() -> new RopeScaling.Yarn(4, 4096, 32, 1, 0, true), "yarn attention_factor");
        assertMessage(() -> Rope.of(10000, RopeStyle.HALF).withRotaryDim(7), "rotaryDim must be even");
        assertMessage(() -> Rope.of(10000, RopeStyle.HALF).withRotaryDim(-2), "rotaryDim must be even");
        Random r = new Random(1);
        Tensor q = random(r, 1, 2, 3, 32);
        AttentionOptions wide = AttentionOptions.builder()
                .rope(Rope.of(10000, RopeStyle.HALF).withRotaryDim(34)).build();
        assertMessage(() -> AttentionProblem.of(q, q, q, wide), "rotaryDim=34 > D=32");
    }

    private static void assertMessage(Runnable r, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    /** HF's rotation of one head vector at {@code pos}: the first {@code r} elements, cos/sin per pair. */
    private static void rotateLikeTransformers(double[] x, int pos, int r, RopeStyle style, double[] invFreq,
            double factor) {
        double[] rot = new double[r];
        for (int c = 0; c < r; c++) {
            // HALF: freqs repeated as cat(f, f); INTERLEAVED (GPT-J): repeat_interleave(f, 2).
            int t = style == RopeStyle.HALF ? c % (r / 2) : c / 2;
            double cos = Math.cos(pos * invFreq[t]) * factor;
            double sin = Math.sin(pos * invFreq[t]) * factor;
            double partner;
            if (style == RopeStyle.HALF) {
                partner = c < r / 2 ? -x[c + r / 2] : x[c - r / 2];   // rotate_half: cat(-x2, x1)
            } else {
                partner = c % 2 == 0 ? -x[c + 1] : x[c - 1];          // rotate_every_two
            }
            rot[c] = x[c] * cos + partner * sin;
        }
        System.arraycopy(rot, 0, x, 0, r);
    }

    @ParameterizedTest(name = "{0} D={1} R={2} scaling={3}")
    @CsvSource({
            "HALF, 64, 32, none", "INTERLEAVED, 64, 16, none", "HALF, 59, 32, linear", "HALF, 64, 64, llama3",
            "INTERLEAVED, 40, 40, yarn", "HALF, 80, 20, yarn", "HALF, 128, 64, ntk", "INTERLEAVED, 33, 2, linear"})
    void referenceRotatesAsTransformersDoes(RopeStyle style, int d, int rotary, String scaling) {
        Random rnd = new Random(d * 31L + rotary);
        int b = 2;
        int h = 2;
        int nq = 5;
        int nk = 9;
        Tensor q = random(rnd, b, h, nq, d);
        Tensor k = random(rnd, b, h, nk, d);
        Tensor v = random(rnd, b, h, nk, 8);
        RopeScaling s = switch (scaling) {
            case "linear" -> new RopeScaling.Linear(2.5);
            case "llama3" -> new RopeScaling.Llama3(8, 1, 4, 64);
            case "yarn" -> new RopeScaling.Yarn(4, 64, 32, 1, Double.NaN, true);
            case "ntk" -> new RopeScaling.NtkAware(4);
            default -> null;
        };
        // Positions far out, where the scalings matter (the original contexts above are 64 positions).
        int[] qp = {300, 301, 302, 5000, 5001};
        int[] kp = {0, 1, 2, 63, 64, 299, 300, 4999, 5001};
        Rope rope = new Rope(50000, style, qp, kp, rotary == d ? 0 : rotary, s);
        AttentionResult got = new ReferenceBackend().compute(AttentionProblem.of(q, k, v,
                AttentionOptions.builder().rope(rope).returnLse(true).build()));

        double[] inv = rope.inverseFrequencies(d);
        double factor = rope.attentionFactor();
        float[] qr = rotated(q, qp, rotary, style, inv, factor);
        float[] kr = rotated(k, kp, rotary, style, inv, factor);
        AttentionResult want = new ReferenceBackend().compute(AttentionProblem.of(Tensor.of(qr, b, h, nq, d),
                Tensor.of(kr, b, h, nk, d), v, AttentionOptions.builder().returnLse(true).build()));
        float[] o = got.output().data();
        float[] w = want.output().data();
        for (int i = 0; i < o.length; i++) {
            // Only the float32 rounding of the rotated inputs (here) separates the two.
            assertEquals(w[i], o[i], 2e-5, "output " + i);
        }
        float[] lg = got.logSumExp().orElseThrow().data();
        float[] lw = want.logSumExp().orElseThrow().data();
        for (int i = 0; i < lg.length; i++) {
            assertEquals(lw[i], lg[i], 2e-5 * Math.max(1, Math.abs(lw[i])), "lse " + i);
        }
    }

    /** x [B, H, N, D] with every head vector rotated at its position (positions shared by the batch). */
    private static float[] rotated(Tensor x, int[] pos, int r, RopeStyle style, double[] inv, double factor) {
        int[] s = x.shape();
        int n = s[2];
        int d = s[3];
        float[] src = x.data();
        float[] out = new float[src.length];
        double[] row = new double[d];
        for (int vec = 0; vec < s[0] * s[1] * n; vec++) {
            for (int c = 0; c < d; c++) {
                row[c] = src[vec * d + c];
            }
            rotateLikeTransformers(row, pos[vec % n], r, style, inv, factor);
            for (int c = 0; c < d; c++) {
                out[vec * d + c] = (float) row[c];
            }
        }
        return out;
    }

    private static Tensor random(Random r, int... shape) {
        return org.attention4j.testing.TestData.gaussian(r, shape);
    }
}

package org.attention4j.nn;

import static org.attention4j.nn.F64Blocks.act;
import static org.attention4j.nn.F64Blocks.add;
import static org.attention4j.nn.F64Blocks.attention;
import static org.attention4j.nn.F64Blocks.layerNorm;
import static org.attention4j.nn.F64Blocks.linear;
import static org.attention4j.nn.F64Blocks.rmsNorm;
import static org.attention4j.nn.NnTesting.assertClose;
import static org.attention4j.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Rope;
import org.attention4j.RopeScaling;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.attention4j.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole blocks and towers loaded from {@code .safetensors} files (written here with random weights under the
 * Hugging Face / PyTorch names) against {@link F64Blocks}: the same models computed in float64 from the tensors by
 * name, with no attention4j layer in the loop. A tiny ViT (patches, class token, positions, two pre-norm layers,
 * final norm), a tiny CLIP text tower (tokens, positions, two causal QuickGELU layers, final norm), a BERT layer
 * (post-norm), a Llama layer (RMSNorm, SwiGLU, grouped-query, partial-rotary YaRN RoPE) and
 * {@code torch.nn.TransformerEncoderLayer}'s defaults (post-norm, ReLU).
 */
class EncodersTest {
    private static final double EPS = 1e-5;
    private static final int E = 16;
    private static final int HEADS = 4;
    private static final int HIDDEN = 24;

    @TempDir
    Path dir;

    private SafetensorsFile save(Map<String, Tensor> t) throws IOException {
        Path f = dir.resolve("model-" + t.size() + "-" + System.nanoTime() + ".safetensors");
        SafetensorsFile.write(f, t, Map.of("format", "pt"));
        return SafetensorsFile.open(f);
    }

    private static void linearParams(Map<String, Tensor> t, SplittableRandom r, String name, int out, int in,
            boolean bias) {
        t.put(name + "weight", uniform(r, 1 / Math.sqrt(in), out, in));
        if (bias) {
            t.put(name + "bias", uniform(r, 0.1, out));
        }
    }

    private static void normParams(Map<String, Tensor> t, SplittableRandom r, String name, boolean bias) {
        float[] g = new float[E];
        for (int i = 0; i < E; i++) {
            g[i] = (float) (1 + 0.2 * r.nextGaussian());
        }
        t.put(name + "weight", Tensor.of(g, E));
        if (bias) {
            t.put(name + "bias", uniform(r, 0.1, E));
        }
    }

    /** HF ViT / BERT-style layer tensors under {@code p} (attention names per {@code vit}). */
    private static void encoderLayer(Map<String, Tensor> t, SplittableRandom r, String p, boolean vit) {
        String a = vit ? "attention.attention." : "attention.self.";
        for (String s : new String[] {"query", "key", "value"}) {
            linearParams(t, r, p + a + s + ".", E, E, true);
        }
        linearParams(t, r, p + "attention.output.dense.", E, E, true);
        linearParams(t, r, p + "intermediate.dense.", HIDDEN, E, true);
        linearParams(t, r, p + "output.dense.", E, HIDDEN, true);
        if (vit) {
            normParams(t, r, p + "layernorm_before.", true);
            normParams(t, r, p + "layernorm_after.", true);
        } else {
            normParams(t, r, p + "attention.output.LayerNorm.", true);
            normParams(t, r, p + "output.LayerNorm.", true);
        }
    }

    /** A pre-norm (ViT, CLIP) layer in float64. */
    private static double[] preNorm(double[] x, int batch, int n, Map<String, Tensor> t, String n1, String n2,
            String q, String k, String v, String o, String up, String down, Activation a, boolean causal,
            double[] map) {
        int rows = batch * n;
        double[] h = add(x, attention(layerNorm(x, rows, t, n1, EPS), batch, n, t, q, k, v, o, HEADS, HEADS, causal,
                null, map));
        double[] m = linear(act(linear(layerNorm(h, rows, t, n2, EPS), rows, t, up), a), rows, t, down);
        return add(h, m);
    }

    @Test
    void vitLoadsAndMatchesFloat64() throws IOException {
        SplittableRandom r = new SplittableRandom(11);
        int c = 3;
        int p = 4;
        int h = 8;
        int w = 12;
        int np = (h / p) * (w / p);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("vit.embeddings.cls_token", uniform(r, 0.5, 1, 1, E));
        t.put("vit.embeddings.position_embeddings", uniform(r, 0.5, 1, np + 1, E));
        t.put("vit.embeddings.patch_embeddings.projection.weight", uniform(r, 0.2, E, c, p, p));
        t.put("vit.embeddings.patch_embeddings.projection.bias", uniform(r, 0.1, E));
        for (int l = 0; l < 2; l++) {
            encoderLayer(t, r, "vit.encoder.layer." + l + ".", true);
        }
        normParams(t, r, "vit.layernorm.", true);
        t.put("classifier.weight", uniform(r, 0.1, 5, E));   // a head the encoder does not read
        Tensor image = uniform(r, 1.0, 2, c, h, w);

        // float64: the convolution by its definition, then the layers.
        int tok = np + 1;
        double[] x = new double[2 * tok * E];
        double[] cw = F64Blocks.d(t.get("vit.embeddings.patch_embeddings.projection.weight"));
        double[] img = F64Blocks.d(image);
        for (int b = 0; b < 2; b++) {
            for (int k = 0; k < tok; k++) {
                for (int e = 0; e < E; e++) {
                    double s;
                    if (k == 0) {
                        s = t.get("vit.embeddings.cls_token").data()[e];
                    } else {
                        int py = (k - 1) / (w / p);
                        int px = (k - 1) % (w / p);
                        s = t.get("vit.embeddings.patch_embeddings.projection.bias").data()[e];
                        for (int ch = 0; ch < c; ch++) {
                            for (int i = 0; i < p; i++) {
                                for (int j = 0; j < p; j++) {
                                    s += cw[((e * c + ch) * p + i) * p + j]
                                            * img[((b * c + ch) * h + py * p + i) * w + px * p + j];
                                }
                            }
                        }
                    }
                    x[(b * tok + k) * E + e] = s + t.get("vit.embeddings.position_embeddings").data()[k * E + e];
                }
            }
        }
        double[] map = new double[2 * HEADS * tok * tok];
        for (int l = 0; l < 2; l++) {
            String pr = "vit.encoder.layer." + l + ".";
            String a = pr + "attention.attention.";
            x = preNorm(x, 2, tok, t, pr + "layernorm_before.", pr + "layernorm_after.", a + "query.", a + "key.",
                    a + "value.", pr + "attention.output.dense.", pr + "intermediate.dense.", pr + "output.dense.",
                    Activation.GELU, false, l == 1 ? map : null);
        }
        x = layerNorm(x, 2 * tok, t, "vit.layernorm.", EPS);

        try (SafetensorsFile f = save(t); AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            PatchEmbedding emb = Checkpoints.vitEmbeddings(f, "vit.");
            Encoder enc = Checkpoints.vitEncoder(f, "vit.", HEADS, EPS);
            assertEquals(2, enc.layers());
            AttentionResult res = enc.forwardWithWeights(engine, emb.forward(engine, image), 1);
            assertArrayEquals(new int[] {2, tok, E}, res.output().shape());
            assertClose(x, res.output().data(), 2e-4, "ViT output");
            assertClose(map, res.weights().orElseThrow().data(), 1e-5, "ViT layer 1 attention map");
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> emb.forward(engine, uniform(r, 1.0, 1, c, h, w + p)));
            assertTrue(bad.getMessage().contains("position table has " + tok), bad.getMessage());
        }
    }

    @Test
    void clipTextLoadsAndMatchesFloat64() throws IOException {
        SplittableRandom r = new SplittableRandom(12);
        int vocab = 20;
        int n = 6;
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("text_model.embeddings.token_embedding.weight", uniform(r, 0.5, vocab, E));
        t.put("text_model.embeddings.position_embedding.weight", uniform(r, 0.5, 8, E));
        for (int l = 0; l < 2; l++) {
            String p = "text_model.encoder.layers." + l + ".";
            for (String s : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                linearParams(t, r, p + "self_attn." + s + ".", E, E, true);
            }
            linearParams(t, r, p + "mlp.fc1.", HIDDEN, E, true);
            linearParams(t, r, p + "mlp.fc2.", E, HIDDEN, true);
            normParams(t, r, p + "layer_norm1.", true);
            normParams(t, r, p + "layer_norm2.", true);
        }
        normParams(t, r, "text_model.final_layer_norm.", true);
        int[] ids = new int[2 * n];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(vocab);
        }

        double[] x = new double[2 * n * E];
        for (int i = 0; i < ids.length; i++) {
            for (int e = 0; e < E; e++) {
                x[i * E + e] = t.get("text_model.embeddings.token_embedding.weight").data()[ids[i] * E + e]
                        + t.get("text_model.embeddings.position_embedding.weight").data()[(i % n) * E + e];
            }
        }
        double[] map = new double[2 * HEADS * n * n];
        for (int l = 0; l < 2; l++) {
            String p = "text_model.encoder.layers." + l + ".";
            String a = p + "self_attn.";
            x = preNorm(x, 2, n, t, p + "layer_norm1.", p + "layer_norm2.", a + "q_proj.", a + "k_proj.",
                    a + "v_proj.", a + "out_proj.", p + "mlp.fc1.", p + "mlp.fc2.", Activation.QUICK_GELU, true,
                    l == 0 ? map : null);
        }
        x = layerNorm(x, 2 * n, t, "text_model.final_layer_norm.", EPS);

        try (SafetensorsFile f = save(t); AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            TokenEmbedding emb = Checkpoints.clipTextEmbeddings(f, "text_model.");
            Encoder enc = Checkpoints.clipTextEncoder(f, "text_model.", HEADS, EPS, Activation.QUICK_GELU);
            AttentionResult res = enc.forwardWithWeights(engine, emb.forward(ids, 2, n), 0);
            assertClose(x, res.output().data(), 2e-4, "CLIP text output");
            assertClose(map, res.weights().orElseThrow().data(), 1e-5, "CLIP layer 0 attention map (causal)");
            assertArrayEquals(res.output().data(), enc.forward(engine, emb.forward(ids, 2, n)).data(),
                    "the map changes nothing");
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> emb.forward(new int[] {1, vocab}, 1, 2));
            assertTrue(bad.getMessage().contains("token id " + vocab + " at [0, 1]"), bad.getMessage());
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoints.vitEncoder(f, "vit.", HEADS, EPS));
            assertTrue(none.getMessage().contains("vit.encoder.layer.0."), none.getMessage());
        }
    }

    @Test
    void bertLlamaAndTorchLayersLoadAndMatchFloat64() throws IOException {
        SplittableRandom r = new SplittableRandom(13);
        int n = 7;
        int rows = 2 * n;
        Map<String, Tensor> t = new LinkedHashMap<>();
        encoderLayer(t, r, "bert.encoder.layer.0.", false);
        // Llama: 4 query heads over 2 kv heads of dim 4, no biases.
        String lp = "model.layers.0.";
        linearParams(t, r, lp + "self_attn.q_proj.", E, E, false);
        linearParams(t, r, lp + "self_attn.k_proj.", 8, E, false);
        linearParams(t, r, lp + "self_attn.v_proj.", 8, E, false);
        linearParams(t, r, lp + "self_attn.o_proj.", E, E, false);
        linearParams(t, r, lp + "mlp.gate_proj.", HIDDEN, E, false);
        linearParams(t, r, lp + "mlp.up_proj.", HIDDEN, E, false);
        linearParams(t, r, lp + "mlp.down_proj.", E, HIDDEN, false);
        normParams(t, r, lp + "input_layernorm.", false);
        normParams(t, r, lp + "post_attention_layernorm.", false);
        // torch.nn.TransformerEncoderLayer(16, 4, dim_feedforward=24): packed in_proj, post-norm, ReLU.
        String tp = "layers.0.";
        t.put(tp + "self_attn.in_proj_weight", uniform(r, 0.25, 3 * E, E));
        t.put(tp + "self_attn.in_proj_bias", uniform(r, 0.1, 3 * E));
        linearParams(t, r, tp + "self_attn.out_proj.", E, E, true);
        linearParams(t, r, tp + "linear1.", HIDDEN, E, true);
        linearParams(t, r, tp + "linear2.", E, HIDDEN, true);
        normParams(t, r, tp + "norm1.", true);
        normParams(t, r, tp + "norm2.", true);
        Tensor xt = uniform(r, 1.0, 2, n, E);
        double[] x = F64Blocks.d(xt);

        String ba = "bert.encoder.layer.0.";
        double[] hB = layerNorm(add(x, attention(x, 2, n, t, ba + "attention.self.query.", ba + "attention.self.key.",
                ba + "attention.self.value.", ba + "attention.output.dense.", HEADS, HEADS, false, null, null)),
                rows, t, ba + "attention.output.LayerNorm.", EPS);
        double[] bert = layerNorm(add(hB, linear(act(linear(hB, rows, t, ba + "intermediate.dense."), Activation.GELU),
                rows, t, ba + "output.dense.")), rows, t, ba + "output.LayerNorm.", EPS);

        // Partial rotary (2 of the 4 head elements) with YaRN, as Llama-family checkpoints configure it.
        Rope rope = Rope.of(10000, RopeStyle.HALF).withRotaryDim(2).withScaling(RopeScaling.Yarn.of(4, 4));
        double[] hL = add(x, attention(rmsNorm(x, rows, t, lp + "input_layernorm.", EPS), 2, n, t,
                lp + "self_attn.q_proj.", lp + "self_attn.k_proj.", lp + "self_attn.v_proj.", lp + "self_attn.o_proj.",
                HEADS, 2, true, rope, null));
        double[] in = rmsNorm(hL, rows, t, lp + "post_attention_layernorm.", EPS);
        double[] gate = act(linear(in, rows, t, lp + "mlp.gate_proj."), Activation.SILU);
        double[] up = linear(in, rows, t, lp + "mlp.up_proj.");
        for (int i = 0; i < up.length; i++) {
            up[i] *= gate[i];
        }
        double[] llama = add(hL, linear(up, rows, t, lp + "mlp.down_proj."));

        // The packed in_proj as three projections, for the float64 side.
        Map<String, Tensor> split = new LinkedHashMap<>(t);
        float[] ipw = t.get(tp + "self_attn.in_proj_weight").data();
        float[] ipb = t.get(tp + "self_attn.in_proj_bias").data();
        String[] qkv = {"q.", "k.", "v."};
        for (int i = 0; i < 3; i++) {
            split.put(tp + qkv[i] + "weight", Tensor.of(java.util.Arrays.copyOfRange(ipw, i * E * E, (i + 1) * E * E),
                    E, E));
            split.put(tp + qkv[i] + "bias", Tensor.of(java.util.Arrays.copyOfRange(ipb, i * E, (i + 1) * E), E));
        }
        double[] hT = layerNorm(add(x, attention(x, 2, n, split, tp + "q.", tp + "k.", tp + "v.",
                tp + "self_attn.out_proj.", HEADS, HEADS, false, null, null)), rows, t, tp + "norm1.", EPS);
        double[] torch = layerNorm(add(hT, linear(act(linear(hT, rows, t, tp + "linear1."), Activation.RELU), rows, t,
                tp + "linear2.")), rows, t, tp + "norm2.", EPS);

        try (SafetensorsFile f = save(t); AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            assertClose(bert, Checkpoints.bertLayer(f, ba, HEADS, EPS).forward(engine, xt).data(), 2e-4, "BERT layer");
            TransformerBlock l = Checkpoints.llamaLayer(f, lp, HEADS, 2, EPS, rope);
            assertClose(llama, l.forward(engine, xt, AttentionOptions.builder().causal().build()).data(), 2e-4,
                    "Llama layer");
            assertClose(torch, Checkpoints.torchEncoderLayer(f, tp, HEADS, EPS, false, Activation.RELU)
                    .forward(engine, xt).data(), 2e-4, "torch TransformerEncoderLayer");
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoints.bertLayer(f, "bert.encoder.layer.1.", HEADS, EPS));
            assertTrue(missing.getMessage().contains("bert.encoder.layer.1."), missing.getMessage());
        }
    }
}

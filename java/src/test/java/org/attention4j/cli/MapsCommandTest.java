package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import javax.imageio.ImageIO;

import org.attention4j.AttentionEngine;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.attention4j.io.SafetensorsFile;
import org.attention4j.nn.Activation;
import org.attention4j.nn.Checkpoints;
import org.attention4j.nn.Encoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code maps} on tiny checkpoints written here: the PNGs it promises, and refusals that leave nothing behind. */
class MapsCommandTest {
    private static final int E = 8;

    @TempDir
    Path dir;

    private static Tensor random(Random r, double scale, int... shape) {
        return org.attention4j.testing.TestData.gaussian(r, scale, shape);
    }

    private static void linear(Map<String, Tensor> t, Random r, String name, int o, int i) {
        t.put(name + "weight", random(r, 0.4, o, i));
        t.put(name + "bias", random(r, 0.1, o));
    }

    private static void norm(Map<String, Tensor> t, String name) {
        float[] one = new float[E];
        java.util.Arrays.fill(one, 1f);
        t.put(name + "weight", Tensor.of(one, E));
        t.put(name + "bias", Tensor.zeros(E));
    }

    /** A one-layer ViT: 2 heads, patches of 4 on an 8 x 8 image (a 2 x 2 grid, 5 tokens). */
    private Path vit() throws IOException {
        Random r = new Random(5);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("vit.embeddings.cls_token", random(r, 1, 1, 1, E));
        t.put("vit.embeddings.position_embeddings", random(r, 1, 1, 5, E));
        t.put("vit.embeddings.patch_embeddings.projection.weight", random(r, 0.2, E, 3, 4, 4));
        t.put("vit.embeddings.patch_embeddings.projection.bias", random(r, 0.1, E));
        String p = "vit.encoder.layer.0.";
        for (String s : new String[] {"query", "key", "value"}) {
            linear(t, r, p + "attention.attention." + s + ".", E, E);
        }
        linear(t, r, p + "attention.output.dense.", E, E);
        linear(t, r, p + "intermediate.dense.", 16, E);
        linear(t, r, p + "output.dense.", E, 16);
        norm(t, p + "layernorm_before.");
        norm(t, p + "layernorm_after.");
        norm(t, "vit.layernorm.");
        Path f = dir.resolve("vit.safetensors");
        SafetensorsFile.write(f, t, Map.of("format", "pt"));
        return f;
    }

    private Path image() throws IOException {
        BufferedImage img = new BufferedImage(13, 9, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 13; x++) {
                img.setRGB(x, y, (x * 19) << 16 | (y * 27) << 8 | ((x + y) * 11));
            }
        }
        Path f = dir.resolve("in.png");
        ImageIO.write(img, "png", f.toFile());
        return f;
    }

    @Test
    void vitMapsArePerHeadClassTokenAndMean() throws IOException {
        Path w = vit();
        Path maps = dir.resolve("maps");
        CliRun r = CliRun.of("maps", "--weights", w.toString(), "--model", "vit", "--heads", "2", "--image",
                image().toString(), "--out-dir", maps.toString(), "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        for (String name : new String[] {"layer0_head0.png", "layer0_head1.png", "layer0_head0_cls.png",
                "layer0_head1_cls.png", "layer0_mean.png"}) {
            Path png = maps.resolve(name);
            assertTrue(Files.size(png) > 0, name);
            assertTrue(ImageIO.read(png.toFile()).getWidth() > 0, name);
            assertTrue(r.out().contains("wrote " + png), r.out());
        }
        assertTrue(r.out().contains("1 layers, 5 tokens, layer 0 on cpu"), r.out());
    }

    @Test
    void clipTextMapsFromTokenIds() throws IOException {
        Random r = new Random(6);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("text_model.embeddings.token_embedding.weight", random(r, 1, 30, E));
        t.put("text_model.embeddings.position_embedding.weight", random(r, 1, 10, E));
        for (int l = 0; l < 2; l++) {
            String p = "text_model.encoder.layers." + l + ".";
            for (String s : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                linear(t, r, p + "self_attn." + s + ".", E, E);
            }
            linear(t, r, p + "mlp.fc1.", 16, E);
            linear(t, r, p + "mlp.fc2.", E, 16);
            norm(t, p + "layer_norm1.");
            norm(t, p + "layer_norm2.");
        }
        norm(t, "text_model.final_layer_norm.");
        Path w = dir.resolve("clip.safetensors");
        SafetensorsFile.write(w, t, Map.of());
        Path maps = dir.resolve("clip-maps");
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, "{\"model_type\": \"clip\", \"text_config\": {\"hidden_size\": 8, "
                + "\"num_attention_heads\": 2, \"layer_norm_eps\": 1e-05, \"hidden_act\": \"quick_gelu\"}}");
        CliRun run = CliRun.of("maps", "--weights", w.toString(), "--model", "clip-text", "--config", cfg.toString(),
                "--tokens", "1,5,7,29", "--layer", "0", "--out-dir", maps.toString(), "--backend", "cpu");
        assertEquals(0, run.code(), run.err());
        assertTrue(Files.isRegularFile(maps.resolve("layer0_head1.png")));
        assertFalse(Files.exists(maps.resolve("layer0_head1_cls.png")), "no class token in a text tower");
        // The causal map the PNG draws: row 0 sees key 0 only.
        try (SafetensorsFile f = SafetensorsFile.open(w); AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            Encoder enc = Checkpoints.clipTextEncoder(f, "text_model.", 2, 1e-5, Activation.QUICK_GELU);
            float[] m = enc.forwardWithWeights(engine, Checkpoints.clipTextEmbeddings(f, "text_model.")
                    .forward(new int[] {1, 5, 7, 29}, 1, 4), 0).weights().orElseThrow().data();
            assertArrayEquals(new float[] {1f, 0f, 0f, 0f}, java.util.Arrays.copyOfRange(m, 0, 4));
        }
    }

    /** Exit status 2 and one stderr line containing {@code fragment}. */
    private static void assertRefused(String fragment, String... args) {
        CliRun r = CliRun.of(args);
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(fragment), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void badInputIsOneLineAndNoFiles() throws IOException {
        Path w = vit();
        Path img = image();
        Path maps = dir.resolve("none");
        assertRefused("--layer 3 is out of range [0, 1)", "maps", "--weights", w.toString(), "--model", "vit", "--heads", "2", "--image",
                img.toString(), "--layer", "3", "--out-dir", maps.toString(), "--backend", "cpu");
        assertRefused("model.embeddings.", "maps", "--weights", w.toString(), "--model", "vit", "--heads", "2", "--image",
                img.toString(), "--prefix", "model.", "--out-dir", maps.toString(), "--backend", "cpu");
        assertRefused("--model vit needs --image", "maps", "--weights", w.toString(), "--model", "vit", "--heads", "2", "--out-dir",
                maps.toString());
        assertRefused("--std values must be finite and > 0", "maps", "--weights", w.toString(), "--model", "vit", "--heads", "2", "--image",
                img.toString(), "--std", "0", "--out-dir", maps.toString(), "--backend", "cpu");
        assertRefused("is not an image", "maps", "--weights", w.toString(), "--model", "vit", "--heads", "2", "--image",
                w.toString(), "--out-dir", maps.toString(), "--backend", "cpu");
        assertRefused("--heads or --config is required", "maps", "--weights", w.toString(), "--model", "vit", "--image", img.toString(),
                "--out-dir", maps.toString(), "--backend", "cpu");
        assertFalse(Files.exists(maps), "nothing written on refusal");
    }
}

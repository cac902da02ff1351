package org.attention4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.attention4j.Rope;
import org.attention4j.RopeScaling;
import org.attention4j.RopeStyle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hugging Face configs of the common families (their RoPE-relevant keys as published) read into settings. */
class ModelConfigTest {

    private static Rope rope(String json) {
        return ModelConfig.parse(json, "test.json").rope().orElseThrow();
    }

    @Test
    void llama31() {
        ModelConfig c = ModelConfig.parse("{\"model_type\": \"llama\", \"hidden_size\": 4096, "
                + "\"num_attention_heads\": 32, \"num_key_value_heads\": 8, \"rms_norm_eps\": 1e-05, "
                + "\"rope_theta\": 500000.0, \"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0, "
                + "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}}",
                "llama.json");
        assertEquals(32, c.numHeads());
        assertEquals(8, c.numKvHeads());
        assertEquals(128, c.headDim());
        assertEquals(1e-5, c.normEps(0));
        Rope r = c.rope().orElseThrow();
        assertTrue(r.sameRotation(Rope.of(500000, RopeStyle.HALF).withScaling(RopeScaling.Llama3.llama31())), r.describe());
    }

    @Test
    void yarnPartialRotaryAndInterleaved() {
        Rope qwen = rope("{\"model_type\": \"qwen2\", \"hidden_size\": 896, \"num_attention_heads\": 14, "
                + "\"rope_theta\": 1000000.0, \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0, "
                + "\"original_max_position_embeddings\": 32768}}");
        assertEquals(RopeScaling.Yarn.of(4, 32768), qwen.scaling());
        assertEquals(0, qwen.rotaryDim());
        Rope neox = rope("{\"model_type\": \"gpt_neox\", \"hidden_size\": 512, \"num_attention_heads\": 8, "
                + "\"rotary_pct\": 0.25, \"rotary_emb_base\": 10000}");
        assertEquals(16, neox.rotaryDim());
        assertEquals(RopeStyle.HALF, neox.style());
        Rope gptj = rope("{\"model_type\": \"gptj\", \"n_embd\": 4096, \"n_head\": 16, \"rotary_dim\": 64}");
        assertEquals(RopeStyle.INTERLEAVED, gptj.style());
        assertEquals(64, gptj.rotaryDim());
        assertEquals(10000.0, gptj.base());
        Rope phi = rope("{\"model_type\": \"phi\", \"hidden_size\": 2560, \"num_attention_heads\": 32, "
                + "\"partial_rotary_factor\": 0.4, \"rope_theta\": 10000.0}");
        assertEquals(32, phi.rotaryDim());   // int(80 * 0.4)
        Rope deepseek = rope("{\"model_type\": \"deepseek_v3\", \"hidden_size\": 7168, \"num_attention_heads\": 128, "
                + "\"head_dim\": 64, \"max_position_embeddings\": 163840, \"rope_scaling\": {\"type\": \"yarn\", "
                + "\"factor\": 40, \"original_max_position_embeddings\": 4096, \"beta_fast\": 32, \"beta_slow\": 1, "
                + "\"mscale\": 1.0, \"mscale_all_dim\": 1.0}}");
        assertEquals(1.0, deepseek.attentionFactor(), 1e-15);   // mscale / mscale_all_dim
        Rope v5 = rope("{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4, "
                + "\"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": 2.0, \"rope_theta\": 5000.0}}");
        assertEquals(new RopeScaling.Linear(2), v5.scaling());
        assertEquals(5000.0, v5.base());
    }

    @Test
    void modelsWithoutRopeAndCombinedConfigs() {
        ModelConfig vit = ModelConfig.parse("{\"model_type\": \"vit\", \"hidden_size\": 768, "
                + "\"num_attention_heads\": 12, \"layer_norm_eps\": 1e-12}", "vit.json");
        assertTrue(vit.rope().isEmpty());
        assertEquals(1e-12, vit.normEps(0));
        ModelConfig clip = ModelConfig.parse("{\"model_type\": \"clip\", \"text_config\": {\"hidden_size\": 512, "
                + "\"num_attention_heads\": 8, \"layer_norm_eps\": 1e-05, \"hidden_act\": \"quick_gelu\"}}", "clip.json");
        ModelConfig text = clip.section("text_config");
        assertEquals(8, text.numHeads());
        assertEquals("quick_gelu", text.string("hidden_act"));
        assertTrue(text.rope().isEmpty());
    }

    @Test
    void refusalsNameTheFileAndTheKey(@TempDir Path dir) throws IOException {
        IllegalArgumentException dyn = assertThrows(IllegalArgumentException.class, () -> rope(
                "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4, "
                        + "\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}}"));
        assertTrue(dyn.getMessage().contains("test.json: rope type 'dynamic' is not supported"), dyn.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.parse("{\"num_attention_heads\": \"32\"}", "t.json").numHeads());
        assertTrue(type.getMessage().contains("t.json: num_attention_heads must be an int, got \"32\""),
                type.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> rope("{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4, "
                        + "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}}"));
        assertTrue(bad.getMessage().contains("has no low_freq_factor"), bad.getMessage());
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> rope("{\"model_type\": \"phi\", \"hidden_size\": 60, \"num_attention_heads\": 4, "
                        + "\"partial_rotary_factor\": 0.2}"));
        assertTrue(odd.getMessage().contains("rotaryDim must be even"), odd.getMessage());
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"hidden_size\": 64,");
        IllegalArgumentException json = assertThrows(IllegalArgumentException.class, () -> ModelConfig.read(f));
        assertTrue(json.getMessage().startsWith("config " + f + ": "), json.getMessage());
        Files.writeString(f, "[1, 2]");
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.read(f));
    }
}

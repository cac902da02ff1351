package org.attention4j.nn;

import static org.attention4j.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.attention4j.AttentionEngine;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.attention4j.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layers loaded by PyTorch / Hugging Face parameter names equal the same layers built from the same tensors. */
class CheckpointsTest {
    @TempDir
    Path dir;

    private SafetensorsFile save(Map<String, Tensor> t) throws IOException {
        Path f = dir.resolve("ckpt-" + t.hashCode() + ".safetensors");
        SafetensorsFile.write(f, t, Map.of("format", "pt"));
        return SafetensorsFile.open(f);
    }

    @Test
    void torchMultiheadAttentionLoadsPackedAndSeparateProjections() throws IOException {
        SplittableRandom r = new SplittableRandom(3);
        int e = 16;
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("blocks.0.attn.in_proj_weight", uniform(r, 0.3, 3 * e, e));
        t.put("blocks.0.attn.in_proj_bias", uniform(r, 0.1, 3 * e));
        t.put("blocks.0.attn.out_proj.weight", uniform(r, 0.3, e, e));
        t.put("blocks.0.attn.out_proj.bias", uniform(r, 0.1, e));
        Tensor x = uniform(r, 1.0, 2, 5, e);
        try (SafetensorsFile f = save(t); AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            MultiHeadAttention loaded = Checkpoints.torchMultiheadAttention(f, "blocks.0.attn.", 4);
            MultiHeadAttention built = MultiHeadAttention.fromPyTorch(4, t.get("blocks.0.attn.in_proj_weight"),
                    t.get("blocks.0.attn.in_proj_bias"), t.get("blocks.0.attn.out_proj.weight"),
                    t.get("blocks.0.attn.out_proj.bias"));
            assertArrayEquals(built.selfAttention(engine, x).output().data(),
                    loaded.selfAttention(engine, x).output().data());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoints.torchMultiheadAttention(f, "blocks.1.attn.", 4));
            assertTrue(missing.getMessage().contains("blocks.1.attn.out_proj.weight")
                    && missing.getMessage().contains("blocks.0.attn."), missing.getMessage());
        }
    }

    @Test
    void huggingFaceNamingsLoadTheirProjections() throws IOException {
        SplittableRandom r = new SplittableRandom(4);
        int e = 16;
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (String p : new String[] {"query", "key", "value"}) {
            t.put("bert.encoder.layer.0.attention.self." + p + ".weight", uniform(r, 0.3, e, e));
            t.put("bert.encoder.layer.0.attention.self." + p + ".bias", uniform(r, 0.1, e));
        }
        t.put("bert.encoder.layer.0.attention.output.dense.weight", uniform(r, 0.3, e, e));
        t.put("bert.encoder.layer.0.attention.output.dense.bias", uniform(r, 0.1, e));
        t.put("bert.encoder.layer.0.attention.output.LayerNorm.weight", uniform(r, 1.0, e));
        t.put("bert.encoder.layer.0.attention.output.LayerNorm.bias", uniform(r, 0.1, e));
        // Llama: grouped-query (8 query heads over 2 kv heads of dim 2), no biases.
        t.put("model.layers.0.self_attn.q_proj.weight", uniform(r, 0.3, e, e));
        t.put("model.layers.0.self_attn.k_proj.weight", uniform(r, 0.3, 4, e));
        t.put("model.layers.0.self_attn.v_proj.weight", uniform(r, 0.3, 4, e));
        t.put("model.layers.0.self_attn.o_proj.weight", uniform(r, 0.3, e, e));
        Tensor x = uniform(r, 1.0, 1, 7, e);
        String b = "bert.encoder.layer.0.attention.";
        try (SafetensorsFile f = save(t); AttentionEngine engine = AttentionEngine.create(Backend.CPU)) {
            MultiHeadAttention bert = Checkpoints.bert(f, "bert.encoder.layer.0.", 4);
            MultiHeadAttention built = MultiHeadAttention.builder(e, 4)
                    .qProj(t.get(b + "self.query.weight"), t.get(b + "self.query.bias"))
                    .kProj(t.get(b + "self.key.weight"), t.get(b + "self.key.bias"))
                    .vProj(t.get(b + "self.value.weight"), t.get(b + "self.value.bias"))
                    .outProj(t.get(b + "output.dense.weight"), t.get(b + "output.dense.bias")).build();
            assertArrayEquals(built.selfAttention(engine, x).output().data(),
                    bert.selfAttention(engine, x).output().data());
            LayerNorm ln = Checkpoints.layerNorm(f, b + "output.LayerNorm.", 1e-12);
            assertArrayEquals(new LayerNorm(t.get(b + "output.LayerNorm.weight"), t.get(b + "output.LayerNorm.bias"),
                    1e-12).forward(x).data(), ln.forward(x).data());
            Linear dense = Checkpoints.linear(f, b + "output.dense.");
            assertArrayEquals(new Linear(t.get(b + "output.dense.weight"), t.get(b + "output.dense.bias")).forward(x)
                    .data(), dense.forward(x).data());
            MultiHeadAttention llama = Checkpoints.llama(f, "model.layers.0.", 8, 2,
                    MultiHeadAttention.builder(e, 8).rope(10_000, org.attention4j.RopeStyle.HALF));
            MultiHeadAttention llamaBuilt = MultiHeadAttention.builder(e, 8).numKvHeads(2).bias(false)
                    .rope(10_000, org.attention4j.RopeStyle.HALF)
                    .qProj(t.get("model.layers.0.self_attn.q_proj.weight"), null)
                    .kProj(t.get("model.layers.0.self_attn.k_proj.weight"), null)
                    .vProj(t.get("model.layers.0.self_attn.v_proj.weight"), null)
                    .outProj(t.get("model.layers.0.self_attn.o_proj.weight"), null).build();
            assertArrayEquals(llamaBuilt.selfAttention(engine, x).output().data(),
                    llama.selfAttention(engine, x).output().data());
            // The wrong layout for this file: the message names the missing tensor.
            IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoints.clip(f, "bert.encoder.layer.0.", 4));
            assertTrue(e1.getMessage().contains("self_attn.q_proj.weight"), e1.getMessage());
        }
    }
}

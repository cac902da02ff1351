package org.attention4j.nn;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.attention4j.Rope;
import org.attention4j.Tensor;
import org.attention4j.io.SafetensorsFile;

/**
 * Layers loaded from a {@code .safetensors} checkpoint by the parameter names PyTorch and Hugging Face use, from a
 * prefix such as {@code "encoder.layer.3.attention."}. A missing tensor is an {@link IllegalArgumentException}
 * naming it (and the names the file has under the same prefix); a mis-shaped one names the tensor, its shape and
 * the expected one. Biases are optional: a projection without one loads without one.
 *
 * <p>Attention naming schemes:
 * <ul>
 *   <li>{@link #torchMultiheadAttention}: {@code torch.nn.MultiheadAttention} ({@code in_proj_weight} packed, or
 *       {@code q_proj_weight}/{@code k_proj_weight}/{@code v_proj_weight} with {@code kdim}/{@code vdim};
 *       {@code in_proj_bias}; {@code out_proj.weight}/{@code out_proj.bias});</li>
 *   <li>{@link #bert}: BERT's {@code attention.self.query|key|value} and {@code attention.output.dense};</li>
 *   <li>{@link #vit}: ViT's {@code attention.attention.query|key|value} and {@code attention.output.dense};</li>
 *   <li>{@link #clip}: CLIP's {@code self_attn.q_proj|k_proj|v_proj|out_proj};</li>
 *   <li>{@link #llama}: Llama's {@code self_attn.q_proj|k_proj|v_proj|o_proj}, grouped-query, no biases.</li>
 * </ul>
 * RoPE, ALiBi and the other settings of {@link MultiHeadAttention.Builder} are not in a checkpoint: pass a
 * builder to the methods that take one.
 *
 * <p>Whole blocks ({@link TransformerBlock}: norms, attention, MLP) by the same naming schemes:
 * {@link #bertLayer} (post-norm, GELU), {@link #vitLayer} (pre-norm, GELU), {@link #clipLayer} (pre-norm, QuickGELU
 * for OpenAI's weights), {@link #llamaLayer} (RMSNorm, SwiGLU, grouped-query, RoPE) and
 * {@link #torchEncoderLayer} ({@code torch.nn.TransformerEncoderLayer}, post-norm and ReLU by default). The
 * epsilon is the model's ({@code layer_norm_eps}, {@code rms_norm_eps}): checkpoints do not hold it.
 *
 * <p>Whole towers: {@link #vitEmbeddings} and {@link #vitEncoder} (an image classifier's body: patches, class
 * token, positions, the layers, {@code layernorm}), {@link #clipTextEmbeddings} and {@link #clipTextEncoder}
 * (token and position tables, causal layers, {@code final_layer_norm}); the layer count is read from the names.
 */
public final class Checkpoints {
    private Checkpoints() {
    }

    /** {@code torch.nn.Linear}: {@code {prefix}weight [out, in]} and, when present, {@code {prefix}bias [out]}. */
    public static Linear linear(SafetensorsFile f, String prefix) throws IOException {
        Tensor w = f.tensor(prefix + "weight");
        return new Linear(w, optional(f, prefix + "bias"));
    }

    /** {@code torch.nn.LayerNorm}: {@code {prefix}weight [E]} and {@code {prefix}bias [E]}. */
    public static LayerNorm layerNorm(SafetensorsFile f, String prefix, double eps) throws IOException {
        Tensor gamma = f.tensor(prefix + "weight");
        Tensor beta = optional(f, prefix + "bias");
        return new LayerNorm(gamma, beta != null ? beta : Tensor.zeros(gamma.shape()), eps);
    }

    /** Llama's {@code LlamaRMSNorm} / {@code torch.nn.RMSNorm}: {@code {prefix}weight [E]}. */
    public static RmsNorm rmsNorm(SafetensorsFile f, String prefix, double eps) throws IOException {
        return new RmsNorm(f.tensor(prefix + "weight"), eps);
    }

    /** {@code torch.nn.MultiheadAttention(E, numHeads)} saved under {@code prefix}. */
    public static MultiHeadAttention torchMultiheadAttention(SafetensorsFile f, String prefix, int numHeads)
            throws IOException {
        Tensor outW = f.tensor(prefix + "out_proj.weight");
        Tensor outB = optional(f, prefix + "out_proj.bias");
        Tensor inB = optional(f, prefix + "in_proj_bias");
        if (f.names().contains(prefix + "in_proj_weight")) {
            return MultiHeadAttention.fromPyTorch(numHeads, f.tensor(prefix + "in_proj_weight"), inB, outW, outB);
        }
        return MultiHeadAttention.fromPyTorch(numHeads, f.tensor(prefix + "q_proj_weight"),
                f.tensor(prefix + "k_proj_weight"), f.tensor(prefix + "v_proj_weight"), inB, outW, outB);
    }

    /** Hugging Face BERT's attention of one layer ({@code prefix} e.g. {@code "bert.encoder.layer.0."}). */
    public static MultiHeadAttention bert(SafetensorsFile f, String prefix, int numHeads) throws IOException {
        return separate(f, numHeads, numHeads, prefix + "attention.self.query.", prefix + "attention.self.key.",
                prefix + "attention.self.value.", prefix + "attention.output.dense.", null);
    }

    /** Hugging Face ViT's attention of one layer ({@code prefix} e.g. {@code "vit.encoder.layer.0."}). */
    public static MultiHeadAttention vit(SafetensorsFile f, String prefix, int numHeads) throws IOException {
        return separate(f, numHeads, numHeads, prefix + "attention.attention.query.",
                prefix + "attention.attention.key.", prefix + "attention.attention.value.",
                prefix + "attention.output.dense.", null);
    }

    /** Hugging Face CLIP's attention of one layer ({@code prefix} e.g. {@code "text_model.encoder.layers.0."}). */
    public static MultiHeadAttention clip(SafetensorsFile f, String prefix, int numHeads) throws IOException {
        return separate(f, numHeads, numHeads, prefix + "self_attn.q_proj.", prefix + "self_attn.k_proj.",
                prefix + "self_attn.v_proj.", prefix + "self_attn.out_proj.", null);
    }

    /**
     * Llama's attention of one layer ({@code prefix} e.g. {@code "model.layers.0."}), grouped-query; its RoPE
     * (base, style, scaling) goes in {@code settings}.
     *
     * @param settings a builder for the other settings (RoPE, ...), or null; its projections are replaced
     */
    public static MultiHeadAttention llama(SafetensorsFile f, String prefix, int numHeads, int numKvHeads,
            MultiHeadAttention.Builder settings) throws IOException {
        return separate(f, numHeads, numKvHeads, prefix + "self_attn.q_proj.", prefix + "self_attn.k_proj.",
                prefix + "self_attn.v_proj.", prefix + "self_attn.o_proj.", settings);
    }

    /**
     * Attention from four separate {@code Linear}-style projections named {@code {q,k,v,o}weight} and, when
     * present, {@code {q,k,v,o}bias}.
     *
     * @param settings a builder for the other settings, or null for a plain one; its projections are replaced
     */
    public static MultiHeadAttention separate(SafetensorsFile f, int numHeads, int numKvHeads, String q, String k,
            String v, String o, MultiHeadAttention.Builder settings) throws IOException {
        Objects.requireNonNull(f, "f");
        Tensor qw = f.tensor(q + "weight");
        Tensor kw = f.tensor(k + "weight");
        Tensor vw = f.tensor(v + "weight");
        Tensor ow = f.tensor(o + "weight");
        if (qw.rank() != 2 || kw.rank() != 2 || vw.rank() != 2) {
            throw new IllegalArgumentException("projection weights must have rank 2: " + q + "weight " + qw + ", "
                    + k + "weight " + kw + ", " + v + "weight " + vw);
        }
        Tensor qb = optional(f, q + "bias");
        Tensor kb = optional(f, k + "bias");
        Tensor vb = optional(f, v + "bias");
        Tensor ob = optional(f, o + "bias");
        boolean any = qb != null || kb != null || vb != null || ob != null;
        boolean all = qb != null && kb != null && vb != null && ob != null;
        if (any && !all) {
            throw new IllegalArgumentException("some projections have a bias and some do not (" + q + "bias, " + k
                    + "bias, " + v + "bias, " + o + "bias): attention4j's layer has all four or none");
        }
        MultiHeadAttention.Builder b = settings != null ? settings : MultiHeadAttention.builder(qw.dim(0), numHeads);
        return b.numKvHeads(numKvHeads).kdim(kw.dim(1)).vdim(vw.dim(1)).bias(all)
                .qProj(qw, qb).kProj(kw, kb).vProj(vw, vb).outProj(ow, ob).build();
    }

    /**
     * A Hugging Face BERT layer ({@code prefix} e.g. {@code "bert.encoder.layer.0."}): post-norm,
     * {@code attention.output.LayerNorm} after the attention, {@code intermediate.dense} and {@code output.dense}
     * with exact GELU, {@code output.LayerNorm} after the MLP.
     */
    public static TransformerBlock bertLayer(SafetensorsFile f, String prefix, int numHeads, double eps)
            throws IOException {
        return new TransformerBlock(layerNorm(f, prefix + "attention.output.LayerNorm.", eps),
                bert(f, prefix, numHeads), layerNorm(f, prefix + "output.LayerNorm.", eps),
                mlp(f, prefix + "intermediate.dense.", null, prefix + "output.dense.", Activation.GELU),
                TransformerBlock.Placement.POST_NORM);
    }

    /**
     * A Hugging Face ViT layer ({@code prefix} e.g. {@code "vit.encoder.layer.0."}): pre-norm,
     * {@code layernorm_before}, the attention, {@code layernorm_after}, {@code intermediate.dense} and
     * {@code output.dense} with exact GELU.
     */
    public static TransformerBlock vitLayer(SafetensorsFile f, String prefix, int numHeads, double eps)
            throws IOException {
        return new TransformerBlock(layerNorm(f, prefix + "layernorm_before.", eps), vit(f, prefix, numHeads),
                layerNorm(f, prefix + "layernorm_after.", eps),
                mlp(f, prefix + "intermediate.dense.", null, prefix + "output.dense.", Activation.GELU),
                TransformerBlock.Placement.PRE_NORM);
    }

    /**
     * A Hugging Face CLIP encoder layer ({@code prefix} e.g. {@code "text_model.encoder.layers.0."}): pre-norm,
     * {@code layer_norm1}, the attention, {@code layer_norm2}, {@code mlp.fc1} and {@code mlp.fc2}.
     *
     * @param activation {@code hidden_act}: {@link Activation#QUICK_GELU} for OpenAI's CLIP
     */
    public static TransformerBlock clipLayer(SafetensorsFile f, String prefix, int numHeads, double eps,
            Activation activation) throws IOException {
        return new TransformerBlock(layerNorm(f, prefix + "layer_norm1.", eps), clip(f, prefix, numHeads),
                layerNorm(f, prefix + "layer_norm2.", eps),
                mlp(f, prefix + "mlp.fc1.", null, prefix + "mlp.fc2.", activation), TransformerBlock.Placement.PRE_NORM);
    }

    /**
     * A Llama decoder layer ({@code prefix} e.g. {@code "model.layers.0."}): RMSNorm {@code input_layernorm},
     * the grouped-query attention with {@code rope}, RMSNorm {@code post_attention_layernorm}, and the SwiGLU MLP
     * {@code mlp.down_proj(silu(mlp.gate_proj(x)) * mlp.up_proj(x))}. Pass {@code causal} in the options of
     * {@link TransformerBlock#forward}.
     *
     * @param rope the model's RoPE (base {@code rope_theta}, {@link org.attention4j.RopeStyle#HALF}, its scaling),
     *             or null
     */
    public static TransformerBlock llamaLayer(SafetensorsFile f, String prefix, int numHeads, int numKvHeads,
            double eps, Rope rope) throws IOException {
        Tensor qw = f.tensor(prefix + "self_attn.q_proj.weight");
        MultiHeadAttention.Builder settings = MultiHeadAttention.builder(qw.dim(qw.rank() - 1), numHeads).rope(rope);
        return new TransformerBlock(rmsNorm(f, prefix + "input_layernorm.", eps),
                llama(f, prefix, numHeads, numKvHeads, settings), rmsNorm(f, prefix + "post_attention_layernorm.", eps),
                mlp(f, prefix + "mlp.up_proj.", prefix + "mlp.gate_proj.", prefix + "mlp.down_proj.", Activation.SILU),
                TransformerBlock.Placement.PRE_NORM);
    }

    /**
     * {@code torch.nn.TransformerEncoderLayer} saved under {@code prefix}: {@code self_attn.} (as
     * {@link #torchMultiheadAttention}), {@code linear1}, {@code linear2}, {@code norm1}, {@code norm2}.
     *
     * @param normFirst  its {@code norm_first} (PyTorch's default false: post-norm)
     * @param activation its {@code activation} (PyTorch's default {@link Activation#RELU})
     */
    public static TransformerBlock torchEncoderLayer(SafetensorsFile f, String prefix, int numHeads, double eps,
            boolean normFirst, Activation activation) throws IOException {
        return new TransformerBlock(layerNorm(f, prefix + "norm1.", eps),
                torchMultiheadAttention(f, prefix + "self_attn.", numHeads), layerNorm(f, prefix + "norm2.", eps),
                mlp(f, prefix + "linear1.", null, prefix + "linear2.", activation),
                normFirst ? TransformerBlock.Placement.PRE_NORM : TransformerBlock.Placement.POST_NORM);
    }

    /**
     * ViT's embeddings under {@code prefix} (e.g. {@code "vit."}): {@code embeddings.patch_embeddings.projection}
     * (weight {@code [E, C, P, P]}, bias), {@code embeddings.cls_token} (when present) and
     * {@code embeddings.position_embeddings}.
     */
    public static PatchEmbedding vitEmbeddings(SafetensorsFile f, String prefix) throws IOException {
        String e = prefix + "embeddings.";
        return new PatchEmbedding(f.tensor(e + "patch_embeddings.projection.weight"),
                optional(f, e + "patch_embeddings.projection.bias"), optional(f, e + "cls_token"),
                f.tensor(e + "position_embeddings"));
    }

    /**
     * ViT's encoder under {@code prefix} (e.g. {@code "vit."}): every {@code encoder.layer.<i>.} ({@link #vitLayer})
     * and the final {@code layernorm} when present.
     */
    public static Encoder vitEncoder(SafetensorsFile f, String prefix, int numHeads, double eps) throws IOException {
        List<TransformerBlock> blocks = new ArrayList<>();
        for (int i = 0, n = layerCount(f, prefix + "encoder.layer."); i < n; i++) {
            blocks.add(vitLayer(f, prefix + "encoder.layer." + i + ".", numHeads, eps));
        }
        boolean norm = f.names().contains(prefix + "layernorm.weight");
        return new Encoder(blocks, norm ? layerNorm(f, prefix + "layernorm.", eps) : null, false);
    }

    /**
     * CLIP's text embeddings under {@code prefix} (e.g. {@code "text_model."}): {@code embeddings.token_embedding}
     * and {@code embeddings.position_embedding}.
     */
    public static TokenEmbedding clipTextEmbeddings(SafetensorsFile f, String prefix) throws IOException {
        return new TokenEmbedding(f.tensor(prefix + "embeddings.token_embedding.weight"),
                f.tensor(prefix + "embeddings.position_embedding.weight"));
    }

    /**
     * CLIP's text encoder under {@code prefix} (e.g. {@code "text_model."}): every {@code encoder.layers.<i>.}
     * ({@link #clipLayer}), causal, and {@code final_layer_norm}.
     */
    public static Encoder clipTextEncoder(SafetensorsFile f, String prefix, int numHeads, double eps,
            Activation activation) throws IOException {
        List<TransformerBlock> blocks = new ArrayList<>();
        for (int i = 0, n = layerCount(f, prefix + "encoder.layers."); i < n; i++) {
            blocks.add(clipLayer(f, prefix + "encoder.layers." + i + ".", numHeads, eps, activation));
        }
        return new Encoder(blocks, layerNorm(f, prefix + "final_layer_norm.", eps), true);
    }

    /**
     * How many layers {@code stem<i>.} the file has: {@code i = 0, 1, ..} while any tensor is named under it;
     * none is an error naming the stem.
     */
    static int layerCount(SafetensorsFile f, String stem) {
        int n = 0;
        while (true) {
            String p = stem + n + ".";
            if (f.names().stream().noneMatch(name -> name.startsWith(p))) {
                break;
            }
            n++;
        }
        if (n == 0) {
            throw new IllegalArgumentException("no layers named " + stem + "0. in the checkpoint");
        }
        return n;
    }

    private static TransformerBlock.Mlp mlp(SafetensorsFile f, String up, String gate, String down,
            Activation activation) throws IOException {
        return new TransformerBlock.Mlp(linear(f, up), gate == null ? null : linear(f, gate), linear(f, down),
                activation);
    }

    private static Tensor optional(SafetensorsFile f, String name) throws IOException {
        return f.names().contains(name) ? f.tensor(name) : null;
    }
}

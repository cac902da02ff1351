package org.attention4j.nn;

import java.io.IOException;
import java.util.Objects;

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

    private static Tensor optional(SafetensorsFile f, String name) throws IOException {
        return f.names().contains(name) ? f.tensor(name) : null;
    }
}

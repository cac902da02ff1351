package org.attention4j.nn;

import java.util.Objects;
import java.util.SplittableRandom;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;

/**
 * A transformer block, pre-norm (GPT-2, ViT, Llama) or post-norm (the original Transformer, BERT,
 * {@code torch.nn.TransformerEncoderLayer}'s default):
 * <pre>
 *   pre-norm:   h = x + MHA(N1(x));      out = h + MLP(N2(h))
 *   post-norm:  h = N1(x + MHA(x));      out = N2(h + MLP(h))
 *   MLP(x)   = down(act(up(x)))                  (GPT, ViT, BERT, CLIP)
 *   gated    = down(act(gate(x)) * up(x))        (Llama's SwiGLU with SILU, GEGLU with GELU)
 * </pre>
 * where the norms are {@link LayerNorm} or {@link RmsNorm} and the activation any {@link Activation}. Stacking
 * blocks over embeddings plus a positional encoding gives a ViT-, BERT- or GPT-style encoder (pass {@code causal}
 * in the options for a decoder-only model). {@link #forwardWithWeights} also returns the attention map.
 *
 * <p>The builder's random initialisation: norms at weight 1 and bias 0, the attention as
 * {@link MultiHeadAttention.Builder} describes, and the MLP as {@code torch.nn.Linear} does. The block is immutable
 * and thread-safe.
 */
public final class TransformerBlock {
    /** Where the norms sit. */
    public enum Placement {
        /** Before each sublayer, inside the residual branch. */
        PRE_NORM,
        /** After each residual sum. */
        POST_NORM
    }

    /**
     * The feed-forward part: {@code down(act(up(x)))}, or with a gate {@code down(act(gate(x)) * up(x))}.
     *
     * @param up         {@code E -> hidden} ({@code fc1}, {@code up_proj})
     * @param gate       {@code E -> hidden} ({@code gate_proj}), or null for an ungated MLP
     * @param down       {@code hidden -> E} ({@code fc2}, {@code down_proj})
     * @param activation the activation
     */
    public record Mlp(Linear up, Linear gate, Linear down, Activation activation) {
        /** Checks the parts: non-null (but the gate) and sizes that chain. */
        public Mlp {
            Objects.requireNonNull(up, "up");
            Objects.requireNonNull(down, "down");
            Objects.requireNonNull(activation, "activation");
            if (up.outFeatures() != down.inFeatures() || gate != null && (gate.inFeatures() != up.inFeatures()
                    || gate.outFeatures() != up.outFeatures())) {
                throw new IllegalArgumentException("MLP parts do not chain: fc1 " + up.inFeatures() + " -> "
                        + up.outFeatures() + (gate == null ? "" : ", gate " + gate.inFeatures() + " -> "
                        + gate.outFeatures()) + ", fc2 " + down.inFeatures() + " -> " + down.outFeatures());
            }
        }

        Tensor forward(AttentionEngine engine, Tensor x) {
            Tensor u = up.forward(engine, x);
            float[] a = u.data();
            if (gate == null) {
                activation.applyInPlace(a);
            } else {
                float[] g = gate.forward(engine, x).data();
                activation.applyInPlace(g);
                for (int i = 0; i < a.length; i++) {
                    a[i] = g[i] * a[i];
                }
            }
            return down.forward(engine, u);
        }
    }

    private final Norm norm1;
    private final MultiHeadAttention attention;
    private final Norm norm2;
    private final Mlp mlp;
    private final Placement placement;

    /**
     * A pre-norm block with a GELU MLP ({@code fc1}, {@code fc2}), as in GPT-2 and ViT.
     *
     * @throws IllegalArgumentException when the parts' sizes do not chain, or the attention is not a
     *                                  self-attention layer ({@code kdim = vdim = E})
     */
    public TransformerBlock(Norm norm1, MultiHeadAttention attention, Norm norm2, Linear fc1, Linear fc2,
            Gelu.Form gelu) {
        this(norm1, attention, norm2, new Mlp(fc1, null, fc2, Activation.of(Objects.requireNonNull(gelu, "gelu"))),
                Placement.PRE_NORM);
    }

    /**
     * A block from its parts.
     *
     * @throws IllegalArgumentException when the parts' sizes do not chain ({@code E} for the norms, the attention's
     *                                  input and output, the MLP's input and output), or the attention is not a
     *                                  self-attention layer ({@code kdim = vdim = E})
     */
    public TransformerBlock(Norm norm1, MultiHeadAttention attention, Norm norm2, Mlp mlp, Placement placement) {
        this.norm1 = Objects.requireNonNull(norm1, "norm1");
        this.attention = Objects.requireNonNull(attention, "attention");
        this.norm2 = Objects.requireNonNull(norm2, "norm2");
        this.mlp = Objects.requireNonNull(mlp, "mlp");
        this.placement = Objects.requireNonNull(placement, "placement");
        int e = attention.embedDim();
        if (attention.kdim() != e || attention.vdim() != e) {
            throw new IllegalArgumentException("attention must be self-attention (kdim = vdim = E=" + e + "), got kdim="
                    + attention.kdim() + ", vdim=" + attention.vdim());
        }
        if (norm1.dim() != e || norm2.dim() != e || mlp.up().inFeatures() != e || mlp.down().outFeatures() != e) {
            throw new IllegalArgumentException("block parts do not chain: attention E=" + e + ", norm1 " + norm1.dim()
                    + ", norm2 " + norm2.dim() + ", fc1 " + mlp.up().inFeatures() + " -> " + mlp.up().outFeatures()
                    + ", fc2 " + mlp.down().inFeatures() + " -> " + mlp.down().outFeatures());
        }
    }

    /** A builder for embedding size {@code embedDim} and {@code numHeads} heads. */
    public static Builder builder(int embedDim, int numHeads) {
        return new Builder(embedDim, numHeads);
    }

    /** The first norm (before the attention, or after its residual sum when post-norm). */
    public Norm norm1() {
        return norm1;
    }

    /** The attention (call it on {@code norm1().forward(engine, x)} to see its weights, or use
     *  {@link #forwardWithWeights}). */
    public MultiHeadAttention attention() {
        return attention;
    }

    /** The second norm (around the MLP). */
    public Norm norm2() {
        return norm2;
    }

    /** The MLP. */
    public Mlp mlp() {
        return mlp;
    }

    /** The MLP's first layer, {@code E -> hidden} (its up projection). */
    public Linear fc1() {
        return mlp.up();
    }

    /** The MLP's last layer, {@code hidden -> E}. */
    public Linear fc2() {
        return mlp.down();
    }

    /** The MLP's activation. */
    public Activation activation() {
        return mlp.activation();
    }

    /** Where the norms sit. */
    public Placement placement() {
        return placement;
    }

    /** The embedding size {@code E}. */
    public int embedDim() {
        return attention.embedDim();
    }

    /**
     * The block applied to {@code x [B, N, E]}, as a new tensor {@code [B, N, E]}. The options go to the attention
     * (causal, masks, key lengths...); weights asked for are computed but dropped (see {@link #forwardWithWeights}).
     *
     * @throws IllegalArgumentException when {@code x} is not {@code [B, N, E]} or the options do not fit
     */
    public Tensor forward(AttentionEngine engine, Tensor x, AttentionOptions options) {
        return forwardWithWeights(engine, x, options).output();
    }

    /**
     * The block applied to {@code x [B, N, E]}: the result's output is the block's {@code [B, N, E]}, and its
     * weights and log-sum-exp are the attention's, when the options ask for them.
     *
     * @throws IllegalArgumentException when {@code x} is not {@code [B, N, E]} or the options do not fit
     */
    public AttentionResult forwardWithWeights(AttentionEngine engine, Tensor x, AttentionOptions options) {
        Objects.requireNonNull(engine, "engine");
        Shapes.requireRank3(x, "x", embedDim(), "[B, N, E]");
        // Every step on the engine's threads: the layers' rows too (AttentionEngine.parallelFor).
        boolean pre = placement == Placement.PRE_NORM;
        AttentionResult att = attention.selfAttention(engine, pre ? norm1.forward(engine, x) : x, options);
        float[] h = att.output().data();
        float[] xs = x.data();
        for (int i = 0; i < h.length; i++) {
            h[i] += xs[i];
        }
        Tensor hT = Tensor.of(h, x.shape());
        if (!pre) {
            hT = norm1.forward(engine, hT);
        }
        float[] hs = hT.data();
        float[] y = mlp.forward(engine, pre ? norm2.forward(engine, hT) : hT).data();
        for (int i = 0; i < y.length; i++) {
            y[i] += hs[i];
        }
        Tensor out = Tensor.of(y, x.shape());
        if (!pre) {
            out = norm2.forward(engine, out);
        }
        return new AttentionResult(out, att.weights().orElse(null), att.logSumExp().orElse(null), att.backend());
    }

    /** {@link #forward(AttentionEngine, Tensor, AttentionOptions)} with default options. */
    public Tensor forward(AttentionEngine engine, Tensor x) {
        return forward(engine, x, AttentionOptions.DEFAULTS);
    }

    @Override
    public String toString() {
        return "TransformerBlock(" + placement + ", " + norm1 + ", " + attention + ", mlp " + mlp.up().inFeatures()
                + " -> " + mlp.up().outFeatures() + " -> " + mlp.down().outFeatures()
                + (mlp.gate() != null ? " gated" : "") + ", " + mlp.activation() + ")";
    }

    /** Settings of a randomly initialised {@link TransformerBlock}. */
    public static final class Builder {
        private final int embedDim;
        private final int numHeads;
        private int hidden;
        private int numKvHeads;
        private boolean bias = true;
        private double eps = LayerNorm.DEFAULT_EPS;
        private Activation activation = Activation.GELU;
        private boolean gated;
        private boolean rms;
        private Placement placement = Placement.PRE_NORM;
        private Rope rope;
        private boolean alibi;
        private long seed;

        private Builder(int embedDim, int numHeads) {
            this.embedDim = Shapes.positive(embedDim, "embedDim");
            this.numHeads = Shapes.positive(numHeads, "numHeads");
            this.numKvHeads = numHeads;
            this.hidden = 4 * embedDim;
        }

        /** The MLP's hidden size (default {@code 4E}). */
        public Builder hidden(int hidden) {
            this.hidden = Shapes.positive(hidden, "hidden");
            return this;
        }

        /** Key/value heads of the attention (default {@code H}). */
        public Builder numKvHeads(int numKvHeads) {
            this.numKvHeads = Shapes.positive(numKvHeads, "numKvHeads");
            return this;
        }

        /** Whether the linear layers have biases (default true). */
        public Builder bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /** The norms' epsilon (default 1e-5). */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        /** The GELU form (default {@link Gelu.Form#EXACT}). */
        public Builder gelu(Gelu.Form gelu) {
            this.activation = Activation.of(Objects.requireNonNull(gelu, "gelu"));
            return this;
        }

        /** The MLP's activation (default {@link Activation#GELU}). */
        public Builder activation(Activation activation) {
            this.activation = Objects.requireNonNull(activation, "activation");
            return this;
        }

        /** A gated MLP, {@code down(act(gate(x)) * up(x))}: SwiGLU with {@link Activation#SILU} (default false). */
        public Builder gated(boolean gated) {
            this.gated = gated;
            return this;
        }

        /** RMSNorm instead of LayerNorm (default false). */
        public Builder rmsNorm(boolean rms) {
            this.rms = rms;
            return this;
        }

        /** Where the norms sit (default {@link Placement#PRE_NORM}). */
        public Builder placement(Placement placement) {
            this.placement = Objects.requireNonNull(placement, "placement");
            return this;
        }

        /** RoPE in the attention. */
        public Builder rope(double base, RopeStyle style) {
            this.rope = Rope.of(base, style);
            return this;
        }

        /** RoPE in the attention as a checkpoint configures it (partial rotary, scaling); null: none. */
        public Builder rope(Rope rope) {
            this.rope = rope;
            return this;
        }

        /** ALiBi in the attention. */
        public Builder alibi() {
            this.alibi = true;
            return this;
        }

        /** The seed of the random initialisation (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * The block.
         *
         * @throws IllegalArgumentException when the settings do not fit (e.g. {@code H} does not divide {@code E})
         */
        public TransformerBlock build() {
            SplittableRandom root = new SplittableRandom(seed);
            MultiHeadAttention.Builder mb = MultiHeadAttention.builder(embedDim, numHeads)
                    .numKvHeads(numKvHeads).bias(bias).seed(root.nextLong()).rope(rope);
            if (alibi) {
                mb.alibi();
            }
            MultiHeadAttention mha = mb.build();
            Linear l1 = Linear.random(embedDim, hidden, bias, root.split());
            Linear l2 = Linear.random(hidden, embedDim, bias, root.split());
            Linear g = gated ? Linear.random(embedDim, hidden, bias, root.split()) : null;
            Norm n1 = rms ? new RmsNorm(Shapes.ones(embedDim), eps)
                    : new LayerNorm(Shapes.ones(embedDim), Tensor.zeros(embedDim), eps);
            Norm n2 = rms ? new RmsNorm(Shapes.ones(embedDim), eps)
                    : new LayerNorm(Shapes.ones(embedDim), Tensor.zeros(embedDim), eps);
            return new TransformerBlock(n1, mha, n2, new Mlp(l1, g, l2, activation), placement);
        }
    }
}

package org.attention4j.nn;

import java.util.Objects;
import java.util.SplittableRandom;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;

/**
 * A pre-norm transformer block (as in GPT-2 and ViT):
 * <pre>
 *   h   = x + MHA(LN1(x))
 *   out = h + fc2(GELU(fc1(LN2(h))))
 * </pre>
 * with {@code fc1: E -> hidden} and {@code fc2: hidden -> E}. Stacking blocks over embeddings plus a positional
 * encoding gives a ViT- or GPT-style encoder (pass {@code causal} in the options for a decoder-only model).
 *
 * <p>GELU is the exact erf form by default ({@code torch.nn.GELU()}, BERT, ViT); GPT-2 checkpoints want
 * {@link Gelu.Form#TANH}. Random initialisation: LayerNorms at {@code gamma = 1, beta = 0}, the attention as
 * {@link MultiHeadAttention.Builder} describes, and the MLP as {@code torch.nn.Linear} does. The block is immutable
 * and thread-safe.
 */
public final class TransformerBlock {
    private final LayerNorm norm1;
    private final MultiHeadAttention attention;
    private final LayerNorm norm2;
    private final Linear fc1;
    private final Linear fc2;
    private final Gelu.Form gelu;

    /**
     * A block from its parts.
     *
     * @throws IllegalArgumentException when the parts' sizes do not chain ({@code E} for the norms, the attention's
     *                                  input and output, {@code fc1}'s input and {@code fc2}'s output;
     *                                  {@code fc1}'s output = {@code fc2}'s input), or the attention is not a
     *                                  self-attention layer ({@code kdim = vdim = E})
     */
    public TransformerBlock(LayerNorm norm1, MultiHeadAttention attention, LayerNorm norm2, Linear fc1, Linear fc2,
            Gelu.Form gelu) {
        this.norm1 = Objects.requireNonNull(norm1, "norm1");
        this.attention = Objects.requireNonNull(attention, "attention");
        this.norm2 = Objects.requireNonNull(norm2, "norm2");
        this.fc1 = Objects.requireNonNull(fc1, "fc1");
        this.fc2 = Objects.requireNonNull(fc2, "fc2");
        this.gelu = Objects.requireNonNull(gelu, "gelu");
        int e = attention.embedDim();
        if (attention.kdim() != e || attention.vdim() != e) {
            throw new IllegalArgumentException("attention must be self-attention (kdim = vdim = E=" + e + "), got kdim="
                    + attention.kdim() + ", vdim=" + attention.vdim());
        }
        if (norm1.dim() != e || norm2.dim() != e || fc1.inFeatures() != e || fc2.outFeatures() != e
                || fc1.outFeatures() != fc2.inFeatures()) {
            throw new IllegalArgumentException("block parts do not chain: attention E=" + e + ", norm1 " + norm1.dim()
                    + ", norm2 " + norm2.dim() + ", fc1 " + fc1.inFeatures() + " -> " + fc1.outFeatures() + ", fc2 "
                    + fc2.inFeatures() + " -> " + fc2.outFeatures());
        }
    }

    /** A builder for embedding size {@code embedDim} and {@code numHeads} heads. */
    public static Builder builder(int embedDim, int numHeads) {
        return new Builder(embedDim, numHeads);
    }

    /** The norm before the attention. */
    public LayerNorm norm1() {
        return norm1;
    }

    /** The attention (call it on {@code norm1().forward(x)} to see its weights). */
    public MultiHeadAttention attention() {
        return attention;
    }

    /** The norm before the MLP. */
    public LayerNorm norm2() {
        return norm2;
    }

    /** The MLP's first layer, {@code E -> hidden}. */
    public Linear fc1() {
        return fc1;
    }

    /** The MLP's second layer, {@code hidden -> E}. */
    public Linear fc2() {
        return fc2;
    }

    /** The GELU form of the MLP. */
    public Gelu.Form gelu() {
        return gelu;
    }

    /** The embedding size {@code E}. */
    public int embedDim() {
        return attention.embedDim();
    }

    /**
     * The block applied to {@code x [B, N, E]}, as a new tensor {@code [B, N, E]}. The options go to the attention
     * (causal, masks, key lengths...); weights or log-sum-exp requests are computed but not returned here.
     *
     * @throws IllegalArgumentException when {@code x} is not {@code [B, N, E]} or the options do not fit
     */
    public Tensor forward(AttentionEngine engine, Tensor x, AttentionOptions options) {
        Objects.requireNonNull(engine, "engine");
        Shapes.requireRank3(x, "x", embedDim(), "[B, N, E]");
        // Every step on the engine's threads: the layers' rows too (AttentionEngine.parallelFor).
        float[] h = attention.selfAttention(engine, norm1.forward(engine, x), options).output().data();
        float[] xs = x.data();
        for (int i = 0; i < h.length; i++) {
            h[i] += xs[i];
        }
        Tensor hT = Tensor.of(h, x.shape());
        Tensor u = fc1.forward(engine, norm2.forward(engine, hT));
        Gelu.applyInPlace(u.data(), gelu);
        float[] mlp = fc2.forward(engine, u).data();
        for (int i = 0; i < h.length; i++) {
            mlp[i] += h[i];
        }
        return Tensor.of(mlp, x.shape());
    }

    /** {@link #forward(AttentionEngine, Tensor, AttentionOptions)} with default options. */
    public Tensor forward(AttentionEngine engine, Tensor x) {
        return forward(engine, x, AttentionOptions.DEFAULTS);
    }

    @Override
    public String toString() {
        return "TransformerBlock(" + attention + ", mlp " + fc1.inFeatures() + " -> " + fc1.outFeatures() + " -> "
                + fc2.outFeatures() + ", gelu " + gelu + ")";
    }

    /** Settings of a randomly initialised {@link TransformerBlock}. */
    public static final class Builder {
        private final int embedDim;
        private final int numHeads;
        private int hidden;
        private int numKvHeads;
        private boolean bias = true;
        private double eps = LayerNorm.DEFAULT_EPS;
        private Gelu.Form gelu = Gelu.Form.EXACT;
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

        /** The LayerNorm epsilon (default 1e-5). */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        /** The GELU form (default {@link Gelu.Form#EXACT}). */
        public Builder gelu(Gelu.Form gelu) {
            this.gelu = Objects.requireNonNull(gelu, "gelu");
            return this;
        }

        /** RoPE in the attention. */
        public Builder rope(double base, RopeStyle style) {
            this.rope = Rope.of(base, style);
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
            LayerNorm n1 = new LayerNorm(ones(embedDim), Tensor.zeros(embedDim), eps);
            LayerNorm n2 = new LayerNorm(ones(embedDim), Tensor.zeros(embedDim), eps);
            return new TransformerBlock(n1, mha, n2, l1, l2, gelu);
        }

        private static Tensor ones(int n) {
            float[] a = new float[n];
            java.util.Arrays.fill(a, 1f);
            return Tensor.of(a, n);
        }
    }
}

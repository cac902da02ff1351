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
 * Multi-head attention with input and output projections over {@code batch_first} inputs, as
 * {@code torch.nn.MultiheadAttention(E, H, batch_first=True)} computes it, plus grouped key/value heads, RoPE and
 * ALiBi.
 *
 * <p>For queries {@code x [B, N, E]} and a context {@code [B, M, kdim]} (keys) and {@code [B, M, vdim]} (values),
 * with {@code hd = E / H}:
 * <ol>
 *   <li>{@code q = x Wq^T + bq} {@code [B, N, E]}, {@code k = ctxK Wk^T + bk} and {@code v = ctxV Wv^T + bv}
 *       {@code [B, M, Hkv*hd]};</li>
 *   <li>the heads are split to {@code [B, H, N, hd]} and {@code [B, Hkv, M, hd]} and
 *       {@link AttentionEngine#attention} computes each head on the engine's backend; query head {@code h} reads
 *       key/value head {@code h / (H/Hkv)} (grouped-query attention when {@code Hkv < H}, multi-query when 1);</li>
 *   <li>the heads are merged back to {@code [B, N, E]} and {@code out = o Wo^T + bo}.</li>
 * </ol>
 * Weight layouts are PyTorch's: {@code Wq [E, E]}, {@code Wk [Hkv*hd, kdim]}, {@code Wv [Hkv*hd, vdim]},
 * {@code Wo [E, E]}. The layer's RoPE or ALiBi is merged into the options of each call; everything else in those
 * options (scale, causal, key lengths, masks, window, weights and log-sum-exp requests) passes through, with masks
 * seen as {@code [B, H, N, M]}.
 *
 * <p>Build with {@link #builder(int, int)}, or from PyTorch's packed parameters with
 * {@link #fromPyTorch(int, Tensor, Tensor, Tensor, Tensor)}. The layer is immutable and thread-safe.
 */
public final class MultiHeadAttention {
    private final int embedDim;
    private final int numHeads;
    private final int numKvHeads;
    private final int headDim;
    private final int kdim;
    private final int vdim;
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear outProj;
    private final Rope rope;
    private final boolean alibi;
    private final float[] alibiSlopes;

    private MultiHeadAttention(Builder b, Linear q, Linear k, Linear v, Linear o) {
        this.embedDim = b.embedDim;
        this.numHeads = b.numHeads;
        this.numKvHeads = b.numKvHeads;
        this.headDim = b.embedDim / b.numHeads;
        this.kdim = b.kdim;
        this.vdim = b.vdim;
        this.qProj = q;
        this.kProj = k;
        this.vProj = v;
        this.outProj = o;
        this.rope = b.rope;
        this.alibi = b.alibi;
        this.alibiSlopes = b.alibiSlopes;
    }

    /** A builder for embedding size {@code embedDim} split over {@code numHeads} heads. */
    public static Builder builder(int embedDim, int numHeads) {
        return new Builder(embedDim, numHeads);
    }

    /**
     * The layer with the parameters of a {@code torch.nn.MultiheadAttention(E, H)} whose {@code kdim} and
     * {@code vdim} equal {@code E} (PyTorch then packs the three input projections into one matrix).
     *
     * @param numHeads      {@code H}
     * @param inProjWeight  {@code in_proj_weight [3E, E]}: rows {@code 0..E-1} are Wq, then Wk, then Wv
     * @param inProjBias    {@code in_proj_bias [3E]}, or null when the module has {@code bias=False}
     * @param outProjWeight {@code out_proj.weight [E, E]}
     * @param outProjBias   {@code out_proj.bias [E]}, or null when the module has {@code bias=False}
     * @throws IllegalArgumentException when a shape is wrong or {@code H} does not divide {@code E}
     */
    public static MultiHeadAttention fromPyTorch(int numHeads, Tensor inProjWeight, Tensor inProjBias,
            Tensor outProjWeight, Tensor outProjBias) {
        Objects.requireNonNull(inProjWeight, "inProjWeight");
        if (inProjWeight.rank() != 2 || inProjWeight.dim(0) != 3 * inProjWeight.dim(1)) {
            throw new IllegalArgumentException("inProjWeight must have shape [3E, E], got "
                    + Tensor.shapeString(inProjWeight.shape()));
        }
        return builder(inProjWeight.dim(1), numHeads)
                .bias(inProjBias != null || outProjBias != null)
                .inProj(inProjWeight, inProjBias)
                .outProj(outProjWeight, outProjBias)
                .build();
    }

    /**
     * The layer with the parameters of a {@code torch.nn.MultiheadAttention(E, H, kdim=..., vdim=...)} whose key or
     * value size differs from {@code E}: PyTorch then keeps three separate weights but still one stacked bias.
     *
     * @param numHeads      {@code H}
     * @param qProjWeight   {@code q_proj_weight [E, E]}
     * @param kProjWeight   {@code k_proj_weight [E, kdim]}
     * @param vProjWeight   {@code v_proj_weight [E, vdim]}
     * @param inProjBias    {@code in_proj_bias [3E]} (query, key, value biases stacked), or null without bias
     * @param outProjWeight {@code out_proj.weight [E, E]}
     * @param outProjBias   {@code out_proj.bias [E]}, or null without bias
     * @throws IllegalArgumentException when a shape is wrong or {@code H} does not divide {@code E}
     */
    public static MultiHeadAttention fromPyTorch(int numHeads, Tensor qProjWeight, Tensor kProjWeight,
            Tensor vProjWeight, Tensor inProjBias, Tensor outProjWeight, Tensor outProjBias) {
        Objects.requireNonNull(qProjWeight, "qProjWeight");
        Objects.requireNonNull(kProjWeight, "kProjWeight");
        Objects.requireNonNull(vProjWeight, "vProjWeight");
        if (qProjWeight.rank() != 2 || kProjWeight.rank() != 2 || vProjWeight.rank() != 2) {
            throw new IllegalArgumentException("qProjWeight, kProjWeight and vProjWeight must have rank 2, got "
                    + qProjWeight + ", " + kProjWeight + ", " + vProjWeight);
        }
        int e = qProjWeight.dim(0);
        if (inProjBias != null) {
            Shapes.requireShape(inProjBias, "inProjBias", 3 * e);
        }
        Tensor[] b = PackedProjections.split3(inProjBias, "inProjBias");
        return builder(e, numHeads)
                .kdim(kProjWeight.dim(1))
                .vdim(vProjWeight.dim(1))
                .bias(inProjBias != null || outProjBias != null)
                .qProj(qProjWeight, b[0])
                .kProj(kProjWeight, b[1])
                .vProj(vProjWeight, b[2])
                .outProj(outProjWeight, outProjBias)
                .build();
    }

    /** The embedding size {@code E}. */
    public int embedDim() {
        return embedDim;
    }

    /** The query heads {@code H}. */
    public int numHeads() {
        return numHeads;
    }

    /** The key/value heads {@code Hkv}. */
    public int numKvHeads() {
        return numKvHeads;
    }

    /** The head size {@code hd = E / H}. */
    public int headDim() {
        return headDim;
    }

    /** The feature size of key contexts. */
    public int kdim() {
        return kdim;
    }

    /** The feature size of value contexts. */
    public int vdim() {
        return vdim;
    }

    /** The query projection ({@code E -> E}). */
    public Linear qProj() {
        return qProj;
    }

    /** The key projection ({@code kdim -> Hkv*hd}). */
    public Linear kProj() {
        return kProj;
    }

    /** The value projection ({@code vdim -> Hkv*hd}). */
    public Linear vProj() {
        return vProj;
    }

    /** The output projection ({@code E -> E}). */
    public Linear outProj() {
        return outProj;
    }

    /** The layer's RoPE, or null. */
    public Rope rope() {
        return rope;
    }

    /** Whether the layer adds ALiBi biases. */
    public boolean alibi() {
        return alibi;
    }

    /** Self-attention with default options. */
    public AttentionResult selfAttention(AttentionEngine engine, Tensor x) {
        return selfAttention(engine, x, AttentionOptions.DEFAULTS);
    }

    /**
     * Self-attention: queries, keys and values all from {@code x [B, N, E]} (requires {@code kdim = vdim = E}).
     *
     * @param options per-call options (null = defaults); the layer's RoPE/ALiBi are merged in
     * @throws IllegalArgumentException when shapes or options do not fit, naming the argument and the shapes
     */
    public AttentionResult selfAttention(AttentionEngine engine, Tensor x, AttentionOptions options) {
        if (kdim != embedDim || vdim != embedDim) {
            throw new IllegalArgumentException("self-attention needs kdim = vdim = E, but this layer has E="
                    + embedDim + ", kdim=" + kdim + ", vdim=" + vdim + "; use crossAttention");
        }
        return attend(engine, x, x, "x", x, "x", options);
    }

    /**
     * Cross-attention: queries from {@code x [B, N, E]}, keys and values from {@code context [B, M, kdim]}
     * (requires {@code kdim = vdim}).
     *
     * @throws IllegalArgumentException when shapes or options do not fit, naming the argument and the shapes
     */
    public AttentionResult crossAttention(AttentionEngine engine, Tensor x, Tensor context,
            AttentionOptions options) {
        if (kdim != vdim) {
            throw new IllegalArgumentException("one context for keys and values needs kdim = vdim, but this layer has"
                    + " kdim=" + kdim + ", vdim=" + vdim + "; pass a separate value context");
        }
        return attend(engine, x, context, "context", context, "context", options);
    }

    /**
     * Cross-attention: queries from {@code x [B, N, E]}, keys from {@code keyContext [B, M, kdim]} and values from
     * {@code valueContext [B, M, vdim]}.
     *
     * @throws IllegalArgumentException when shapes or options do not fit, naming the argument and the shapes
     */
    public AttentionResult crossAttention(AttentionEngine engine, Tensor x, Tensor keyContext,
            Tensor valueContext, AttentionOptions options) {
        return attend(engine, x, keyContext, "keyContext", valueContext, "valueContext", options);
    }

    private AttentionResult attend(AttentionEngine engine, Tensor x, Tensor kc, String kName, Tensor vc,
            String vName, AttentionOptions options) {
        Objects.requireNonNull(engine, "engine");
        Shapes.requireRank3(x, "x", embedDim, "[B, N, E]");
        Shapes.requireRank3(kc, kName, kdim, "[B, M, kdim]");
        Shapes.requireRank3(vc, vName, vdim, "[B, M, vdim]");
        int batch = x.dim(0);
        int n = x.dim(1);
        int m = kc.dim(1);
        if (kc.dim(0) != batch || vc.dim(0) != batch || vc.dim(1) != m) {
            throw new IllegalArgumentException("x " + x + ", " + kName + " " + kc + " and " + vName + " " + vc
                    + " must share the batch B, and the contexts the length M");
        }
        AttentionOptions merged = mergeOptions(options);
        int kvWidth = numKvHeads * headDim;
        float[] q = project(engine, qProj, x, batch * n, embedDim);
        float[] k = project(engine, kProj, kc, batch * m, kvWidth);
        float[] v = project(engine, vProj, vc, batch * m, kvWidth);
        AttentionResult r = engine.attention(
                Tensor.of(Heads.split(q, batch, n, numHeads, headDim), batch, numHeads, n, headDim),
                Tensor.of(Heads.split(k, batch, m, numKvHeads, headDim), batch, numKvHeads, m, headDim),
                Tensor.of(Heads.split(v, batch, m, numKvHeads, headDim), batch, numKvHeads, m, headDim),
                merged);
        float[] o = Heads.merge(r.output().data(), batch, n, numHeads, headDim);
        float[] y = new float[batch * n * embedDim];
        outProj.apply(engine, o, batch * n, y);
        return new AttentionResult(Tensor.of(y, batch, n, embedDim), r.weights().orElse(null),
                r.logSumExp().orElse(null), r.backend());
    }

    private static float[] project(AttentionEngine engine, Linear layer, Tensor in, int rows, int width) {
        float[] out = new float[(int) Tensor.elementCount(new int[] {rows, width}, "projection of " + in)];
        layer.apply(engine, in.data(), rows, out);
        return out;
    }

    /**
     * The caller's options with the layer's RoPE and ALiBi added. A RoPE already in the options is kept (so that a
     * caller can pass explicit positions, e.g. when decoding with a KV cache) but must have the layer's base and
     * style; ALiBi already in the options (possibly with explicit slopes) is kept as given.
     *
     * @throws IllegalArgumentException when the options' RoPE conflicts with the layer's
     */
    public AttentionOptions mergeOptions(AttentionOptions options) {
        AttentionOptions o = options == null ? AttentionOptions.DEFAULTS : options;
        if (rope == null && !alibi) {
            return o;
        }
        AttentionOptions.Builder b = o.toBuilder();
        if (rope != null) {
            Rope given = o.rope();
            if (given == null) {
                b.rope(rope);
            } else if (!given.sameRotation(rope)) {
                throw new IllegalArgumentException("options rope (" + given.describe()
                        + ") conflicts with the layer's rope (" + rope.describe() + "); only the positions may differ");
            }
        }
        if (alibi && !o.alibi()) {
            if (alibiSlopes != null) {
                b.alibiSlopes(alibiSlopes);
            } else {
                b.alibi();
            }
        }
        return b.build();
    }

    @Override
    public String toString() {
        return "MultiHeadAttention(E=" + embedDim + ", H=" + numHeads + ", Hkv=" + numKvHeads + ", kdim=" + kdim
                + ", vdim=" + vdim + (rope != null ? ", rope " + rope.style() + "@" + rope.base() : "")
                + (alibi ? ", alibi" : "") + ")";
    }

    /**
     * Settings of a {@link MultiHeadAttention}. Projections not given explicitly are drawn from the seed (default
     * 0, so that an unseeded layer is still reproducible): Wq, Wk and Wv from the Xavier/Glorot uniform
     * distribution of each matrix (what PyTorch does when it keeps them separate), Wo from {@code torch.nn.Linear}'s
     * {@code U(-1/sqrt(E), 1/sqrt(E))}, and every bias zero, as {@code torch.nn.MultiheadAttention} initialises
     * them. Each projection has its own stream split from the seed, so giving one explicitly does not change the
     * others.
     */
    public static final class Builder {
        private final int embedDim;
        private final int numHeads;
        private int numKvHeads;
        private int kdim;
        private int vdim;
        private boolean bias = true;
        private long seed;
        private Rope rope;
        private boolean alibi;
        private float[] alibiSlopes;
        private Tensor[] q;
        private Tensor[] k;
        private Tensor[] v;
        private Tensor[] o;
        private Tensor[] inProj;

        private Builder(int embedDim, int numHeads) {
            this.embedDim = Shapes.positive(embedDim, "embedDim");
            this.numHeads = Shapes.positive(numHeads, "numHeads");
            if (embedDim % numHeads != 0) {
                throw new IllegalArgumentException("embedDim E=" + embedDim + " is not divisible by numHeads H="
                        + numHeads);
            }
            this.numKvHeads = numHeads;
            this.kdim = embedDim;
            this.vdim = embedDim;
        }

        /** Key/value heads {@code Hkv} (default {@code H}); {@code H % Hkv == 0}. */
        public Builder numKvHeads(int numKvHeads) {
            Shapes.positive(numKvHeads, "numKvHeads");
            if (numHeads % numKvHeads != 0) {
                throw new IllegalArgumentException("numHeads H=" + numHeads + " is not a multiple of numKvHeads Hkv="
                        + numKvHeads);
            }
            this.numKvHeads = numKvHeads;
            return this;
        }

        /** Feature size of the key context (default {@code E}). */
        public Builder kdim(int kdim) {
            this.kdim = Shapes.positive(kdim, "kdim");
            return this;
        }

        /** Feature size of the value context (default {@code E}). */
        public Builder vdim(int vdim) {
            this.vdim = Shapes.positive(vdim, "vdim");
            return this;
        }

        /** Whether the projections have biases (default true). Explicit biases are refused when false. */
        public Builder bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /** The seed of the random initialisation (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** RoPE applied to the query and key heads inside the attention (null removes it); needs an even hd. */
        public Builder rope(Rope rope) {
            this.rope = rope;
            return this;
        }

        /** RoPE with default positions. */
        public Builder rope(double base, RopeStyle style) {
            return rope(Rope.of(base, style));
        }

        /** ALiBi with the paper's slopes for {@code H} heads. */
        public Builder alibi() {
            this.alibi = true;
            this.alibiSlopes = null;
            return this;
        }

        /** ALiBi with explicit slopes, one per query head. */
        public Builder alibiSlopes(float... slopes) {
            Objects.requireNonNull(slopes, "slopes");
            this.alibi = true;
            this.alibiSlopes = slopes.clone();
            return this;
        }

        /** The query projection: weight {@code [E, E]}, bias {@code [E]} or null. */
        public Builder qProj(Tensor weight, Tensor bias) {
            this.q = new Tensor[] {Objects.requireNonNull(weight, "qProj weight"), bias};
            return this;
        }

        /** The key projection: weight {@code [Hkv*hd, kdim]}, bias {@code [Hkv*hd]} or null. */
        public Builder kProj(Tensor weight, Tensor bias) {
            this.k = new Tensor[] {Objects.requireNonNull(weight, "kProj weight"), bias};
            return this;
        }

        /** The value projection: weight {@code [Hkv*hd, vdim]}, bias {@code [Hkv*hd]} or null. */
        public Builder vProj(Tensor weight, Tensor bias) {
            this.v = new Tensor[] {Objects.requireNonNull(weight, "vProj weight"), bias};
            return this;
        }

        /** The output projection: weight {@code [E, E]}, bias {@code [E]} or null. */
        public Builder outProj(Tensor weight, Tensor bias) {
            this.o = new Tensor[] {Objects.requireNonNull(weight, "outProj weight"), bias};
            return this;
        }

        /**
         * PyTorch's packed input projection: {@code in_proj_weight [3E, E]} (Wq, Wk, Wv stacked) and
         * {@code in_proj_bias [3E]} or null. Only for {@code kdim = vdim = E} and {@code Hkv = H}, the case where
         * PyTorch packs them; otherwise give {@code q_proj_weight}, {@code k_proj_weight} and {@code v_proj_weight}
         * through {@link #qProj}, {@link #kProj} and {@link #vProj}.
         */
        public Builder inProj(Tensor weight, Tensor bias) {
            this.inProj = new Tensor[] {Objects.requireNonNull(weight, "inProj weight"), bias};
            return this;
        }

        /**
         * The layer.
         *
         * @throws IllegalArgumentException when settings or parameter shapes do not fit, naming them
         */
        public MultiHeadAttention build() {
            int hd = embedDim / numHeads;
            int kvWidth = numKvHeads * hd;
            if (rope != null && hd % 2 != 0) {
                throw new IllegalArgumentException("rope needs an even head dim, got hd = E/H = " + embedDim + "/"
                        + numHeads + " = " + hd);
            }
            if (alibiSlopes != null && alibiSlopes.length != numHeads) {
                throw new IllegalArgumentException("alibiSlopes has " + alibiSlopes.length + " entries but there are H="
                        + numHeads + " heads");
            }
            Tensor[][] qkv = inProj != null ? unpackInProj() : new Tensor[][] {q, k, v};
            SplittableRandom root = new SplittableRandom(seed);
            SplittableRandom rq = root.split();
            SplittableRandom rk = root.split();
            SplittableRandom rv = root.split();
            SplittableRandom ro = root.split();
            Linear lq = make(qkv[0], "qProj", embedDim, embedDim, rq, false);
            Linear lk = make(qkv[1], "kProj", kvWidth, kdim, rk, false);
            Linear lv = make(qkv[2], "vProj", kvWidth, vdim, rv, false);
            Linear lo = make(o, "outProj", embedDim, embedDim, ro, true);
            return new MultiHeadAttention(this, lq, lk, lv, lo);
        }

        /** The packed projection as {@code {{Wq, bq}, {Wk, bk}, {Wv, bv}}}; the builder is left unchanged. */
        private Tensor[][] unpackInProj() {
            if (q != null || k != null || v != null) {
                throw new IllegalArgumentException("give either inProj or qProj/kProj/vProj, not both");
            }
            if (kdim != embedDim || vdim != embedDim || numKvHeads != numHeads) {
                throw new IllegalArgumentException("a packed inProj needs kdim = vdim = E and Hkv = H, but E="
                        + embedDim + ", kdim=" + kdim + ", vdim=" + vdim + ", H=" + numHeads + ", Hkv=" + numKvHeads
                        + "; give qProj, kProj and vProj separately");
            }
            Shapes.requireShape(inProj[0], "inProj weight", 3 * embedDim, embedDim);
            if (inProj[1] != null) {
                Shapes.requireShape(inProj[1], "inProj bias", 3 * embedDim);
            }
            Tensor[] w = PackedProjections.split3(inProj[0], "inProj weight");
            Tensor[] b = PackedProjections.split3(inProj[1], "inProj bias");
            return new Tensor[][] {{w[0], b[0]}, {w[1], b[1]}, {w[2], b[2]}};
        }

        private Linear make(Tensor[] given, String name, int out, int in, SplittableRandom rnd, boolean isOutput) {
            if (given != null) {
                Shapes.requireShape(given[0], name + " weight", out, in);
                if (given[1] != null) {
                    if (!bias) {
                        throw new IllegalArgumentException(name + " bias given but the layer was built with bias(false)");
                    }
                    Shapes.requireShape(given[1], name + " bias", out);
                }
                return new Linear(given[0], given[1]);
            }
            float[] w = isOutput ? Init.linearDefault(out * in, in, rnd) : Init.xavierUniform(out, in, rnd);
            return new Linear(Tensor.of(w, out, in), bias ? Tensor.zeros(out) : null);
        }
    }
}

package org.attention4j.spi;

import java.util.Objects;

import org.attention4j.AttentionOptions;
import org.attention4j.KvCache;
import org.attention4j.Tensor;

/**
 * One decode step, validated: {@code q [B, Hq, Nq, D]} with {@code 1 <= Nq <= }{@link #MAX_QUERIES} new queries
 * against the keys and values in a {@link KvCache}, whose lengths are read once here. Batch entry {@code b} is
 * the ordinary problem with {@code Nk = L_b = cache.length(b)} keys, so its diagonal is {@code L_b - Nq}: query
 * {@code i} sits at position {@code L_b - Nq + i} for causal masks, windows, ALiBi and RoPE (the new tokens'
 * keys are expected to be appended before the call, as in FlashAttention's {@code flash_attn_with_kvcache}).
 *
 * <p>Options: scale, causal (both alignments), ALiBi, window, RoPE with default positions, log-sum-exp. Key
 * lengths (the cache has them), start positions, user masks, explicit RoPE positions and weights are refused.
 */
public final class DecodeProblem {
    /** The most new queries one decode step takes (what the split-KV decode kernels are built for). */
    public static final int MAX_QUERIES = 16;

    private final Tensor q;
    private final int[] qShape;
    private final KvCache cache;
    private final AttentionOptions options;
    private final int[] lengths;
    private final float[] alibiSlopes;

    private DecodeProblem(Tensor q, int[] qShape, KvCache cache, AttentionOptions options) {
        this.q = q;
        this.qShape = qShape.clone();
        this.cache = cache;
        this.options = options;
        String shapes = "(q " + Tensor.shapeString(qShape) + ", cache " + cache + ")";
        if (qShape.length != 4) {
            throw new IllegalArgumentException("q must have rank 4 [B, Hq, Nq, D], got shape "
                    + Tensor.shapeString(qShape));
        }
        if (cache.isClosed()) {
            throw new IllegalArgumentException("cache is closed " + shapes);
        }
        if (qShape[0] != cache.batch()) {
            throw new IllegalArgumentException("batch B of q (" + qShape[0] + ") differs from the cache's ("
                    + cache.batch() + ") " + shapes);
        }
        if (qShape[3] != cache.dim()) {
            throw new IllegalArgumentException("head dim D of q (" + qShape[3] + ") differs from the cache's ("
                    + cache.dim() + ") " + shapes);
        }
        if (qShape[1] < 1 || qShape[1] % cache.kvHeads() != 0) {
            throw new IllegalArgumentException("query heads Hq=" + qShape[1] + " are not a multiple of the cache's "
                    + "key/value heads Hkv=" + cache.kvHeads() + " " + shapes);
        }
        if (qShape[2] < 1 || qShape[2] > MAX_QUERIES) {
            throw new IllegalArgumentException("decode takes 1 to " + MAX_QUERIES + " new queries, got Nq="
                    + qShape[2] + " " + shapes + "; use attention() for longer prompts");
        }
        if (options.hasStartPositions()) {
            throw new IllegalArgumentException("start positions do not apply to decode: the new tokens sit after the "
                    + "cache's L_b keys");
        }
        if (options.kvLengths() != null) {
            throw new IllegalArgumentException("kvLengths do not apply to decode: the cache's lengths are used");
        }
        if (options.mask() != null) {
            throw new IllegalArgumentException("a user mask does not apply to decode (the key count differs per "
                    + "batch entry); use attention() with the cached keys");
        }
        if (options.returnWeights()) {
            throw new IllegalArgumentException("decode does not return weights; use attention() with the cached "
                    + "keys for an attention map");
        }
        if (options.rope() != null) {
            if (options.rope().queryPositions() != null || options.rope().keyPositions() != null) {
                throw new IllegalArgumentException("decode places RoPE by the cache's lengths; explicit positions "
                        + "are not taken");
            }
        }
        ProblemRules.ropeDim(options, qShape[3], shapes);
        alibiSlopes = ProblemRules.alibiSlopes(options, qShape[1], shapes);
        this.lengths = cache.lengths();
    }

    /**
     * Validates one decode step.
     *
     * @throws IllegalArgumentException naming the argument and the shapes when anything is off
     */
    public static DecodeProblem of(Tensor q, KvCache cache, AttentionOptions options) {
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(cache, "cache");
        return new DecodeProblem(q, q.shape(), cache, options == null ? AttentionOptions.DEFAULTS : options);
    }

    /**
     * Validates a decode step whose queries live elsewhere (device tensors): {@link #q()} is then null.
     *
     * @throws IllegalArgumentException naming the argument and the shapes when anything is off
     */
    public static DecodeProblem ofShape(int[] qShape, KvCache cache, AttentionOptions options) {
        Objects.requireNonNull(qShape, "qShape");
        Objects.requireNonNull(cache, "cache");
        return new DecodeProblem(null, qShape, cache, options == null ? AttentionOptions.DEFAULTS : options);
    }

    /** The new queries {@code [B, Hq, Nq, D]}, or null for {@link #ofShape}. */
    public Tensor q() {
        return q;
    }

    /** The cache. */
    public KvCache cache() {
        return cache;
    }

    /** The options as given. */
    public AttentionOptions options() {
        return options;
    }

    /** B. */
    public int batch() {
        return qShape[0];
    }

    /** Hq. */
    public int heads() {
        return qShape[1];
    }

    /** Nq. */
    public int nq() {
        return qShape[2];
    }

    /** D. */
    public int dim() {
        return qShape[3];
    }

    /** The cache's lengths when the call was validated (copy). */
    public int[] lengths() {
        return lengths.clone();
    }

    /** {@code L_b}, the keys batch entry {@code b} attends to. */
    public int length(int b) {
        return lengths[ProblemRules.batchEntry("batch entry b", b, lengths.length)];
    }

    /** The resolved scale. */
    public double scale() {
        return options.scale() != null ? options.scale() : 1.0 / Math.sqrt(dim());
    }

    /** ALiBi slopes per query head (not a copy: do not modify), or null without ALiBi. */
    public float[] alibiSlopes() {
        return alibiSlopes;
    }

    /** A short description of the shapes, for messages and logs. */
    public String describe() {
        return "decode B=" + batch() + " Hq=" + heads() + " Hkv=" + cache.kvHeads() + " Nq=" + nq() + " L="
                + java.util.Arrays.toString(lengths) + " D=" + dim() + " Dv=" + cache.valueDim();
    }
}

package org.attention4j.nn;

import java.util.List;
import java.util.Objects;

import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Causal;
import org.attention4j.Tensor;

/**
 * A stack of {@link TransformerBlock}s and an optional final norm: the body of ViT ({@code vit.encoder} plus
 * {@code vit.layernorm}), CLIP's text and vision towers (causal for the text one), BERT (no final norm). Every
 * block runs with the same options (causal for a text tower or a decoder-only model). Immutable and thread-safe.
 */
public final class Encoder {
    private final List<TransformerBlock> blocks;
    private final Norm finalNorm;
    private final boolean causal;

    /**
     * @param blocks    the blocks, in order; at least one, all of the same embedding size
     * @param finalNorm the norm after the last block, or null for none
     * @param causal    whether every block's attention is causal
     */
    public Encoder(List<TransformerBlock> blocks, Norm finalNorm, boolean causal) {
        Objects.requireNonNull(blocks, "blocks");
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("an encoder needs at least one block");
        }
        int e = blocks.get(0).embedDim();
        for (int i = 0; i < blocks.size(); i++) {
            TransformerBlock b = Objects.requireNonNull(blocks.get(i), "block " + i);
            if (b.embedDim() != e) {
                throw new IllegalArgumentException("block " + i + " has E=" + b.embedDim() + ", block 0 has E=" + e);
            }
        }
        if (finalNorm != null && finalNorm.dim() != e) {
            throw new IllegalArgumentException("final norm has E=" + finalNorm.dim() + ", the blocks E=" + e);
        }
        this.blocks = List.copyOf(blocks);
        this.finalNorm = finalNorm;
        this.causal = causal;
    }

    /** The blocks, in order. */
    public List<TransformerBlock> blocks() {
        return blocks;
    }

    /** The number of blocks. */
    public int layers() {
        return blocks.size();
    }

    /** The embedding size {@code E}. */
    public int embedDim() {
        return blocks.get(0).embedDim();
    }

    /** {@code x [B, N, E]} through every block and the final norm: a new {@code [B, N, E]}. */
    public Tensor forward(AttentionEngine engine, Tensor x) {
        return forwardWithWeights(engine, x, -1).output();
    }

    /**
     * As {@link #forward}, with the attention map of block {@code layer} ({@code [B, H, N, N]}) in the result's
     * weights; {@code layer = -1}: no map.
     *
     * @throws IllegalArgumentException when {@code layer} is not in {@code [-1, layers())}, or {@code x} does not fit
     */
    public AttentionResult forwardWithWeights(AttentionEngine engine, Tensor x, int layer) {
        if (layer < -1 || layer >= blocks.size()) {
            throw new IllegalArgumentException("layer must be in [0, " + blocks.size() + ") (or -1 for none), got "
                    + layer);
        }
        AttentionOptions plain = causal ? AttentionOptions.builder().causal().build() : AttentionOptions.DEFAULTS;
        AttentionOptions mapped = AttentionOptions.builder().causal(causal ? Causal.BOTTOM_RIGHT : Causal.NONE)
                .returnWeights(true).build();
        Tensor h = x;
        AttentionResult map = null;
        for (int i = 0; i < blocks.size(); i++) {
            if (i == layer) {
                map = blocks.get(i).forwardWithWeights(engine, h, mapped);
                h = map.output();
            } else {
                h = blocks.get(i).forward(engine, h, plain);
            }
        }
        Tensor out = finalNorm == null ? h : finalNorm.forward(engine, h);
        return new AttentionResult(out, map == null ? null : map.weights().orElse(null), null,
                map == null ? engine.backend() : map.backend());
    }
}

package org.attention4j.nn;

import org.attention4j.AttentionEngine;
import org.attention4j.Tensor;

/** A per-row normalisation of a block: {@link LayerNorm} or {@link RmsNorm}. */
public sealed interface Norm permits LayerNorm, RmsNorm {
    /** The feature count {@code E}. */
    int dim();

    /**
     * Normalises every row of {@code x [..., E]} into a new tensor, the rows on {@code engine}'s workers when it
     * is given and the work is large, else on the calling thread.
     */
    Tensor forward(AttentionEngine engine, Tensor x);
}

package org.attention4j;

/**
 * Causal masking and its alignment when the query and key lengths differ.
 *
 * <p>With {@code Nq} queries and {@code Nk} keys, {@link #BOTTOM_RIGHT} lets query {@code i} see key {@code j}
 * when {@code j <= i + Nk - Nq}: the last query sees every key, as when decoding new tokens against a KV cache
 * (FlashAttention's convention). {@link #TOP_LEFT} lets it see {@code j <= i} (PyTorch's {@code is_causal}).
 * Both agree when {@code Nq == Nk}.
 */
public enum Causal {
    /** No causal mask. */
    NONE,
    /** Key {@code j} visible to query {@code i} when {@code j <= i + Nk - Nq} (the default causal alignment). */
    BOTTOM_RIGHT,
    /** Key {@code j} visible to query {@code i} when {@code j <= i}. */
    TOP_LEFT
}

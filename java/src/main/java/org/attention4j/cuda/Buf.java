package org.attention4j.cuda;

/**
 * The named device buffers of both paths' programs ({@link CublasProgram}, {@link FlashProgram}): what the caller
 * gives (inputs, outputs, a KV cache), the small arrays a run uploads, and the workspaces it takes from the
 * caching allocator. One name space, so that the commands both paths share (copies, RoPE) mean the same buffers.
 */
enum Buf {
    /** Given by the caller: inputs, outputs, weights, the KV cache, its rotated keys and the tokens to append. */
    Q, K, V, OUT, LSE, WEIGHTS, K_CACHE, V_CACHE, K_ROT, K_NEW, V_NEW,
    /** Rotated copies of Q and K, when the inputs must not change. */
    QR, KR,
    /** The fused path's output in the storage type before conversion to fp32, and its lse when only weights need it. */
    O_T, LSE_T,
    /** Uploaded arrays. */
    KV_LENGTHS, DIAGONALS, BOOL_MASK, FLOAT_MASK, SLOPES, Q_POSITIONS, K_POSITIONS, ROPE_FREQ, CU_Q, CU_K, CACHE_LENS,
    NEW_LENS,
    /** The cuBLAS path's workspaces: scores, probabilities, split-softmax partials. */
    S, P, PARTIAL,
    /** The fused decode's workspaces: partial outputs and their lse. */
    PART_O, PART_LSE
}

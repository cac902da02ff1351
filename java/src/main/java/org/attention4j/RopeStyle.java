package org.attention4j;

/** Which elements of a head vector RoPE rotates together. */
public enum RopeStyle {
    /** {@code x[i]} with {@code x[i + D/2]} (GPT-NeoX, Hugging Face Llama). */
    HALF,
    /** {@code x[2i]} with {@code x[2i + 1]} (GPT-J, the RoPE paper). */
    INTERLEAVED
}

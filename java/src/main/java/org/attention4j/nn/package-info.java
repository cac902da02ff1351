/**
 * Neural-network layers built on {@link org.attention4j.AttentionEngine}: {@link org.attention4j.nn.Linear},
 * {@link org.attention4j.nn.MultiHeadAttention} (self- and cross-attention, grouped KV heads, RoPE, ALiBi, PyTorch's
 * packed {@code in_proj}), {@link org.attention4j.nn.LayerNorm}, {@link org.attention4j.nn.Gelu}, sinusoidal and
 * learned positional encodings, and a pre-norm {@link org.attention4j.nn.TransformerBlock}.
 *
 * <p>Conventions: host {@code float[]} tensors, PyTorch's {@code batch_first} layout ({@code [B, N, E]}) and
 * PyTorch's weight layouts ({@code [out, in]} for linear weights), so that parameters exported from PyTorch drop in
 * unchanged. The projections, norms and activations run on the CPU; the attention itself runs on whatever backend
 * the engine passed to {@code forward} uses. Layers copy the parameters they are given and are immutable, hence
 * safe to share between threads.
 */
package org.attention4j.nn;

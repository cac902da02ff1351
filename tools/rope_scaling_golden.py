#!/usr/bin/env python3
"""Inverse RoPE frequencies of the scalings real checkpoints use, computed independently of the Java code.

Follows Hugging Face transformers' modeling_rope_utils (_compute_default/linear/llama3/yarn_parameters) step by
step, vectorised in NumPy float64 (transformers itself works in float32), plus the NTK-aware base change
base * alpha^(R / (R - 2)). Writes one line per case:

    <name> <base> <rotary_dim> <attention_factor> <inv_freq_0> <inv_freq_1> ...

Used by RopeScalingTest (java/src/test/resources/org/attention4j/rope_scaling_golden.txt). Regenerate with:
    python3 tools/rope_scaling_golden.py > java/src/test/resources/org/attention4j/rope_scaling_golden.txt
"""
import math

import numpy as np


def default(base, dim):
    return 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))


def linear(base, dim, factor):
    return default(base, dim) / factor, 1.0


def ntk(base, dim, alpha):
    return default(base * alpha ** (dim / (dim - 2)), dim), 1.0


def llama3(base, dim, factor, low_freq_factor, high_freq_factor, old_context_len):
    inv_freq = default(base, dim)
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = np.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
    medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
    return np.where(medium, smoothed, inv_freq_llama), 1.0


def yarn(base, dim, factor, original_max, beta_fast=32.0, beta_slow=1.0, attention_factor=None, truncate=True):
    def correction_dim(rotations):
        return (dim * math.log(original_max / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
    pos_freqs = base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    extrapolation = 1.0 / pos_freqs
    interpolation = 1.0 / (factor * pos_freqs)
    extrapolation_factor = 1 - ramp
    inv_freq = interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor
    if attention_factor is None:
        attention_factor = 1.0 if factor <= 1 else 0.1 * math.log(factor) + 1.0
    return inv_freq, attention_factor


CASES = [
    ("linear_x4", 10000.0, 128, lambda b, d: linear(b, d, 4.0)),
    ("ntk_alpha8", 10000.0, 128, lambda b, d: ntk(b, d, 8.0)),
    ("llama31", 500000.0, 128, lambda b, d: llama3(b, d, 8.0, 1.0, 4.0, 8192)),
    ("llama3_partial", 10000.0, 32, lambda b, d: llama3(b, d, 4.0, 1.0, 4.0, 2048)),
    ("yarn_qwen", 1000000.0, 128, lambda b, d: yarn(b, d, 4.0, 32768)),
    ("yarn_small", 10000.0, 64, lambda b, d: yarn(b, d, 16.0, 4096, 32.0, 1.0, None, False)),
    ("yarn_given_factor", 10000.0, 40, lambda b, d: yarn(b, d, 2.0, 2048, 16.0, 2.0, 1.25, True)),
]

if __name__ == "__main__":
    for name, base, dim, f in CASES:
        inv, att = f(base, dim)
        print(name, repr(base), dim, repr(float(att)), " ".join(repr(float(x)) for x in inv))

package org.attention4j.nn;

import java.util.Objects;

import org.attention4j.AttentionEngine;
import org.attention4j.Tensor;

/**
 * ViT's input: an image {@code [B, C, H, W]} cut into {@code P x P} patches, each projected to {@code E} (the
 * {@code Conv2d(C, E, kernel P, stride P)} of {@code embeddings.patch_embeddings.projection}, as a matrix product),
 * a class token in front and learned positions added: {@code [B, 1 + (H/P)(W/P), E]}. Patches are taken row by row
 * ({@code p = py * (W/P) + px}), as the convolution's output is flattened. Immutable and thread-safe.
 */
public final class PatchEmbedding {
    private final int patch;
    private final int channels;
    private final Linear projection;
    private final float[] classToken;
    private final Tensor positions;

    /**
     * @param weight    the convolution's weight {@code [E, C, P, P]}
     * @param bias      its bias {@code [E]}, or null
     * @param classToken the class token {@code [1, 1, E]} (or {@code [E]}), or null for none (DeiT without, some
     *                  ViT variants)
     * @param positions the position embeddings {@code [1, T, E]} (or {@code [T, E]}), {@code T} the tokens
     *                  including the class token
     */
    public PatchEmbedding(Tensor weight, Tensor bias, Tensor classToken, Tensor positions) {
        Objects.requireNonNull(weight, "weight");
        Objects.requireNonNull(positions, "positions");
        if (weight.rank() != 4 || weight.dim(2) != weight.dim(3)) {
            throw new IllegalArgumentException("patch projection weight must be [E, C, P, P], got " + weight);
        }
        int e = weight.dim(0);
        this.channels = weight.dim(1);
        this.patch = weight.dim(2);
        this.projection = new Linear(Tensor.of(weight.data(), e, channels * patch * patch), bias);
        if (classToken != null && classToken.size() != e) {
            throw new IllegalArgumentException("class token must hold E=" + e + " values, got " + classToken);
        }
        this.classToken = classToken == null ? null : classToken.data();
        if (positions.size() % e != 0 || positions.dim(positions.rank() - 1) != e) {
            throw new IllegalArgumentException("position embeddings must be [1, T, E] with E=" + e + ", got "
                    + positions);
        }
        this.positions = Tensor.of(positions.data(), positions.size() / e, e);
    }

    /** The patch size {@code P}. */
    public int patch() {
        return patch;
    }

    /** The patches an image must make: the position table's tokens less the class token. */
    public int patches() {
        return positions.dim(0) - (classToken == null ? 0 : 1);
    }

    /** The embedding size {@code E}. */
    public int embedDim() {
        return projection.outFeatures();
    }

    /**
     * The tokens of {@code image [B, C, H, W]}: {@code [B, T, E]}.
     *
     * @throws IllegalArgumentException when the image is not {@code [B, C, H, W]} with this channel count, H and W
     *                                  multiples of P, and as many patches as the position table expects
     */
    public Tensor forward(AttentionEngine engine, Tensor image) {
        Objects.requireNonNull(image, "image");
        if (image.rank() != 4 || image.dim(1) != channels || image.dim(2) % patch != 0 || image.dim(3) % patch != 0) {
            throw new IllegalArgumentException("image must be [B, C=" + channels + ", H, W] with H and W multiples of "
                    + "the patch size " + patch + ", got " + image);
        }
        int b = image.dim(0);
        int h = image.dim(2);
        int w = image.dim(3);
        int gx = w / patch;
        int np = (h / patch) * gx;
        int cls = classToken == null ? 0 : 1;
        int t = np + cls;
        if (positions.dim(0) != t) {
            throw new IllegalArgumentException("image " + image + " makes " + np + " patches" + (cls == 1
                    ? " + 1 class token" : "") + " = " + t + " tokens, the position table has " + positions.dim(0));
        }
        int k = channels * patch * patch;
        float[] img = image.data();
        float[] cols = new float[b * np * k];   // each patch flattened as (c, i, j), the weight's order
        for (int s = 0; s < b; s++) {
            for (int p = 0; p < np; p++) {
                int y0 = (p / gx) * patch;
                int x0 = (p % gx) * patch;
                int o = (s * np + p) * k;
                for (int c = 0; c < channels; c++) {
                    for (int i = 0; i < patch; i++) {
                        System.arraycopy(img, ((s * channels + c) * h + y0 + i) * w + x0, cols, o, patch);
                        o += patch;
                    }
                }
            }
        }
        float[] proj = projection.forward(engine, Tensor.of(cols, b * np, k)).data();
        int e = embedDim();
        float[] out = new float[b * t * e];
        float[] pos = positions.data();
        for (int s = 0; s < b; s++) {
            for (int tok = 0; tok < t; tok++) {
                int o = (s * t + tok) * e;
                for (int c = 0; c < e; c++) {
                    float v = tok < cls ? classToken[c] : proj[(s * np + tok - cls) * e + c];
                    out[o + c] = v + pos[tok * e + c];
                }
            }
        }
        return Tensor.of(out, b, t, e);
    }
}

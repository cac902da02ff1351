package org.attention4j.nn;

import org.attention4j.Tensor;

/**
 * Unpacks PyTorch's stacked input-projection parameters ({@code in_proj_weight [3E, E]}, {@code in_proj_bias [3E]})
 * into the query, key and value parts, which PyTorch stacks in that order along the first dimension.
 */
final class PackedProjections {
    private PackedProjections() {
    }

    /** The three equal slices of {@code t} along its first dimension; null stays null. */
    static Tensor[] split3(Tensor t, String name) {
        if (t == null) {
            return new Tensor[3];
        }
        if (t.rank() < 1 || t.dim(0) % 3 != 0 || t.dim(0) == 0) {
            throw new IllegalArgumentException(name + " must stack three parts along its first dimension, got "
                    + Tensor.shapeString(t.shape()));
        }
        int[] shape = t.shape();
        shape[0] /= 3;
        int part = t.size() / 3;
        Tensor[] out = new Tensor[3];
        for (int p = 0; p < 3; p++) {
            float[] d = new float[part];
            System.arraycopy(t.data(), p * part, d, 0, part);
            out[p] = Tensor.of(d, shape);
        }
        return out;
    }
}

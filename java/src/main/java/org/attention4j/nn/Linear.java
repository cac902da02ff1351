package org.attention4j.nn;

import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;

import org.attention4j.AttentionEngine;
import org.attention4j.Tensor;

/**
 * A fully connected layer, {@code y = x W^T + b}, applied over the last dimension of any {@code [..., in]} tensor,
 * as {@code torch.nn.Linear} does.
 *
 * <p>The weight is given in PyTorch's layout {@code [out, in]} and the optional bias as {@code [out]}; both are
 * copied, so the layer is immutable and thread-safe. Arithmetic is float32 (each output is a sum of {@code in}
 * products, accumulated in float32 like a float32 GEMM); NaN and infinity propagate as IEEE arithmetic does.
 */
public final class Linear {
    /** Below this many multiply-adds a call stays on the calling thread: forking would cost more than it saves. */
    private static final long PARALLEL_THRESHOLD = 1L << 20;

    private final int in;
    private final int out;
    /** The weight transposed to {@code [in][out]}, so that one input element scales one contiguous weight row. */
    private final float[] weightT;
    private final float[] bias;

    /**
     * A layer with the given parameters.
     *
     * @param weight {@code [out, in]}, PyTorch's layout
     * @param bias   {@code [out]}, or null for no bias
     * @throws IllegalArgumentException when the shapes are wrong, naming them
     */
    public Linear(Tensor weight, Tensor bias) {
        Objects.requireNonNull(weight, "weight");
        if (weight.rank() != 2 || weight.dim(0) < 1 || weight.dim(1) < 1) {
            throw new IllegalArgumentException("weight must have shape [out, in] with out, in >= 1, got "
                    + Tensor.shapeString(weight.shape()));
        }
        this.out = weight.dim(0);
        this.in = weight.dim(1);
        if (bias != null) {
            Shapes.requireShape(bias, "bias", out);
        }
        float[] w = weight.data();
        weightT = new float[in * out];
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < in; k++) {
                weightT[k * out + o] = w[o * in + k];
            }
        }
        this.bias = bias == null ? null : bias.data().clone();
    }

    /**
     * A layer initialised as {@code torch.nn.Linear} does: weight and bias from
     * {@code U(-1/sqrt(in), 1/sqrt(in))}, drawn from {@code seed}.
     */
    public static Linear random(int in, int out, boolean bias, long seed) {
        return random(in, out, bias, new SplittableRandom(seed));
    }

    static Linear random(int in, int out, boolean bias, SplittableRandom rnd) {
        Shapes.positive(in, "in");
        Shapes.positive(out, "out");
        float[] w = Init.linearDefault(out * in, in, rnd);
        float[] b = bias ? Init.linearDefault(out, in, rnd) : null;
        return new Linear(Tensor.of(w, out, in), b == null ? null : Tensor.of(b, out));
    }

    /** The input features {@code in}. */
    public int inFeatures() {
        return in;
    }

    /** The output features {@code out}. */
    public int outFeatures() {
        return out;
    }

    /** Whether a bias is added. */
    public boolean hasBias() {
        return bias != null;
    }

    /** A copy of the weight, {@code [out, in]}. */
    public Tensor weight() {
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < in; k++) {
                w[o * in + k] = weightT[k * out + o];
            }
        }
        return Tensor.of(w, out, in);
    }

    /** A copy of the bias {@code [out]}, when there is one. */
    public Optional<Tensor> bias() {
        return bias == null ? Optional.empty() : Optional.of(Tensor.of(bias.clone(), out));
    }

    /**
     * Applies the layer to {@code x [..., in]}, returning a new tensor {@code [..., out]}.
     *
     * @throws IllegalArgumentException when {@code x}'s last dimension is not {@code in}
     */
    public Tensor forward(Tensor x) {
        return forward(null, x);
    }

    /**
     * {@link #forward(Tensor)} with the rows on {@code engine}'s worker threads ({@link AttentionEngine#parallelFor})
     * when the work is large enough; null runs them on the calling thread.
     *
     * @throws IllegalArgumentException when {@code x}'s last dimension is not {@code in}
     */
    public Tensor forward(AttentionEngine engine, Tensor x) {
        Shapes.requireLastDim(x, "x", in);
        int[] shape = x.shape();
        int rows = x.size() / in;
        shape[shape.length - 1] = out;
        long outCount = Tensor.elementCount(shape, "output of Linear(" + in + " -> " + out + ")");
        float[] y = new float[(int) outCount];
        apply(engine, x.data(), rows, y);
        return Tensor.of(y, shape);
    }

    /**
     * {@code y[rows, out] = x[rows, in] W^T + b}; rows run on {@code engine}'s workers when there is one and the
     * work is large enough.
     */
    void apply(AttentionEngine engine, float[] x, int rows, float[] y) {
        Shapes.forEachRow(engine, rows, (long) rows * in * out, PARALLEL_THRESHOLD, r -> row(x, r, y));
    }

    private void row(float[] x, int r, float[] y) {
        int xOff = r * in;
        int yOff = r * out;
        if (bias != null) {
            System.arraycopy(bias, 0, y, yOff, out);
        }
        // One axpy per input element over a contiguous weight row: the JIT turns this loop into SIMD code.
        for (int k = 0; k < in; k++) {
            float a = x[xOff + k];
            int wOff = k * out;
            for (int o = 0; o < out; o++) {
                y[yOff + o] += a * weightT[wOff + o];
            }
        }
    }

    @Override
    public String toString() {
        return "Linear(" + in + " -> " + out + (bias == null ? ", no bias)" : ")");
    }
}

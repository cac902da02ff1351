package org.attention4j.nn;

/**
 * The MLP activations of the common model families, each computed in float64 and rounded to float32 once.
 * {@code f(-inf)} is the limit (0 for all but ReLU's 0 too), {@code f(+inf) = +inf}, NaN stays NaN.
 */
public enum Activation {
    /** {@code max(0, x)}: {@code torch.nn.TransformerEncoderLayer}'s default, the original Transformer. */
    RELU,
    /** {@code 0.5 x (1 + erf(x / sqrt 2))}: BERT, ViT, {@code torch.nn.GELU()} ({@link Gelu.Form#EXACT}). */
    GELU,
    /** The tanh approximation of GELU: GPT-2 ({@link Gelu.Form#TANH}). */
    GELU_TANH,
    /** {@code x * sigmoid(1.702 x)}: OpenAI's CLIP. */
    QUICK_GELU,
    /** {@code x * sigmoid(x)} (swish): Llama's and Stable Diffusion's feed-forwards (gated, as SwiGLU). */
    SILU;

    /** The activation of one value. */
    public double apply(double x) {
        switch (this) {
            case RELU:
                return x > 0 ? x : (Double.isNaN(x) ? x : 0.0);
            case GELU:
                return Gelu.apply(x, Gelu.Form.EXACT);
            case GELU_TANH:
                return Gelu.apply(x, Gelu.Form.TANH);
            case QUICK_GELU:
                return timesSigmoid(x, 1.702);
            case SILU:
                return timesSigmoid(x, 1.0);
            default:
                throw new AssertionError(this);
        }
    }

    /** {@code x * sigmoid(a x)}, with the limits at infinity (the formula would give {@code -inf * 0}). */
    private static double timesSigmoid(double x, double a) {
        if (x == Double.NEGATIVE_INFINITY) {
            return 0.0;
        }
        if (x == Double.POSITIVE_INFINITY) {
            return x;
        }
        return x / (1.0 + Math.exp(-a * x));
    }

    /** Applies the activation to every element, in place. */
    void applyInPlace(float[] data) {
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) apply(data[i]);
        }
    }

    /** The activation matching a GELU form. */
    static Activation of(Gelu.Form form) {
        return form == Gelu.Form.TANH ? GELU_TANH : GELU;
    }
}

package org.attention4j.nn;

import java.util.Objects;

import org.attention4j.Tensor;

/**
 * The Gaussian error linear unit, {@code GELU(x) = x * Phi(x)} with {@code Phi} the standard normal CDF
 * (Hendrycks and Gimpel), in either of the two forms in use.
 *
 * <ul>
 *   <li>{@link Form#EXACT} (default, {@code torch.nn.GELU()}, BERT, ViT): {@code 0.5 x (1 + erf(x / sqrt 2))},
 *       with {@code erf} evaluated in float64 to about 1e-15;</li>
 *   <li>{@link Form#TANH} ({@code torch.nn.GELU(approximate="tanh")}, GPT-2):
 *       {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.</li>
 * </ul>
 * Both are computed in float64 and rounded to float32 once. {@code GELU(-inf) = 0} (the limit, where the formula
 * would give {@code -inf * 0 = NaN}), {@code GELU(+inf) = +inf}, and NaN stays NaN.
 */
public final class Gelu {

    /** Which formula to evaluate. */
    public enum Form {
        /** {@code 0.5 x (1 + erf(x / sqrt 2))}. */
        EXACT,
        /** {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
        TANH
    }

    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

    /**
     * Where erf/erfc switch from the series to the continued fraction: below it the series needs few terms, above
     * it the continued fraction converges in under 60 steps, and erfc stays within about 1e-14 relative on both
     * sides.
     */
    private static final double SWITCH = 2.0;

    private Gelu() {
    }

    /** GELU of one value in the given form. */
    public static double apply(double x, Form form) {
        Objects.requireNonNull(form, "form");
        if (x == Double.NEGATIVE_INFINITY) {
            return 0.0;
        }
        if (form == Form.TANH) {
            return 0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
        }
        // x * Phi(x) = 0.5 x erfc(-x / sqrt 2): erfc keeps its relative accuracy for very negative x, where
        // 1 + erf(...) would cancel to zero.
        return 0.5 * x * erfc(-x * INV_SQRT2);
    }

    /** GELU of every element of {@code x}, as a new tensor of the same shape. */
    public static Tensor apply(Tensor x, Form form) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(form, "form");
        float[] in = x.data();
        float[] out = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = (float) apply(in[i], form);
        }
        return Tensor.of(out, x.shape());
    }

    /** Applies GELU to every element of {@code data} in place. */
    static void applyInPlace(float[] data, Form form) {
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) apply(data[i], form);
        }
    }

    /** The error function {@code erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt}, accurate to about 1e-15. */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        double r = ax < SWITCH ? erfSeries(ax) : 1.0 - erfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /** The complementary error function {@code 1 - erf(x)}, keeping relative accuracy for large {@code x}. */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x >= SWITCH) {
            return erfcContinuedFraction(x);
        }
        if (x <= -SWITCH) {
            return 2.0 - erfcContinuedFraction(-x);
        }
        return 1.0 - (x < 0 ? -erfSeries(-x) : erfSeries(x));
    }

    /**
     * {@code erf(x)} for {@code 0 <= x < 2} from the series {@code 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (2n+1)!!},
     * chosen because its terms are all positive: no cancellation, unlike the alternating Taylor series.
     */
    private static double erfSeries(double x) {
        double x2 = x * x;
        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) {
                break;
            }
        }
        return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
    }

    /**
     * {@code erfc(x)} for {@code x >= 2} from its continued fraction
     * {@code exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))}, evaluated with the modified Lentz
     * method; it converges in a few dozen steps this far out (faster the larger x) and underflows to 0 gracefully.
     */
    private static double erfcContinuedFraction(double x) {
        if (x == Double.POSITIVE_INFINITY) {
            return 0.0;
        }
        final double tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0.0;
        for (int n = 1; n < 500; n++) {
            double a = n * 0.5;
            d = x + a * d;
            d = d == 0 ? tiny : d;
            c = x + a / c;
            c = c == 0 ? tiny : c;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) {
                break;
            }
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}

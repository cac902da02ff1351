package org.attention4j;

/**
 * How a checkpoint stretches RoPE past the context it was trained on: each variant gives the per-pair inverse
 * frequencies (the angle of pair {@code t} at position {@code p} is {@code p * invFreq[t]}) and a factor on the
 * rotated components. The formulas are those of Hugging Face {@code transformers} ({@code rope_scaling} in a
 * model's {@code config.json}: {@code "linear"}, {@code "llama3"}, {@code "yarn"}) and of the NTK-aware base change
 * (Code Llama-style {@code rope_theta} stretching); {@code tools/rope_scaling_golden.py} recomputes them
 * independently for the tests.
 *
 * <p>All frequencies are formed in double from the base and the rotary dim {@code R} (the head dim, or
 * {@link Rope#rotaryDim()} for partial rotary): the unscaled ones are {@code base^(-2t/R)}, {@code t < R/2}.
 */
public sealed interface RopeScaling
        permits RopeScaling.Linear, RopeScaling.NtkAware, RopeScaling.Llama3, RopeScaling.Yarn {

    /** The inverse frequencies of the {@code rotaryDim / 2} pairs. */
    double[] inverseFrequencies(double base, int rotaryDim);

    /** The factor on cos and sin (so on the rotated components of q and of k): 1 unless a variant says otherwise. */
    default double attentionFactor() {
        return 1.0;
    }

    /** {@code base^(-2t/R)}: RoPE without scaling. */
    static double[] unscaled(double base, int rotaryDim) {
        double[] f = new double[rotaryDim / 2];
        for (int t = 0; t < f.length; t++) {
            f[t] = Math.pow(base, -2.0 * t / rotaryDim);
        }
        return f;
    }

    private static void requireFactor(String what, double factor) {
        if (!Double.isFinite(factor) || factor <= 0) {
            throw new IllegalArgumentException(what + " must be finite and > 0, got " + factor);
        }
    }

    /**
     * Linear position interpolation ({@code "linear"}): positions divided by {@code factor}, i.e. every frequency
     * divided by it.
     */
    record Linear(double factor) implements RopeScaling {
        /** Validates the factor. */
        public Linear {
            requireFactor("linear rope scaling factor", factor);
        }

        @Override
        public double[] inverseFrequencies(double base, int rotaryDim) {
            double[] f = unscaled(base, rotaryDim);
            for (int t = 0; t < f.length; t++) {
                f[t] /= factor;
            }
            return f;
        }
    }

    /**
     * NTK-aware scaling: the base raised to {@code base * alpha^(R / (R - 2))}, which stretches the low frequencies
     * and keeps the highest one.
     */
    record NtkAware(double alpha) implements RopeScaling {
        /** Validates alpha. */
        public NtkAware {
            requireFactor("NTK-aware rope alpha", alpha);
        }

        @Override
        public double[] inverseFrequencies(double base, int rotaryDim) {
            if (rotaryDim <= 2) {
                return unscaled(base, rotaryDim);   // one pair: its frequency is 1 whatever the base
            }
            return unscaled(base * Math.pow(alpha, rotaryDim / (rotaryDim - 2.0)), rotaryDim);
        }
    }

    /**
     * Llama 3.1's scaling ({@code "llama3"}): wavelengths longer than {@code originalMaxPositions / lowFreqFactor}
     * are divided by {@code factor}, those shorter than {@code originalMaxPositions / highFreqFactor} kept, and
     * the ones between interpolated smoothly. Llama 3.1: factor 8, low 1, high 4, original 8192.
     */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions)
            implements RopeScaling {
        /** Validates the parameters ({@code highFreqFactor > lowFreqFactor > 0}, positive factor and context). */
        public Llama3 {
            requireFactor("llama3 rope scaling factor", factor);
            requireFactor("llama3 low_freq_factor", lowFreqFactor);
            requireFactor("llama3 high_freq_factor", highFreqFactor);
            if (!(highFreqFactor > lowFreqFactor)) {
                throw new IllegalArgumentException("llama3 high_freq_factor must exceed low_freq_factor, got "
                        + highFreqFactor + " <= " + lowFreqFactor);
            }
            if (originalMaxPositions <= 0) {
                throw new IllegalArgumentException("llama3 original_max_position_embeddings must be > 0, got "
                        + originalMaxPositions);
            }
        }

        /** Llama 3.1's published values: factor 8, low 1, high 4, original context 8192. */
        public static Llama3 llama31() {
            return new Llama3(8.0, 1.0, 4.0, 8192);
        }

        @Override
        public double[] inverseFrequencies(double base, int rotaryDim) {
            double[] f = unscaled(base, rotaryDim);
            double lowWavelen = originalMaxPositions / lowFreqFactor;
            double highWavelen = originalMaxPositions / highFreqFactor;
            for (int t = 0; t < f.length; t++) {
                double wavelen = 2 * Math.PI / f[t];
                if (wavelen > lowWavelen) {
                    f[t] /= factor;
                } else if (!(wavelen < highWavelen)) {
                    double smooth = (originalMaxPositions / wavelen - lowFreqFactor)
                            / (highFreqFactor - lowFreqFactor);
                    f[t] = (1 - smooth) * f[t] / factor + smooth * f[t];
                }
            }
            return f;
        }
    }

    /**
     * YaRN ({@code "yarn"}): per pair a blend of the interpolated frequency ({@code / factor}) and the original
     * one, by a linear ramp between the pairs that turn {@code betaFast} and {@code betaSlow} times over the
     * original context; cos and sin are multiplied by the attention factor ({@code 0.1 ln(factor) + 1} unless
     * given).
     *
     * @param attentionFactor the factor on cos and sin, or NaN for YaRN's default from {@code factor}
     * @param truncate        whether the ramp's ends are rounded to whole pairs (floor and ceil), as
     *                        {@code transformers} does by default
     */
    record Yarn(double factor, int originalMaxPositions, double betaFast, double betaSlow, double attentionFactor,
            boolean truncate) implements RopeScaling {
        /** Validates the parameters; a NaN attention factor resolves to the default. */
        public Yarn {
            requireFactor("yarn rope scaling factor", factor);
            if (originalMaxPositions <= 0) {
                throw new IllegalArgumentException("yarn original_max_position_embeddings must be > 0, got "
                        + originalMaxPositions);
            }
            requireFactor("yarn beta_fast", betaFast);
            requireFactor("yarn beta_slow", betaSlow);
            if (Double.isNaN(attentionFactor)) {
                attentionFactor = factor <= 1 ? 1.0 : 0.1 * Math.log(factor) + 1.0;
            }
            requireFactor("yarn attention_factor", attentionFactor);
        }

        /** YaRN with {@code transformers}' defaults: beta_fast 32, beta_slow 1, the default attention factor. */
        public static Yarn of(double factor, int originalMaxPositions) {
            return new Yarn(factor, originalMaxPositions, 32, 1, Double.NaN, true);
        }

        /** The rotary dim at which a pair turns {@code rotations} times over the original context. */
        private double correctionDim(double rotations, int rotaryDim, double base) {
            return rotaryDim * Math.log(originalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
        }

        @Override
        public double[] inverseFrequencies(double base, int rotaryDim) {
            double low = correctionDim(betaFast, rotaryDim, base);
            double high = correctionDim(betaSlow, rotaryDim, base);
            if (truncate) {
                low = Math.floor(low);
                high = Math.ceil(high);
            }
            low = Math.max(low, 0);
            high = Math.min(high, rotaryDim - 1);
            if (low == high) {
                high += 0.001;   // as transformers: no division by zero
            }
            double[] f = unscaled(base, rotaryDim);
            for (int t = 0; t < f.length; t++) {
                double ramp = Math.min(1, Math.max(0, (t - low) / (high - low)));
                double extrapolation = 1 - ramp;
                f[t] = f[t] / factor * (1 - extrapolation) + f[t] * extrapolation;
            }
            return f;
        }
    }
}

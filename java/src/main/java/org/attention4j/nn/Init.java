package org.attention4j.nn;

import java.util.SplittableRandom;

/**
 * Random parameter initialisation, with the distributions PyTorch uses, drawn from a {@link SplittableRandom} so
 * that a seed gives the same parameters on every JVM and thread count.
 */
final class Init {
    private Init() {
    }

    /** {@code U(-bound, bound)} with {@code bound = sqrt(6 / (fanIn + fanOut))} (Glorot and Bengio). */
    static float[] xavierUniform(int fanOut, int fanIn, SplittableRandom rnd) {
        return uniform(fanOut * fanIn, Math.sqrt(6.0 / (fanIn + fanOut)), rnd);
    }

    /**
     * {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}: what {@code torch.nn.Linear} draws for its weight (kaiming-uniform
     * with {@code a = sqrt(5)} reduces to this) and its bias.
     */
    static float[] linearDefault(int count, int fanIn, SplittableRandom rnd) {
        return uniform(count, 1.0 / Math.sqrt(fanIn), rnd);
    }

    static float[] uniform(int count, double bound, SplittableRandom rnd) {
        float[] w = new float[count];
        for (int i = 0; i < count; i++) {
            w[i] = (float) ((2.0 * rnd.nextDouble() - 1.0) * bound);
        }
        return w;
    }

    /** Normal samples (Box-Muller, since SplittableRandom has no nextGaussian on JDK 17). */
    static float[] normal(int count, double std, SplittableRandom rnd) {
        float[] w = new float[count];
        for (int i = 0; i < count; i += 2) {
            // 1 - u keeps the log argument in (0, 1].
            double r = Math.sqrt(-2.0 * Math.log(1.0 - rnd.nextDouble()));
            double t = 2.0 * Math.PI * rnd.nextDouble();
            w[i] = (float) (std * r * Math.cos(t));
            if (i + 1 < count) {
                w[i + 1] = (float) (std * r * Math.sin(t));
            }
        }
        return w;
    }
}

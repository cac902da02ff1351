package org.attention4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.spark.sql.SparkSession;

/** One local[2] Spark session for every test class of the JVM, and test data helpers. */
final class LocalSpark {
    private static SparkSession session;

    private LocalSpark() {
    }

    static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSession.builder().master("local[2]").appName("attention4j-spark-tests")
                    .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
                    .getOrCreate();
            session.sparkContext().setLogLevel("WARN");
        }
        return session;
    }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    static Float[] boxed(float[] a) {
        Float[] out = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    static float[] unboxed(List<?> list) {
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) list.get(i)).floatValue();
        }
        return out;
    }

    /** Positions {@code [from, to)} along dim 1 of a [H, N, X] array (N = n), as [H, to - from, X]. */
    static float[] slice(float[] t, int h, int n, int x, int from, int to) {
        float[] out = new float[h * (to - from) * x];
        for (int hh = 0; hh < h; hh++) {
            System.arraycopy(t, (hh * n + from) * x, out, hh * (to - from) * x, (to - from) * x);
        }
        return out;
    }

    /** Cut points 0 = c0 <= c1 <= ... <= c_p = total from the given sizes (which must sum to total). */
    static int[] cuts(int... sizes) {
        int[] c = new int[sizes.length + 1];
        for (int i = 0; i < sizes.length; i++) {
            c[i + 1] = c[i] + sizes[i];
        }
        return c;
    }

    static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }
}

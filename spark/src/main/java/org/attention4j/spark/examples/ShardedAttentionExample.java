package org.attention4j.spark.examples;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.attention4j.AttentionEngine;
import org.attention4j.AttentionResult;
import org.attention4j.Tensor;
import org.attention4j.spark.AttentionSpec;
import org.attention4j.spark.ExecutorEngine;
import org.attention4j.spark.KeyBlock;
import org.attention4j.spark.QueryBlock;
import org.attention4j.spark.SequenceShards;

/**
 * The last {@code --queries} tokens of a sequence of {@code --n} tokens attending (causally) to all of them, with
 * the keys and values generated on the executors in {@code --shards} blocks (never on the driver) and the result
 * computed by {@link SequenceShards}; {@code --compare} also times one-process attention on the driver over the same
 * keys (regenerated from the same seeds) for each shard count in {@code --shards} (a comma list) and prints the
 * overhead ratio and the largest difference.
 *
 * <pre>
 * spark-submit --master local[*] --class org.attention4j.spark.examples.ShardedAttentionExample \
 *     spark/target/attention4j-spark-0.1.0-SNAPSHOT-all.jar --compare
 * bash bench/spark_shards.sh          (no Spark install: the same with Maven's classpath, --compare)
 * </pre>
 */
public final class ShardedAttentionExample {
    private ShardedAttentionExample() {
    }

    /** Entry point; see the class comment for the options. */
    public static void main(String[] args) {
        int n = 262144;
        int queries = 256;
        int heads = 4;
        int kvHeads = 1;
        int dim = 64;
        int rounds = 3;
        int[] shardCounts = {1, 2, 4, 8};
        boolean compare = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--n" -> n = Integer.parseInt(args[++i]);
                case "--queries" -> queries = Integer.parseInt(args[++i]);
                case "--heads" -> heads = Integer.parseInt(args[++i]);
                case "--kv-heads" -> kvHeads = Integer.parseInt(args[++i]);
                case "--dim" -> dim = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--shards" -> shardCounts = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt)
                        .toArray();
                case "--compare" -> compare = true;
                default -> {
                    System.err.println("error: unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (queries > n) {
            System.err.println("error: --queries " + queries + " is more than --n " + n);
            System.exit(2);
        }
        SparkSession.Builder sb = SparkSession.builder().appName("attention4j sharded attention");
        if (!new SparkConf().contains("spark.master")) {
            sb.master("local[*]");   // no cluster given: this machine
        }
        SparkSession spark = sb.config("spark.ui.enabled", "false").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        AttentionSpec spec = AttentionSpec.of(heads, kvHeads, dim, dim).withCausal();
        System.out.println("# attention4j-spark: Spark " + spark.version() + ", master " + spark.sparkContext().master()
                + ", executors' engines: " + String.join(", ", ExecutorEngine.describeExecutors(spark)));
        System.out.printf(Locale.ROOT, "# sequence N=%d, the last %d queries attend causally; Hq=%d Hkv=%d D=%d; "
                + "median of %d rounds%n", n, queries, heads, kvHeads, dim, rounds);
        int qStart = n - queries;
        float[] q = random(7, heads * queries * dim);
        List<QueryBlock> qb = List.of(new QueryBlock(0, qStart, q));
        Dataset<Row> qs = spark.createDataset(qb, Encoders.bean(QueryBlock.class)).toDF();
        double oneMs = Double.NaN;
        float[] want = null;
        if (compare) {
            float[][] kv = wholeKeys(n, kvHeads, dim, shardCounts[0]);
            try (AttentionEngine e = AttentionEngine.create()) {
                Tensor tq = Tensor.of(q, 1, heads, queries, dim);
                Tensor tk = Tensor.of(kv[0], 1, kvHeads, n, dim);
                Tensor tv = Tensor.of(kv[1], 1, kvHeads, n, dim);
                double[] ms = new double[rounds];
                for (int r = 0; r < rounds + 1; r++) {
                    long t0 = System.nanoTime();
                    AttentionResult res = e.attention(tq, tk, tv, spec.options(qStart, 0));
                    if (r > 0) {
                        ms[r - 1] = (System.nanoTime() - t0) / 1e6;
                    }
                    want = res.output().data();
                }
                oneMs = median(ms);
            }
            System.out.printf(Locale.ROOT, "one process (%s): %.1f ms%n", "engine on the driver", oneMs);
        }
        System.out.println("shards   sharded_ms   ratio_to_one_process   max_abs_diff");
        for (int shards : shardCounts) {
            Dataset<KeyBlock> ks = keyBlocks(spark, n, kvHeads, dim, shards).cache();
            ks.count();   // generated once, before the timing
            double[] ms = new double[rounds];
            float[] got = null;
            for (int r = 0; r < rounds + 1; r++) {
                long t0 = System.nanoTime();
                List<Row> rows = SequenceShards.attention(qs, ks.toDF(), spec).collectAsList();
                if (r > 0) {
                    ms[r - 1] = (System.nanoTime() - t0) / 1e6;
                }
                got = floats(rows.get(0).getList(2));
            }
            ks.unpersist();
            double diff = want == null ? Double.NaN : maxDiff(want, got);
            double med = median(ms);
            System.out.printf(Locale.ROOT, "%6d %12.1f %22.2f %14.2e%n", shards, med, med / oneMs, diff);
        }
        spark.stop();
    }

    /** Key block {@code b} of {@code shards}, from its own seed: the same on an executor and on the driver. */
    static KeyBlock keyBlock(int b, int shards, int n, int kvHeads, int dim) {
        int start = (int) ((long) n * b / shards);
        int end = (int) ((long) n * (b + 1) / shards);
        int len = end - start;
        float[] k = new float[kvHeads * len * dim];
        float[] v = new float[kvHeads * len * dim];
        // One generator per key position, so that any cut of the sequence gives the same keys.
        for (int h = 0; h < kvHeads; h++) {
            for (int j = 0; j < len; j++) {
                SplittableRandom r = new SplittableRandom(((long) h << 32) ^ (start + j) * 0x9E3779B97F4A7C15L);
                for (int c = 0; c < dim; c++) {
                    k[(h * len + j) * dim + c] = (float) (r.nextDouble() * 2 - 1);
                    v[(h * len + j) * dim + c] = (float) (r.nextDouble() * 2 - 1);
                }
            }
        }
        return new KeyBlock(b, start, k, v);
    }

    private static Dataset<KeyBlock> keyBlocks(SparkSession spark, int n, int kvHeads, int dim, int shards) {
        return spark.range(0, shards, 1, shards).map(
                (MapFunction<Long, KeyBlock>) b -> keyBlock(b.intValue(), shards, n, kvHeads, dim),
                Encoders.bean(KeyBlock.class));
    }

    /** The whole sequence's keys and values [Hkv, N, D], as the blocks hold them. */
    private static float[][] wholeKeys(int n, int kvHeads, int dim, int shards) {
        float[] k = new float[kvHeads * n * dim];
        float[] v = new float[kvHeads * n * dim];
        for (int b = 0; b < shards; b++) {
            KeyBlock kb = keyBlock(b, shards, n, kvHeads, dim);
            int len = kb.getK().length / (kvHeads * dim);
            for (int h = 0; h < kvHeads; h++) {
                System.arraycopy(kb.getK(), h * len * dim, k, (h * n + kb.getStart()) * dim, len * dim);
                System.arraycopy(kb.getV(), h * len * dim, v, (h * n + kb.getStart()) * dim, len * dim);
            }
        }
        return new float[][] {k, v};
    }

    private static float[] random(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static float[] floats(List<Object> list) {
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) list.get(i)).floatValue();
        }
        return out;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}

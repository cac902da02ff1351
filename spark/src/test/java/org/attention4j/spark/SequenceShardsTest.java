package org.attention4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.attention4j.AttentionEngine;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link SequenceShards} on a local Spark: one sequence of N tokens in query blocks and key blocks of unequal
 * sizes (an empty one among them) gives what one-process {@code attention()} gives on the whole sequence,
 * output and log-sum-exp, with causal, window, ALiBi with global distances and RoPE at global positions.
 */
class SequenceShardsTest {
    static final StructType QUERY_BLOCKS = new StructType().add("block", DataTypes.IntegerType)
            .add("start", DataTypes.IntegerType).add("q", DataTypes.createArrayType(DataTypes.FloatType));
    static final StructType KEY_BLOCKS = new StructType().add("block", DataTypes.IntegerType)
            .add("start", DataTypes.IntegerType).add("k", DataTypes.createArrayType(DataTypes.FloatType))
            .add("v", DataTypes.createArrayType(DataTypes.FloatType));

    static AttentionSpec spec(int which, int hq, int hkv, int d, int dv) {
        AttentionSpec s = AttentionSpec.of(hq, hkv, d, dv);
        switch (which) {
            case 0:
                return s;
            case 1:
                return s.withCausal();
            case 2:
                return s.withCausal().withAlibi().withRope(10000, RopeStyle.HALF);
            default:
                return s.withWindow(20, 5).withRope(500, RopeStyle.INTERLEAVED).withAlibi();
        }
    }

    @ParameterizedTest(name = "options #{0}, N={1}, query blocks {2}, key blocks {3}")
    @CsvSource({
            "0, 203, '90 0 113', '50 50 0 103'",
            "1, 203, '64 64 75', '1 100 0 102'",
            "2, 130, '130', '40 40 50'",
            "3, 157, '30 27 100', '60 0 97'",
    })
    void shardsGiveTheWholeSequence(int which, int n, String qSizes, String kSizes) {
        int hq = 4, hkv = 2, d = 16, dv = 12;
        AttentionSpec spec = spec(which, hq, hkv, d, dv);
        float[] q = LocalSpark.random(1 + which, hq * n * d);
        float[] k = LocalSpark.random(2 + which, hkv * n * d);
        float[] v = LocalSpark.random(3 + which, hkv * n * dv);
        int[] qc = LocalSpark.cuts(sizes(qSizes));
        int[] kc = LocalSpark.cuts(sizes(kSizes));
        assertEquals(n, qc[qc.length - 1]);
        assertEquals(n, kc[kc.length - 1]);
        SparkSession spark = LocalSpark.session();
        List<Row> qRows = new ArrayList<>();
        for (int b = 0; b + 1 < qc.length; b++) {
            qRows.add(RowFactory.create(b, qc[b], LocalSpark.boxed(LocalSpark.slice(q, hq, n, d, qc[b], qc[b + 1]))));
        }
        List<Row> kRows = new ArrayList<>();
        for (int b = 0; b + 1 < kc.length; b++) {
            kRows.add(RowFactory.create(b, kc[b], LocalSpark.boxed(LocalSpark.slice(k, hkv, n, d, kc[b], kc[b + 1])),
                    LocalSpark.boxed(LocalSpark.slice(v, hkv, n, dv, kc[b], kc[b + 1]))));
        }
        Dataset<Row> qs = spark.createDataFrame(qRows, QUERY_BLOCKS);
        Dataset<Row> ks = spark.createDataFrame(kRows, KEY_BLOCKS).repartition(2);
        List<Row> got = SequenceShards.attention(qs, ks, spec).collectAsList();
        assertEquals(qc.length - 1, got.size(), "one row per query block");

        AttentionResult whole;
        try (AttentionEngine e = AttentionEngine.create(Backend.CPU)) {
            whole = e.attention(Tensor.of(q, 1, hq, n, d), Tensor.of(k, 1, hkv, n, d), Tensor.of(v, 1, hkv, n, dv),
                    spec.options(0, 0));
        }
        float[] wantOut = whole.output().data();
        float[] wantLse = whole.logSumExp().orElseThrow().data();
        for (Row r : got) {
            int b = r.getInt(0);
            int start = r.getInt(1);
            assertEquals(qc[b], start);
            int rows = qc[b + 1] - qc[b];
            float[] out = LocalSpark.unboxed(r.getList(2));
            float[] lse = LocalSpark.unboxed(r.getList(3));
            assertEquals(hq * rows * dv, out.length);
            float[] w = LocalSpark.slice(wantOut, hq, n, dv, qc[b], qc[b + 1]);
            float[] wl = LocalSpark.slice(wantLse, hq, n, 1, qc[b], qc[b + 1]);
            for (int i = 0; i < w.length; i++) {
                assertTrue(Math.abs(w[i] - out[i]) <= 2e-5 * (1 + Math.abs(w[i])),
                        "block " + b + " output " + i + ": " + out[i] + " vs " + w[i]);
            }
            for (int i = 0; i < wl.length; i++) {
                if (wl[i] == Float.NEGATIVE_INFINITY) {
                    assertEquals(Float.NEGATIVE_INFINITY, lse[i], "block " + b + " lse " + i);
                } else {
                    assertTrue(Math.abs(wl[i] - lse[i]) <= 2e-5 * (1 + Math.abs(wl[i])),
                            "block " + b + " lse " + i + ": " + lse[i] + " vs " + wl[i]);
                }
            }
        }
        long pairs = SequenceShards.visiblePairs(qs, ks, spec).count();
        long expected = 0;
        long nonEmpty = 0;
        for (int a = 0; a + 1 < qc.length; a++) {
            for (int b = 0; b + 1 < kc.length; b++) {
                int qn = qc[a + 1] - qc[a];
                int kn = kc[b + 1] - kc[b];
                nonEmpty += qn > 0 && kn > 0 ? 1 : 0;
                expected += spec.visible(qc[a], qn, kc[b], kn) ? 1 : 0;
            }
        }
        assertEquals(expected, pairs, "the pairs computed are those the rules leave visible");
        if (which == 1 || which == 3) {
            assertTrue(pairs < nonEmpty, "wholly masked pairs are skipped: " + pairs + " of " + nonEmpty);
        }
        assertEquals(1, ExecutorEngine.created(), "one engine for the executor JVM, however many tasks");
    }

    private static int[] sizes(String s) {
        String[] p = s.trim().split("\\s+");
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Integer.parseInt(p[i]);
        }
        return out;
    }
}

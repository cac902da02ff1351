package org.attention4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;

/** {@link BatchAttention} on a local Spark: independent problems of different shapes, per-row key lengths, bad rows. */
class BatchAttentionTest {
    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType)
            .add("q", DataTypes.createArrayType(DataTypes.FloatType))
            .add("k", DataTypes.createArrayType(DataTypes.FloatType))
            .add("v", DataTypes.createArrayType(DataTypes.FloatType))
            .add("q_shape", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("k_shape", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("v_shape", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("kv_lengths", DataTypes.createArrayType(DataTypes.IntegerType), true);

    /** B, Hq, Hkv, Nq, Nk, D, Dv per row; the last is bad when asked (k's D differs from q's). */
    static final int[][] SHAPES = {
            {1, 2, 2, 5, 7, 8, 8},
            {2, 4, 2, 13, 13, 16, 12},
            {1, 1, 1, 1, 77, 40, 40},
            {3, 8, 1, 9, 30, 4, 6},
            {1, 2, 1, 4, 4, 8, 8},
    };

    private static Row row(int i, boolean bad) {
        int[] s = SHAPES[i];
        int[] qs = {s[0], s[1], s[3], s[5]};
        int[] ks = {s[0], s[2], s[4], bad ? s[5] + 1 : s[5]};
        int[] vs = {s[0], s[2], s[4], s[6]};
        Integer[] lengths = null;
        if (i == 1) {
            lengths = new Integer[] {5, 0};   // entry 1: no key at all
        }
        return RowFactory.create("p" + i, LocalSpark.boxed(LocalSpark.random(10 + i, count(qs))),
                LocalSpark.boxed(LocalSpark.random(20 + i, count(ks))),
                LocalSpark.boxed(LocalSpark.random(30 + i, count(vs))), boxed(qs), boxed(ks), boxed(vs), lengths);
    }

    private static Dataset<Row> problems(boolean withBad) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < SHAPES.length; i++) {
            rows.add(row(i, withBad && i == 3));
        }
        return LocalSpark.session().createDataFrame(rows, SCHEMA).repartition(3);
    }

    @Test
    void eachRowGetsWhatTheEngineGives() {
        List<Row> got = BatchAttention.attention(problems(false), BatchOptions.defaults().withCausal().withLse())
                .collectAsList();
        assertEquals(SHAPES.length, got.size());
        try (AttentionEngine e = AttentionEngine.create(Backend.CPU)) {
            for (Row r : got) {
                int i = Integer.parseInt(r.getString(0).substring(1));
                Row in = row(i, false);
                AttentionOptions.Builder o = AttentionOptions.builder().causal().returnLse(true);
                if (!in.isNullAt(7)) {
                    o.kvLengths(5, 0);
                }
                AttentionResult want = e.attention(tensor(in, 1, 4), tensor(in, 2, 5), tensor(in, 3, 6), o.build());
                float[] out = LocalSpark.unboxed(r.getList(r.fieldIndex("out")));
                float[] lse = LocalSpark.unboxed(r.getList(r.fieldIndex("lse")));
                assertArrayEquals(want.output().data(), out, 1e-6f, "row " + i + " out");
                assertArrayEquals(want.logSumExp().orElseThrow().data(), lse, 1e-6f, "row " + i + " lse");
                List<Integer> shape = r.getList(r.fieldIndex("out_shape"));
                assertEquals(List.of(SHAPES[i][0], SHAPES[i][1], SHAPES[i][3], SHAPES[i][6]), shape);
            }
        }
        assertEquals(1, ExecutorEngine.created(), "one engine for the executor JVM, not one per partition");
        List<String> engines = ExecutorEngine.describeExecutors(LocalSpark.session());
        assertEquals(1, engines.size(), "local mode: the driver is the one executor " + engines);
        String backend = engines.get(0);
        assertTrue(backend.equals("driver: cpu") || backend.equals("driver: cuda"), backend);
    }

    @Test
    void aBadRowFailsTheJobNamingTheRow() {
        Exception e = assertThrows(Exception.class,
                () -> BatchAttention.attention(problems(true), BatchOptions.defaults()).collectAsList());
        String all = messages(e);
        assertTrue(all.contains("row id=p3") && all.contains("head dim D of k"), all);
    }

    @Test
    void orGoesToTheErrorColumnWhenAsked() {
        List<Row> got = BatchAttention.attention(problems(true), BatchOptions.defaults().withErrorColumn())
                .collectAsList();
        assertEquals(SHAPES.length, got.size());
        for (Row r : got) {
            String error = r.getString(r.fieldIndex("error"));
            if (r.getString(0).equals("p3")) {
                assertTrue(error != null && error.contains("head dim D of k"), String.valueOf(error));
                assertTrue(r.isNullAt(r.fieldIndex("out")));
            } else {
                assertNull(error, r.getString(0));
                assertTrue(!r.isNullAt(r.fieldIndex("out")));
            }
        }
    }

    @Test
    void aMissingColumnIsRefusedBeforeAnyJob() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchAttention.attention(problems(false).drop("v_shape"), BatchOptions.defaults()));
        assertTrue(e.getMessage().contains("column v_shape is missing"), e.getMessage());
    }

    /** A tensor of a row made by {@link #row} (its arrays are Java arrays). */
    private static Tensor tensor(Row r, int data, int shape) {
        Float[] values = (Float[]) r.get(data);
        Integer[] dims = (Integer[]) r.get(shape);
        float[] x = new float[values.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = values[i];
        }
        return Tensor.of(x, java.util.Arrays.stream(dims).mapToInt(Integer::intValue).toArray());
    }

    private static int count(int[] shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    private static Integer[] boxed(int[] a) {
        Integer[] out = new Integer[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable x = t; x != null; x = x.getCause()) {
            sb.append(x.getMessage()).append(" | ");
        }
        return sb.toString();
    }
}

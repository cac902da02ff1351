package org.attention4j.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.attention4j.AttentionEngine;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Tensor;

/**
 * Attention over a Dataset of independent problems, partition by partition on each executor's one engine
 * ({@link ExecutorEngine}). Input columns: {@code q, k, v: array<float>} (row-major) with their shapes
 * {@code q_shape, k_shape, v_shape: array<int>} ({@code [B, Hq, Nq, D]}, {@code [B, Hkv, Nk, D]},
 * {@code [B, Hkv, Nk, Dv]}), an id column ({@link BatchOptions#idColumn()}), and optionally
 * {@code kv_lengths: array<int>} (per row, valid keys per batch entry; null = all). Output: every input column
 * plus {@code out: array<float>} and {@code out_shape: array<int>}, and, when asked, {@code lse},
 * {@code weights} and {@code error}.
 */
public final class BatchAttention {
    private BatchAttention() {
    }

    /** The rows of {@code problems} with their attention added; lazy, as every Dataset operation. */
    public static Dataset<Row> attention(Dataset<Row> problems, BatchOptions options) {
        StructType in = problems.schema();
        for (String c : new String[] {options.idColumn(), "q", "k", "v", "q_shape", "k_shape", "v_shape"}) {
            if (!List.of(in.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("column " + c + " is missing; the Dataset has " + in.simpleString());
            }
        }
        StructType out = in.add("out", DataTypes.createArrayType(DataTypes.FloatType), true)
                .add("out_shape", DataTypes.createArrayType(DataTypes.IntegerType), true);
        if (options.returnLse()) {
            out = out.add("lse", DataTypes.createArrayType(DataTypes.FloatType), true);
        }
        if (options.returnWeights()) {
            out = out.add("weights", DataTypes.createArrayType(DataTypes.FloatType), true);
        }
        if (options.errorColumn()) {
            out = out.add("error", DataTypes.StringType, true);
        }
        ExecutorEngine.describeOnce(problems.sparkSession());
        boolean lengths = List.of(in.fieldNames()).contains("kv_lengths");
        return problems.mapPartitions((MapPartitionsFunction<Row, Row>) rows -> rows(rows, options, lengths),
                Encoders.row(out));
    }

    private static Iterator<Row> rows(Iterator<Row> rows, BatchOptions options, boolean lengths) {
        AttentionEngine engine = ExecutorEngine.get();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                return attend(engine, rows.next(), options, lengths);
            }
        };
    }

    private static Row attend(AttentionEngine engine, Row row, BatchOptions options, boolean lengths) {
        // Primitive arrays as they are: Spark's row encoder takes them for array<float> / array<int> columns.
        List<Object> values = new ArrayList<>(row.size() + 5);
        for (int i = 0; i < row.size(); i++) {
            values.add(row.get(i));
        }
        AttentionResult r = null;
        String error = null;
        try {
            AttentionOptions.Builder o = AttentionOptions.builder().returnLse(options.returnLse())
                    .returnWeights(options.returnWeights());
            if (options.causal()) {
                o.causal();
            }
            if (lengths && !row.isNullAt(row.fieldIndex("kv_lengths"))) {
                o.kvLengths(ints(row, "kv_lengths"));
            }
            r = engine.attention(tensor(row, "q"), tensor(row, "k"), tensor(row, "v"), o.build());
        } catch (IllegalArgumentException e) {
            String id = String.valueOf(row.get(row.fieldIndex(options.idColumn())));
            if (!options.errorColumn()) {
                throw new IllegalArgumentException("row " + options.idColumn() + "=" + id + ": " + e.getMessage(), e);
            }
            error = e.getMessage();
        }
        values.add(r == null ? null : r.output().data());
        values.add(r == null ? null : r.output().shape());
        if (options.returnLse()) {
            values.add(r == null ? null : r.logSumExp().orElseThrow().data());
        }
        if (options.returnWeights()) {
            values.add(r == null ? null : r.weights().orElseThrow().data());
        }
        if (options.errorColumn()) {
            values.add(error);
        }
        return RowFactory.create(values.toArray());
    }

    /** A column of floats with its shape column {@code <name>_shape}; a missing or mismatched shape is refused. */
    private static Tensor tensor(Row row, String name) {
        if (row.isNullAt(row.fieldIndex(name)) || row.isNullAt(row.fieldIndex(name + "_shape"))) {
            throw new IllegalArgumentException(name + " or " + name + "_shape is null");
        }
        float[] data = floats(row, name);
        int[] shape = ints(row, name + "_shape");
        long n = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException(name + "_shape " + java.util.Arrays.toString(shape)
                        + " has a negative dim");
            }
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(name + " has " + data.length + " floats but " + name + "_shape "
                    + java.util.Arrays.toString(shape) + " needs " + n);
        }
        return Tensor.of(data, shape);
    }

    private static float[] floats(Row row, String column) {
        List<Object> list = row.getList(row.fieldIndex(column));
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) list.get(i)).floatValue();
        }
        return out;
    }

    private static int[] ints(Row row, String column) {
        List<Object> list = row.getList(row.fieldIndex(column));
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) list.get(i)).intValue();
        }
        return out;
    }
}

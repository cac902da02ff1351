package org.attention4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;

import java.util.Arrays;

import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.ReduceFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.attention4j.AttentionEngine;
import org.attention4j.AttentionMerge;
import org.attention4j.AttentionResult;
import org.attention4j.Tensor;

import scala.Tuple2;

/**
 * Attention over one long sequence whose keys and values are stored as a Dataset of key blocks, with the
 * queries in blocks too. Every (query block, key block) pair that the position rules leave visible is computed on
 * an executor's engine ({@link ExecutorEngine}) with the start positions of both blocks in the whole sequence, so
 * that causal, window, ALiBi and RoPE count globally; the partial (O, LSE) of each query block are then merged
 * exactly ({@link AttentionMerge}). Pairs that are wholly masked (causal, window) are never computed, and what
 * moves between executors per query block is its partial O and LSE, never an {@code Nq x Nk} map.
 *
 * <p>Input columns: query blocks {@code block: int, start: int, q: array<float>} ({@code [Hq, n, D]} flattened,
 * {@code start} the position of the block's first query); key blocks {@code block: int, start: int,
 * k: array<float>, v: array<float>} ({@code [Hkv, n, D]} and {@code [Hkv, n, Dv]}). Blocks may have different
 * sizes, and empty ones. Output: {@code block, start, out: array<float> [Hq, n, Dv], lse: array<float> [Hq, n]},
 * one row per query block (a block that sees no key: output 0, log-sum-exp {@code -inf}). The first call of an
 * application logs on the driver which engine each executor runs ({@link ExecutorEngine#describeExecutors}).
 */
public final class SequenceShards {
    private SequenceShards() {
    }

    /** The sharded attention of {@code queryBlocks} over {@code keyBlocks}; lazy, as every Dataset operation. */
    public static Dataset<Row> attention(Dataset<Row> queryBlocks, Dataset<Row> keyBlocks, AttentionSpec spec) {
        ExecutorEngine.describeOnce(queryBlocks.sparkSession());
        Dataset<Row> q = queries(queryBlocks, spec);
        Dataset<Row> pairs = visiblePairs(queryBlocks, keyBlocks, spec);
        Dataset<Partial> partials = pairs
                .select(struct(col("qb").as("block"), col("qs").as("start"), col("q")).as("query"),
                        struct(col("kb").as("block"), col("ks").as("start"), col("k"), col("v")).as("key"))
                .as(Encoders.bean(Pair.class))
                .map((MapFunction<Pair, Partial>) p -> piece(p, spec), Encoders.bean(Partial.class));
        // One empty partial per query block, so that blocks no key reaches come out too (merging it changes nothing).
        Dataset<Partial> empties = q.map((MapFunction<Row, Partial>) row -> empty(row, spec),
                Encoders.bean(Partial.class));
        Dataset<Tuple2<Integer, Partial>> merged = partials.union(empties)
                .groupByKey((MapFunction<Partial, Integer>) Partial::getBlock, Encoders.INT())
                .reduceGroups((ReduceFunction<Partial>) (a, b) -> merge(a, b, spec));
        return merged.map((MapFunction<Tuple2<Integer, Partial>, Partial>) Tuple2::_2, Encoders.bean(Partial.class))
                .select(col("block"), col("start"), col("out"), col("lse"));
    }

    /** Query blocks as {@code qb, qs, q, qn} (the block's query count). */
    private static Dataset<Row> queries(Dataset<Row> queryBlocks, AttentionSpec spec) {
        long qw = (long) spec.heads() * spec.dim();
        return queryBlocks.select(col("block").as("qb"), col("start").as("qs"), col("q"),
                size(col("q")).divide(lit(qw)).cast("long").as("qn"));
    }

    /** The (query block, key block) pairs that are computed: those {@link #visible} keeps. */
    static Dataset<Row> visiblePairs(Dataset<Row> queryBlocks, Dataset<Row> keyBlocks, AttentionSpec spec) {
        long kw = (long) spec.kvHeads() * spec.dim();
        Dataset<Row> k = keyBlocks.select(col("block").as("kb"), col("start").as("ks"), col("k"), col("v"),
                size(col("k")).divide(lit(kw)).cast("long").as("kn"));
        return queries(queryBlocks, spec).join(k, visible(spec));
    }

    /** The join condition: the pair holds a visible (query, key) at all ({@link AttentionSpec#visible}), in SQL. */
    static Column visible(AttentionSpec spec) {
        Column qLast = col("qs").plus(col("qn")).minus(1);
        Column kLast = col("ks").plus(col("kn")).minus(1);
        Column c = col("qn").gt(0).and(col("kn").gt(0));
        if (spec.causal()) {
            c = c.and(col("ks").leq(qLast));
        }
        if (spec.windowLeft() >= 0) {
            c = c.and(kLast.geq(col("qs").minus(spec.windowLeft())));
        }
        if (spec.windowRight() >= 0) {
            c = c.and(col("ks").leq(qLast.plus(spec.windowRight())));
        }
        return c;
    }

    /** One (query block, key block) pair on this executor's engine. */
    private static Partial piece(Pair p, AttentionSpec spec) {
        int qb = p.getQuery().getBlock();
        int qs = p.getQuery().getStart();
        int kb = p.getKey().getBlock();
        int ks = p.getKey().getStart();
        float[] q = p.getQuery().getQ();
        float[] k = p.getKey().getK();
        float[] v = p.getKey().getV();
        int qn = count(q.length, spec.heads(), spec.dim(), "query block " + qb + " q");
        int kn = count(k.length, spec.kvHeads(), spec.dim(), "key block " + kb + " k");
        if (v.length != (long) kn * spec.kvHeads() * spec.valueDim()) {
            throw new IllegalArgumentException("key block " + kb + ": v has " + v.length + " floats, expected Hkv*n*Dv="
                    + spec.kvHeads() + "*" + kn + "*" + spec.valueDim());
        }
        AttentionEngine engine = ExecutorEngine.get();
        AttentionResult r = engine.attention(Tensor.of(q, 1, spec.heads(), qn, spec.dim()),
                Tensor.of(k, 1, spec.kvHeads(), kn, spec.dim()), Tensor.of(v, 1, spec.kvHeads(), kn, spec.valueDim()),
                spec.options(qs, ks));
        return new Partial(qb, qs, qn, r.output().data(), r.logSumExp().orElseThrow().data());
    }

    private static Partial empty(Row row, AttentionSpec spec) {
        int qn = (int) row.getLong(row.fieldIndex("qn"));
        float[] lse = new float[spec.heads() * qn];
        Arrays.fill(lse, Float.NEGATIVE_INFINITY);
        return new Partial(row.getInt(row.fieldIndex("qb")), row.getInt(row.fieldIndex("qs")), qn,
                new float[spec.heads() * qn * spec.valueDim()], lse);
    }

    private static Partial merge(Partial a, Partial b, AttentionSpec spec) {
        int n = a.getLength();
        Tensor[] outs = {Tensor.of(a.getOut(), spec.heads(), n, spec.valueDim()),
            Tensor.of(b.getOut(), spec.heads(), n, spec.valueDim())};
        Tensor[] lses = {Tensor.of(a.getLse(), spec.heads(), n), Tensor.of(b.getLse(), spec.heads(), n)};
        AttentionMerge.Partial m = AttentionMerge.merge(outs, lses);
        return new Partial(a.getBlock(), a.getStart(), n, m.output().data(), m.logSumExp().data());
    }

    private static int count(int floats, int heads, int dim, String what) {
        long per = (long) heads * dim;
        if (floats % per != 0) {
            throw new IllegalArgumentException(what + " has " + floats + " floats, not a multiple of H*D=" + heads + "*"
                    + dim);
        }
        return (int) (floats / per);
    }
}

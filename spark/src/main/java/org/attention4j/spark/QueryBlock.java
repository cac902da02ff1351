package org.attention4j.spark;

import java.io.Serializable;

/**
 * A block of a sequence's queries as a Spark bean ({@code Encoders.bean(QueryBlock.class)}), the row type of
 * {@link SequenceShards}'s query blocks: {@code q [Hq, n, D]}, {@code start} the position of its first query.
 */
public final class QueryBlock implements Serializable {
    private static final long serialVersionUID = 1L;
    private int block;
    private int start;
    private float[] q;

    /** For Spark's bean encoder. */
    public QueryBlock() {
    }

    /** A block. */
    public QueryBlock(int block, int start, float[] q) {
        this.block = block;
        this.start = start;
        this.q = q;
    }

    /** The block's index. */
    public int getBlock() {
        return block;
    }

    /** Sets it. */
    public void setBlock(int block) {
        this.block = block;
    }

    /** The position of its first query. */
    public int getStart() {
        return start;
    }

    /** Sets it. */
    public void setStart(int start) {
        this.start = start;
    }

    /** The queries {@code [Hq, n, D]}. */
    public float[] getQ() {
        return q;
    }

    /** Sets them. */
    public void setQ(float[] q) {
        this.q = q;
    }
}

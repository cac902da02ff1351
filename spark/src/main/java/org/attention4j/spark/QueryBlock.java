package org.attention4j.spark;

/**
 * A block of a sequence's queries as a Spark bean ({@code Encoders.bean(QueryBlock.class)}), the row type of
 * {@link SequenceShards}'s query blocks: {@code q [Hq, n, D]}, {@code start} the position of its first query.
 */
public final class QueryBlock extends SequenceBlock {
    private static final long serialVersionUID = 1L;
    private float[] q;

    /** For Spark's bean encoder. */
    public QueryBlock() {
    }

    /** A block. */
    public QueryBlock(int block, int start, float[] q) {
        super(block, start);
        this.q = q;
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

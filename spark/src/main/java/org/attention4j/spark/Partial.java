package org.attention4j.spark;

/**
 * One query block's partial result over some of the keys (a Spark bean): {@code out [Hq, n, Dv]} and
 * {@code lse [Hq, n]} flattened, merged exactly with others of the same block ({@link SequenceShards}).
 */
public final class Partial extends SequenceBlock {
    private static final long serialVersionUID = 1L;
    private int length;
    private float[] out;
    private float[] lse;

    /** For Spark's bean encoder. */
    public Partial() {
    }

    Partial(int block, int start, int length, float[] out, float[] lse) {
        super(block, start);
        this.length = length;
        this.out = out;
        this.lse = lse;
    }

    /** The block's query count. */
    public int getLength() {
        return length;
    }

    /** Sets the query count. */
    public void setLength(int length) {
        this.length = length;
    }

    /** {@code [Hq, n, Dv]}, flattened. */
    public float[] getOut() {
        return out;
    }

    /** Sets the output. */
    public void setOut(float[] out) {
        this.out = out;
    }

    /** {@code [Hq, n]}, flattened. */
    public float[] getLse() {
        return lse;
    }

    /** Sets the log-sum-exp. */
    public void setLse(float[] lse) {
        this.lse = lse;
    }
}

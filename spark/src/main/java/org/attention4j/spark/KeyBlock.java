package org.attention4j.spark;

/**
 * A block of a sequence's keys and values as a Spark bean ({@code Encoders.bean(KeyBlock.class)}), the row type of
 * {@link SequenceShards}'s key blocks: {@code k [Hkv, n, D]}, {@code v [Hkv, n, Dv]}, {@code start} the position
 * of its first key in the sequence.
 */
public final class KeyBlock extends SequenceBlock {
    private static final long serialVersionUID = 1L;
    private float[] k;
    private float[] v;

    /** For Spark's bean encoder. */
    public KeyBlock() {
    }

    /** A block. */
    public KeyBlock(int block, int start, float[] k, float[] v) {
        super(block, start);
        this.k = k;
        this.v = v;
    }

    /** The keys {@code [Hkv, n, D]}. */
    public float[] getK() {
        return k;
    }

    /** Sets them. */
    public void setK(float[] k) {
        this.k = k;
    }

    /** The values {@code [Hkv, n, Dv]}. */
    public float[] getV() {
        return v;
    }

    /** Sets them. */
    public void setV(float[] v) {
        this.v = v;
    }
}

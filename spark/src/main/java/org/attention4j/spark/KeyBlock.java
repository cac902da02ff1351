package org.attention4j.spark;

import java.io.Serializable;

/**
 * A block of a sequence's keys and values as a Spark bean ({@code Encoders.bean(KeyBlock.class)}), the row type of
 * {@link SequenceShards}'s key blocks: {@code k [Hkv, n, D]}, {@code v [Hkv, n, Dv]}, {@code start} the position
 * of its first key in the sequence.
 */
public final class KeyBlock implements Serializable {
    private static final long serialVersionUID = 1L;
    private int block;
    private int start;
    private float[] k;
    private float[] v;

    /** For Spark's bean encoder. */
    public KeyBlock() {
    }

    /** A block. */
    public KeyBlock(int block, int start, float[] k, float[] v) {
        this.block = block;
        this.start = start;
        this.k = k;
        this.v = v;
    }

    /** The block's index. */
    public int getBlock() {
        return block;
    }

    /** Sets it. */
    public void setBlock(int block) {
        this.block = block;
    }

    /** The position of its first key. */
    public int getStart() {
        return start;
    }

    /** Sets it. */
    public void setStart(int start) {
        this.start = start;
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

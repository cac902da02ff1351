package org.attention4j.spark;

import java.io.Serializable;

/**
 * What the block beans of a sharded sequence share ({@link QueryBlock}, {@link KeyBlock}, {@link Partial}): the
 * block's index and the position of its first element in the sequence. Spark's bean encoder reads inherited
 * properties, so the subclasses' rows carry both columns.
 */
public abstract class SequenceBlock implements Serializable {
    private static final long serialVersionUID = 1L;
    private int block;
    private int start;

    /** For Spark's bean encoder. */
    protected SequenceBlock() {
    }

    protected SequenceBlock(int block, int start) {
        this.block = block;
        this.start = start;
    }

    /** The block's index. */
    public int getBlock() {
        return block;
    }

    /** Sets the block's index. */
    public void setBlock(int block) {
        this.block = block;
    }

    /** The position of the block's first element (query or key) in the sequence. */
    public int getStart() {
        return start;
    }

    /** Sets the start position. */
    public void setStart(int start) {
        this.start = start;
    }
}

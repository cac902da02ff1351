package org.attention4j.spark;

import java.io.Serializable;

/**
 * One (query block, key block) pair to compute, as Spark's bean encoder decodes it: the two blocks as nested beans,
 * their arrays arriving as {@code float[]}, not as lists of boxed floats.
 */
public final class Pair implements Serializable {
    private static final long serialVersionUID = 1L;
    private QueryBlock query;
    private KeyBlock key;

    /** For Spark's bean encoder. */
    public Pair() {
    }

    /** The query block. */
    public QueryBlock getQuery() {
        return query;
    }

    /** Sets the query block. */
    public void setQuery(QueryBlock query) {
        this.query = query;
    }

    /** The key block. */
    public KeyBlock getKey() {
        return key;
    }

    /** Sets the key block. */
    public void setKey(KeyBlock key) {
        this.key = key;
    }
}

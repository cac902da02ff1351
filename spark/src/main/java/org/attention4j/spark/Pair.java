package org.attention4j.spark;

import java.io.Serializable;

/**
 * One (query block, key block) pair to compute, as Spark's bean encoder decodes it: the arrays arrive as
 * {@code float[]}, not as lists of boxed floats.
 */
public final class Pair implements Serializable {
    private static final long serialVersionUID = 1L;
    private int qb;
    private int qs;
    private float[] q;
    private int kb;
    private int ks;
    private float[] k;
    private float[] v;

    /** For Spark's bean encoder. */
    public Pair() {
    }

    /** The query block's index. */
    public int getQb() {
        return qb;
    }

    /** Sets it. */
    public void setQb(int qb) {
        this.qb = qb;
    }

    /** The position of the query block's first query. */
    public int getQs() {
        return qs;
    }

    /** Sets it. */
    public void setQs(int qs) {
        this.qs = qs;
    }

    /** The queries {@code [Hq, n, D]}. */
    public float[] getQ() {
        return q;
    }

    /** Sets them. */
    public void setQ(float[] q) {
        this.q = q;
    }

    /** The key block's index. */
    public int getKb() {
        return kb;
    }

    /** Sets it. */
    public void setKb(int kb) {
        this.kb = kb;
    }

    /** The position of the key block's first key. */
    public int getKs() {
        return ks;
    }

    /** Sets it. */
    public void setKs(int ks) {
        this.ks = ks;
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

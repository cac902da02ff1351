package org.attention4j.cpu;

import org.attention4j.spi.AttentionProblem;

/**
 * What the query tiles of one (batch, key/value head) share: where its keys are (the input itself, or a copy
 * rotated by RoPE, {@code O(Nk * D)}), where its values are, and which value rows hold NaN or infinity (so that a
 * masked key's row is skipped instead of being weighted by 0). Built once per (batch, kv head) and read by every
 * query head of the group: grouped-query heads never copy K or V per query head.
 */
final class KvLayout {
    /** Keys, row-major with rows of D: the input array, or the rotated copy. */
    final float[] k;
    private final int keyBase;
    private final int d;
    /** Offset of this head's value rows in the input V. */
    final int valueBase;
    private final float[] v;
    private final int dv;
    private final int used;
    private final int nk;
    /** Per key, whether its value row is not all finite; null when all are; computed on first demand. */
    private boolean[] valueNonFinite;
    private boolean scanned;

    /**
     * @param used the keys any query of entry {@code b} may see (key length, or a cache's length): only these are
     *             rotated and scanned, the rows past them are never read
     */
    KvLayout(AttentionProblem p, int b, int hk, RopeTable rope, int used) {
        int nk = p.nk();
        d = p.dim();
        int dv = p.valueDim();
        int kBase = (b * p.kvHeads() + hk) * nk * d;
        if (rope == null) {
            k = p.k().data();
            keyBase = kBase;
        } else {
            k = new float[used * d];
            keyBase = 0;
            double[] scratch = new double[d];
            float[] src = p.k().data();
            for (int j = 0; j < used; j++) {
                rope.rotate(src, kBase + j * d, p.keyPosition(b, j), 1.0, k, j * d, scratch);
            }
        }
        valueBase = (b * p.kvHeads() + hk) * nk * dv;
        this.v = p.v().data();
        this.dv = dv;
        this.used = used;
        this.nk = nk;
    }

    /**
     * Per key, whether its value row holds NaN or an infinity; null when every value row in use is finite. Scanned
     * on the first call only: the tiles first run as if all were finite and ask only when their accumulator came
     * out non-finite (QueryTile), since a pass over V cost a sixth of a decode step, which reads K and V once
     * ({@code docs/benchmarks/cpu_profile.txt}).
     */
    synchronized boolean[] valueNonFinite() {
        if (scanned) {
            return valueNonFinite;
        }
        boolean[] bad = null;
        // One fast pass over the head's values; the per-key scan only when it finds NaN or an infinity.
        boolean allFinite = TileOps.active().allFinite(v, valueBase, valueBase + used * dv);
        for (int j = 0; j < used && !allFinite; j++) {
            int o = valueBase + j * dv;
            for (int c = 0; c < dv; c++) {
                if (!Float.isFinite(v[o + c])) {
                    if (bad == null) {
                        bad = new boolean[nk];
                    }
                    bad[j] = true;
                    break;
                }
            }
        }
        valueNonFinite = bad;
        scanned = true;
        return bad;
    }

    /** Where key {@code j}'s row starts in {@link #k}. */
    int keyOffset(int j) {
        return keyBase + j * d;
    }

    /** Floats this layout allocates, for sizing batches of layouts. */
    static long floats(AttentionProblem p) {
        return p.rope() == null ? 0 : (long) p.nk() * p.dim();
    }
}

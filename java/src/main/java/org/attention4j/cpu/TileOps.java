package org.attention4j.cpu;

/**
 * The inner loops of one query tile ({@link QueryTile}), in two kinds picked once per JVM by {@link SimdSupport}:
 * {@link VectorTileOps} (register-blocked micro-kernels on the Java Vector API, {@code jdk.incubator.vector}) and
 * {@link ScalarTileOps} (plain loops that C2's auto-vectoriser handles, {@link TileLoops} and {@link FastExp}).
 *
 * <p>Every operand is held transposed, one array per head-dim element, key or value element, indexed by the query
 * row: the queries {@code qt[c][r]}, the scores/probabilities {@code p[jj][r]}, the accumulator {@code ot[c][r]}.
 * So each operation is element-wise over rows and needs no horizontal reduction. {@code n} is the number of rows
 * to process: the tile's rows rounded up to {@link #lanes()}; the arrays are at least that long and rows past the
 * tile's own are padding that no result reads.
 */
abstract class TileOps {
    /** The kind this JVM uses, chosen at its first use (see {@link SimdSupport}). */
    static TileOps active() {
        return Active.OPS;
    }

    /**
     * Holds the chosen kind apart from TileOps' own initialiser: were the choice made there, a kind's class
     * initialised first (its initialiser runs TileOps' first) would be instantiated before its own static fields
     * are set.
     */
    private static final class Active {
        static final TileOps OPS = SimdSupport.select();
    }

    /** Rows a tile is padded to a multiple of (1: no padding). */
    abstract int lanes();

    /** A short name for logs and benchmark headers, e.g. {@code "vector (512-bit)"}. */
    abstract String describe();

    /**
     * {@code p[jj][r] = sum_c k[ko[jj] + c] * qt[c][r]} for {@code jj < cnt}, {@code r < n}. With spans
     * ({@code lo, hi} not null: row {@code r} sees keys {@code lo[r] <= jj < hi[r]}, an empty span for a row
     * that sees none, padding rows included), a kind may leave unwritten the entries of keys that no row of a
     * block of rows sees; {@link #maskOutside} then masks them.
     */
    abstract void scores(float[][] qt, float[] k, int[] ko, float[][] p, int cnt, int n, int d, int[] lo, int[] hi);

    /** {@code p[jj][r] = -inf} where {@code jj < lo[r]} or {@code jj >= hi[r]}, for {@code jj < cnt}, {@code r < n}. */
    void maskOutside(float[][] p, int cnt, int[] lo, int[] hi, int n) {
        for (int jj = 0; jj < cnt; jj++) {
            float[] pj = p[jj];
            for (int r = 0; r < n; r++) {
                if (jj < lo[r] || jj >= hi[r]) {
                    pj[r] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }

    /** {@code ot[c][r] += sum_x v[vo[x] + c] * p[keys[x]][r]} for {@code x < count}, {@code c < dv}. */
    abstract void accumulate(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot, int n, int dv);

    /** {@code tileMax[r] = max over jj < cnt of p[jj][r]}, NaN-propagating, starting from {@code -inf}. */
    abstract void rowMax(float[][] p, int cnt, float[] tileMax, int n);

    /**
     * The online-softmax step at a new tile: {@code mNew = max(m, tileMax)}, {@code shift = max(mNew,
     * -Float.MAX_VALUE)} (finite even before any key was seen), {@code alpha = e^(m - shift)}; then {@code l} and
     * every {@code ot[c]} are multiplied by alpha and {@code m} becomes {@code mNew}. A kind may instead leave a
     * row as it is (alpha 1, {@code m} and {@code shift} unchanged) while its tile max stays within a few units of
     * {@code m}: then {@code m} is a reference the row's exponentials are counted from, no longer its exact max,
     * which the softmax does not need. NaN or {@code +inf} in {@code tileMax} always takes the update.
     *
     * @param alpha scratch of length {@code n}
     * @param scratch scratch of length {@code n}
     */
    final void rescale(float[] m, float[] tileMax, float[] shift, float[] alpha, float[] scratch, float[] l,
            float[][] ot, int n, int dv) {
        rescaleAndExp(m, tileMax, shift, alpha, scratch, l, ot, n, dv, null, 0, null, null);
    }

    /**
     * {@link #rescale}, then with the new shifts {@code p[jj][r] = e^(p[jj][r] - shift[r])} and {@code l[r] +=
     * p[jj][r]}, for {@code jj < cnt} ({@code p} may be null when {@code cnt} is 0). With spans (as in
     * {@link #scores}; entries outside them are {@code -inf}), a kind may write the 0 of keys that no row of a
     * block of rows sees without computing it.
     */
    abstract void rescaleAndExp(float[] m, float[] tileMax, float[] shift, float[] alpha, float[] scratch,
            float[] l, float[][] ot, int n, int dv, float[][] p, int cnt, int[] lo, int[] hi);

    /**
     * {@code s[r] = e^(s[r] - shift[r])}, in place, accurate down to float's normal range ({@code 2^-126}), 0
     * below about {@code 2^-127} and for {@code -inf}, NaN for NaN; {@code scratch} has length {@code n}.
     */
    abstract void expShifted(float[] s, float[] shift, float[] scratch, int n);

    /** {@code x[r] *= f[r]}. */
    abstract void multiplyInto(float[] x, float[] f, int n);

    /** {@code l[r] += s[r]}. */
    abstract void addInto(float[] l, float[] s, int n);

    /**
     * Tiles of at most this many rows use the row-major kernels {@link #scoresByRow} and {@link #accumulateByRow}
     * (0: never), which keep the vector lanes busy when rows are too few to fill them.
     */
    abstract int maxRowMajorRows();

    /** {@code p[jj][r] = q[r*d .. r*d+d) . k[ko[jj] ..]} for {@code r < rows}, {@code jj < cnt}. */
    abstract void scoresByRow(float[] q, int rows, float[] k, int[] ko, int cnt, int d, float[][] p);

    /** {@code o[r*dv + c] += sum_x p[keys[x]][r] * v[vo[x] + c]} for {@code r < rows}, {@code c < dv}. */
    abstract void accumulateByRow(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o, int rows,
            int dv);

    /**
     * {@code qt[c][r] = (float) (st[r * d + c] * scale)} for {@code r < n}, {@code c < d}: the query tile from its
     * row-major staging; rows {@code n ..} up to the lane count become 0. {@code st} holds at least
     * {@code np * d} floats ({@code np}: {@code n} rounded up to the lanes), whatever is past row {@code n}.
     */
    abstract void transposeIn(float[] st, int n, int d, double scale, float[][] qt);

    /** {@code st[r * dv + c] = ot[c][r] * inv[r]} for {@code r < n}, {@code c < dv}: the output rows, row-major. */
    abstract void transposeOut(float[][] ot, float[] inv, int n, int dv, float[] st);

    /**
     * Whether tiles of many rows (more than {@link #maxRowMajorRows()}) with value dim {@code dv} accumulate into a
     * row-major {@code o[r * dv + c]} through {@link #accumulateRows} instead of the transposed {@code ot[c][r]}
     * of {@link #accumulate}.
     */
    abstract boolean rowMajorAccumulator(int dv);

    /**
     * {@code o[r*dv + c] += sum_x p[keys[x]][r] * v[vo[x] + c]} for {@code r < n}, {@code c < dv}; {@code n} is a
     * multiple of {@link #lanes()} (rows past the tile's own are padding whose results nobody reads). With spans
     * ({@code lo, hi} not null, as in {@link #scores}, indexed by {@code x}), a kind may skip the keys no row of a
     * block of rows sees: their weights must be 0 there. {@code fresh}: {@code o} holds nothing yet and is
     * written as if it were 0 (no clearing pass needed).
     */
    abstract void accumulateRows(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o, int n,
            int dv, int[] lo, int[] hi, boolean fresh);

    /** {@code o[r*dv + c] *= f[r]} for {@code r < n}, {@code c < dv}; rows with {@code f[r] == 1} are left alone. */
    abstract void scaleRows(float[] o, float[] f, int n, int dv);

    /** {@code out[base[r] + c] = o[r*dv + c] * inv[r]} for {@code r < n}, {@code c < dv}: the finished rows. */
    abstract void writeRows(float[] o, float[] inv, int n, int dv, float[] out, int[] base);

    /** Whether {@code x[from .. to)} holds no NaN and no infinity. */
    abstract boolean allFinite(float[] x, int from, int to);
}

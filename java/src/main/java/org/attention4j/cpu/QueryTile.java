package org.attention4j.cpu;

import java.util.Arrays;

/**
 * One unit of parallel work: query rows {@code [i0, i1)} of {@code hCount} consecutive query heads of one batch
 * entry, all reading the same key/value head (one head, or a grouped-query group packed into one tile so that
 * decoding reads the group's K and V once, not once per query head). FlashAttention's forward
 * pass on the CPU: for each key tile {@code Kj} of {@code Bc} keys, the scores {@code S = scale Qi Kj^T}, the
 * running max {@code m} and sum {@code l} per row, a rescale of the accumulator by {@code e^(m_old - m_new)}, and
 * {@code O += P Vj}. Tiles no row of this block can see (causal, window, key
 * lengths) are skipped. With weights asked for, a second pass recomputes each tile's scores and writes
 * {@code e^(s - m) / l}; otherwise nothing of size {@code Nq x Nk} exists.
 *
 * <p>The queries and scores are held transposed (one array per head-dim element and per key, each indexed by the
 * row) so that the score and softmax loops run over rows; the accumulator is transposed too, or row-major where
 * the kernels say so ({@link TileOps#rowMajorAccumulator}); see {@link TileOps}. Tiles of at most a few rows
 * use row-major kernels instead ({@link TileOps#maxRowMajorRows}), so that decoding keeps the lanes busy.
 */
final class QueryTile {
    /** The inner loops: Vector API micro-kernels or their portable twin, chosen once per JVM. */
    private static final TileOps OPS = TileOps.active();

    private QueryTile() {
    }

    /** Per-task buffers and row state, sized for up to {@code cap} rows; {@code n} rows are in use. */
    private static final class Block {
        final int cap;
        final int d;
        final int dv;
        final int bc;
        int n;
        /** {@code n} rounded up to the kernels' lane count: the rows every vector loop runs over. */
        int np;
        final float[][] qt;
        final float[][] p;
        final float[][] ot;
        /** Row-major queries of tiles of few rows ({@link TileOps#maxRowMajorRows}), else null. */
        final float[] qrow;
        /**
         * Row-major accumulator: of tiles of few rows, and of every tile when the kernels accumulate row-major
         * ({@link TileOps#rowMajorAccumulator}; {@link #ot} is then empty); else null.
         */
        final float[] orow;
        /** Whether this tile uses the row-major kernels for scores and values. */
        boolean byRow;
        /** Whether this tile accumulates into {@link #orow} (else into {@link #ot}). */
        boolean rowOut;
        /** Whether {@link #orow} holds nothing of this tile yet (see {@link #resetState}). */
        boolean unwritten;
        /**
         * Row-major staging of the tile's query rows and output rows: rows move between the tensors and this
         * buffer by {@code System.arraycopy} (sequential, prefetched), and are transposed here, in L1; the
         * transpose straight from or to the tensors waited on a cache miss for every line of every row.
         */
        final float[] stage;
        final float[] m;
        final float[] l;
        final float[] tileMax;
        final float[] shift;
        final float[] alpha;
        final float[] scratch;
        /** The scores of one key before exponentiation, so that its masked rows stay known afterwards. */
        final float[] raw;
        final int[] lo;
        final int[] hi;
        /**
         * Per row (padding rows included), the keys of the current tile it sees, {@code [spanLo, spanHi)} relative
         * to the tile, empty as {@code [0, 0)}: set for tiles that are not wholly inside every row's span.
         */
        final int[] spanLo;
        final int[] spanHi;
        /** Query head and query index of each row. */
        final int[] rowHead;
        final int[] rowQuery;
        /** Per row, the ALiBi distance its biases are counted from ({@link CallState#alibiNearest}). */
        final long[] alibiFrom;
        /** Where each row starts in Q (in floats), then, at the end, in the output. */
        final int[] rowBase;
        final int[] keys;
        final int[] vo;
        final int[] ko;

        Block(int cap, int d, int dv, int bc) {
            this.cap = cap;
            this.d = d;
            this.dv = dv;
            this.bc = bc;
            qt = new float[d][cap];
            p = new float[bc][cap];
            boolean rowMajor = OPS.rowMajorAccumulator(dv);
            ot = rowMajor ? new float[0][] : new float[dv][cap];
            stage = new float[cap * Math.max(d, dv)];
            int few = Math.min(cap, OPS.maxRowMajorRows());
            qrow = few == 0 ? null : new float[few * d];
            orow = rowMajor ? new float[cap * dv] : few == 0 ? null : new float[few * dv];
            m = new float[cap];
            l = new float[cap];
            tileMax = new float[cap];
            shift = new float[cap];
            alpha = new float[cap];
            scratch = new float[cap];
            raw = new float[cap];
            lo = new int[cap];
            hi = new int[cap];
            spanLo = new int[cap];
            spanHi = new int[cap];
            rowHead = new int[cap];
            rowQuery = new int[cap];
            rowBase = new int[cap];
            alibiFrom = new long[cap];
            keys = new int[bc];
            vo = new int[bc];
            ko = new int[bc];
        }

        /** A block for {@code n} rows, reused from {@code slot} when it fits; state reset. */
        static Block acquire(BlockSlot slot, int n, int d, int dv, int bc) {
            int lanes = OPS.lanes();
            int np = (n + lanes - 1) / lanes * lanes;
            Block b = (Block) slot.block;
            if (b == null || b.cap < np || b.d != d || b.dv != dv || b.bc < bc) {
                int cap = (Math.max(n, TiledCpuBackend.BR_MIN) + lanes - 1) / lanes * lanes;
                // Key tiles vary with Nk (TiledCpuBackend.keyTile): room for the largest, so shapes can alternate.
                b = new Block(cap, d, dv, Math.max(bc, TiledCpuBackend.BC + 5));
                slot.block = b;
            }
            b.n = n;
            b.np = np;
            b.byRow = n <= OPS.maxRowMajorRows();
            b.rowOut = b.byRow || OPS.rowMajorAccumulator(dv);
            b.resetState(true);
            return b;
        }

        /**
         * The online softmax's state and the accumulator as before the first key tile. {@code lazy}: a row-major
         * accumulator of many rows is not cleared but marked {@link #unwritten}, and the first key tile's value
         * kernels write it as if it were 0.
         */
        void resetState(boolean lazy) {
            Arrays.fill(m, 0, np, Float.NEGATIVE_INFINITY);
            Arrays.fill(shift, 0, np, -Float.MAX_VALUE);   // rescale may leave a row's shift as it finds it
            Arrays.fill(l, 0, np, 0f);
            unwritten = lazy && rowOut && !byRow;
            if (unwritten) {
                return;
            }
            if (rowOut) {
                Arrays.fill(orow, 0, (byRow ? n : np) * dv, 0f);
            } else {
                for (float[] o : ot) {
                    Arrays.fill(o, 0, np, 0f);
                }
            }
        }

        /** Whether the accumulator of the tile's rows holds only finite values. */
        boolean accumulatorFinite() {
            if (rowOut) {
                return OPS.allFinite(orow, 0, n * dv);
            }
            for (int c = 0; c < dv; c++) {
                if (!OPS.allFinite(ot[c], 0, n)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Rows {@code [i0, i1)} of query head {@code h}. */
    static void run(CallState cs, KvLayout kv, int b, int h, int i0, int i1) {
        run(cs, kv, b, h, 1, i0, i1);
    }

    /**
     * Rows {@code [i0, i1)} of query heads {@code h0 .. h0+hCount)}, which share one key/value head: tile row
     * {@code r} is head {@code h0 + r / (i1 - i0)}, query {@code i0 + r % (i1 - i0)}.
     */
    static void run(CallState cs, KvLayout kv, int b, int h0, int hCount, int i0, int i1) {
        int ni = i1 - i0;
        int n = ni * hCount;
        int d = cs.d;
        int dv = cs.dv;
        int bc = cs.bc;
        Block blk = Block.acquire(BlockSlot.forCurrentThread(cs), n, d, dv, bc);
        int np = blk.np;
        for (int r = 0; r < n; r++) {
            blk.rowHead[r] = h0 + r / ni;
            blk.rowQuery[r] = i0 + r % ni;
        }
        loadQueries(cs, blk, b);

        int tileLo = Integer.MAX_VALUE;
        int tileHi = 0;
        int maxLo = 0;
        int minHi = Integer.MAX_VALUE;
        for (int r = 0; r < n; r++) {
            blk.lo[r] = cs.lo(b, blk.rowQuery[r]);
            blk.hi[r] = cs.hi(b, blk.rowQuery[r]);
            blk.alibiFrom[r] = cs.alibiNearest(b, blk.rowQuery[r], blk.lo[r], blk.hi[r]);
            maxLo = Math.max(maxLo, blk.lo[r]);
            minHi = Math.min(minHi, blk.hi[r]);
            if (blk.lo[r] < blk.hi[r]) {
                tileLo = Math.min(tileLo, blk.lo[r] / bc);
                tileHi = Math.max(tileHi, (blk.hi[r] - 1) / bc + 1);
            }
        }

        // First as if every value were finite (no pass over V). A NaN or infinity in a value row the tile
        // reads makes some accumulator entry non-finite: every row weights every key of its tiles, a masked one by
        // 0, and 0 * inf is NaN. Only then are V's rows scanned and the tile run again, treating those keys apart.
        keyTiles(cs, kv, blk, b, tileLo, tileHi, maxLo, minHi, null);
        if (!blk.accumulatorFinite()) {
            boolean[] bad = kv.valueNonFinite();
            if (bad != null) {
                blk.resetState(false);
                keyTiles(cs, kv, blk, b, tileLo, tileHi, maxLo, minHi, bad);
            }
        }

        writeOutput(cs, blk, b);
        if (cs.weights != null) {
            writeWeights(cs, kv, blk, b, tileLo, tileHi, maxLo, minHi);
        }
    }

    /**
     * The online softmax over key tiles {@code [tileLo, tileHi)} into the block's accumulator. {@code bad}: per
     * key, whether its value row is non-finite, or null to treat every value as finite.
     */
    private static void keyTiles(CallState cs, KvLayout kv, Block blk, int b, int tileLo, int tileHi, int maxLo,
            int minHi, boolean[] bad) {
        int n = blk.n;
        int np = blk.np;
        int dv = cs.dv;
        int bc = cs.bc;
        float[] v = cs.p.v().data();
        int vBase = kv.valueBase;
        for (int t = tileLo; t < tileHi; t++) {
            int j0 = t * bc;
            int cnt = Math.min(bc, cs.keysInUse(b) - j0);   // keys past those in use are never read
            boolean inside = j0 >= maxLo && j0 + cnt <= minHi;
            computeScores(cs, kv, blk, b, j0, cnt, inside);

            OPS.rowMax(blk.p, cnt, blk.tileMax, np);
            int x = 0;
            // The kernels may skip the work of keys that rows cannot see (their weights are exactly 0).
            int[] sLo = inside ? null : blk.spanLo;
            int[] sHi = inside ? null : blk.spanHi;
            int otCols = blk.rowOut ? 0 : dv;
            // A row-major accumulator is scaled by alpha before this tile's keys are added (after, an infinite
            // value times an alpha that underflowed to 0 would be NaN); before the first tile it is all zeros.
            boolean scale = blk.rowOut && t > tileLo;
            if (!anyNonFinite(bad, j0, cnt)) {
                OPS.rescaleAndExp(blk.m, blk.tileMax, blk.shift, blk.alpha, blk.scratch, blk.l, blk.ot, np,
                        otCols, blk.p, cnt, sLo, sHi);
                if (scale) {
                    OPS.scaleRows(blk.orow, blk.alpha, blk.byRow ? n : np, dv);
                }
                for (int jj = 0; jj < cnt; jj++) {
                    blk.keys[jj] = jj;
                    blk.vo[jj] = vBase + (j0 + jj) * dv;
                }
                x = cnt;
            } else {
                OPS.rescale(blk.m, blk.tileMax, blk.shift, blk.alpha, blk.scratch, blk.l, blk.ot, np, otCols);
                if (scale) {
                    OPS.scaleRows(blk.orow, blk.alpha, blk.byRow ? n : np, dv);
                }
                x = expAndSumApart(blk, bad, j0, cnt, v, vBase, dv);
            }
            if (blk.byRow) {
                OPS.accumulateByRow(blk.p, blk.keys, blk.vo, x, v, blk.orow, n, dv);
            } else if (blk.rowOut) {
                // Spans only where keys[x] == x (every key finite): the rows' spans then hold in x too.
                boolean finite = x == cnt;
                OPS.accumulateRows(blk.p, blk.keys, blk.vo, x, v, blk.orow, np, dv, finite ? sLo : null,
                        finite ? sHi : null, blk.unwritten);
                blk.unwritten = false;
            } else {
                OPS.accumulate(blk.p, blk.keys, blk.vo, x, v, blk.ot, np, dv);
            }
        }
        if (blk.unwritten) {   // no key tile at all: no row sees a key
            Arrays.fill(blk.orow, 0, np * dv, 0f);
            blk.unwritten = false;
        }
    }

    /**
     * The exponentials of a tile with keys whose value rows are non-finite ({@code bad}): keys with finite values
     * are listed in {@code blk.keys}/{@code blk.vo} for the value kernels (their count is returned); the others are
     * accumulated one at a time, here, while their scores still tell a masked row (-inf) from a visible one whose
     * weight underflowed to 0. Kept out of {@link #keyTiles} so that the rare path does not weigh on how C2
     * compiles the common one.
     */
    private static int expAndSumApart(Block blk, boolean[] bad, int j0, int cnt, float[] v, int vBase, int dv) {
        int n = blk.n;
        int np = blk.np;
        int x = 0;
        for (int jj = 0; jj < cnt; jj++) {
            boolean finite = !bad[j0 + jj];
            if (!finite) {
                System.arraycopy(blk.p[jj], 0, blk.raw, 0, n);
            }
            OPS.expShifted(blk.p[jj], blk.shift, blk.scratch, np);
            OPS.addInto(blk.l, blk.p[jj], np);
            if (finite) {
                blk.keys[x] = jj;
                blk.vo[x] = vBase + (j0 + jj) * dv;
                x++;
            } else {
                accumulateNonFinite(blk, blk.p[jj], v, vBase + (j0 + jj) * dv, n, dv);
            }
        }
        return x;
    }

    /** One key whose value row holds NaN or an infinity, into whichever accumulator the tile uses. */
    private static void accumulateNonFinite(Block blk, float[] p, float[] v, int vo, int n, int dv) {
        if (!blk.rowOut) {
            TileLoops.accumulateNonFinite(p, blk.raw, v, vo, blk.ot, n, dv);
            return;
        }
        for (int r = 0; r < n; r++) {
            if (blk.raw[r] == Float.NEGATIVE_INFINITY) {
                continue;   // masked for this row: 0 * NaN must not leak in
            }
            for (int c = 0; c < dv; c++) {
                blk.orow[r * dv + c] = Math.fma(v[vo + c], p[r], blk.orow[r * dv + c]);
            }
        }
    }

    /** Whether any of keys {@code j0 .. j0+cnt)} has a value row with NaN or infinity ({@code bad} null: none). */
    private static boolean anyNonFinite(boolean[] bad, int j0, int cnt) {
        if (bad == null) {
            return false;
        }
        for (int jj = 0; jj < cnt; jj++) {
            if (bad[j0 + jj]) {
                return true;
            }
        }
        return false;
    }

    /** Qi transposed, rotated when asked and scaled by the score scale (scores in natural units). */
    private static void loadQueries(CallState cs, Block blk, int b) {
        int d = cs.d;
        float[] q = cs.p.q().data();
        int n = blk.n;
        int[] base = blk.rowBase;
        for (int r = 0; r < n; r++) {
            base[r] = ((b * cs.heads + blk.rowHead[r]) * cs.nq + blk.rowQuery[r]) * d;
        }
        if (blk.byRow) {
            double[] scratch = cs.rope == null ? null : new double[d];
            for (int r = 0; r < n; r++) {
                if (cs.rope == null) {
                    for (int c = 0; c < d; c++) {
                        blk.qrow[r * d + c] = (float) (q[base[r] + c] * cs.qScale);
                    }
                } else {
                    cs.rope.rotate(q, base[r], cs.queryPosition(b, blk.rowQuery[r]), cs.qScale, blk.qrow, r * d,
                            scratch);
                }
            }
            return;
        }
        if (cs.rope == null) {
            // Column by column: each store runs along one contiguous qt row (row by row, every store of a row
            // would land in another array, which costs as much as the scores of a short tile).
            double scale = cs.qScale;
            float[] st = blk.stage;
            copyRuns(q, base, n, d, st);
            OPS.transposeIn(st, n, d, scale, blk.qt);
        } else {
            float[] row = new float[d];
            double[] scratch = new double[d];
            for (int r = 0; r < n; r++) {
                cs.rope.rotate(q, base[r], cs.queryPosition(b, blk.rowQuery[r]), cs.qScale, row, 0, scratch);
                for (int c = 0; c < d; c++) {
                    blk.qt[c][r] = row[c];
                }
            }
        }
        // Padding rows (up to the lane count) score 0 on every key: finite, and never read back.
        for (int c = 0; c < d; c++) {
            Arrays.fill(blk.qt[c], blk.n, blk.np, 0f);
        }
    }

    /**
     * Rows {@code r < n} of {@code d} floats from {@code src[base[r]..]} to {@code dst[r * d..]}: rows that follow
     * each other in {@code src} (the queries of one head) in one copy instead of one per row.
     */
    private static void copyRuns(float[] src, int[] base, int n, int d, float[] dst) {
        int r = 0;
        while (r < n) {
            int run = 1;
            while (r + run < n && base[r + run] == base[r] + run * d) {
                run++;
            }
            System.arraycopy(src, base[r], dst, r * d, run * d);
            r += run;
        }
    }

    /**
     * Scores of keys {@code j0 .. j0+cnt) into {@code blk.p}, with every rule applied: keys outside a row's span and
     * keys a mask removes get {@code -inf}; {@code inside} says the whole tile lies within every row's span.
     */
    private static void computeScores(CallState cs, KvLayout kv, Block blk, int b, int j0, int cnt,
            boolean inside) {
        int n = blk.n;
        for (int jj = 0; jj < cnt; jj++) {
            blk.ko[jj] = kv.keyOffset(j0 + jj);
        }
        if (blk.byRow) {
            OPS.scoresByRow(blk.qrow, n, kv.k, blk.ko, cnt, cs.d, blk.p);
        } else if (inside) {
            OPS.scores(blk.qt, kv.k, blk.ko, blk.p, cnt, blk.np, cs.d, null, null);
        }
        if (!inside) {
            // Key j is visible to row r when lo[r] <= j < hi[r]. Padding rows see none, so that no entry the
            // kernels skip stays unmasked.
            int[] sLo = blk.spanLo;
            int[] sHi = blk.spanHi;
            for (int r = 0; r < blk.np; r++) {
                int a = r < n ? Math.max(blk.lo[r] - j0, 0) : 0;
                int z = r < n ? Math.min(blk.hi[r] - j0, cnt) : 0;
                sLo[r] = a < z ? a : 0;
                sHi[r] = a < z ? z : 0;
            }
            if (!blk.byRow) {
                OPS.scores(blk.qt, kv.k, blk.ko, blk.p, cnt, blk.np, cs.d, sLo, sHi);
            }
            OPS.maskOutside(blk.p, cnt, sLo, sHi, blk.np);
        }
        if (cs.hasElementRules()) {
            for (int r = 0; r < n; r++) {
                int a = Math.max(blk.lo[r] - j0, 0);
                int z = Math.min(blk.hi[r] - j0, cnt);
                if (a < z) {
                    cs.applyElementRules(blk.p, r, a, z, b, blk.rowHead[r], blk.rowQuery[r], j0, blk.alibiFrom[r]);
                }
            }
        }
    }

    private static void writeOutput(CallState cs, Block blk, int b) {
        int dv = cs.dv;
        int n = blk.n;
        int[] base = blk.rowBase;
        float[] inv = blk.scratch;
        for (int r = 0; r < n; r++) {
            base[r] = ((b * cs.heads + blk.rowHead[r]) * cs.nq + blk.rowQuery[r]) * dv;
            inv[r] = blk.m[r] == Float.NEGATIVE_INFINITY ? 0f : 1f / blk.l[r];
        }
        // Column by column, as loadQueries: each load runs along one accumulator row.
        if (blk.rowOut) {
            OPS.writeRows(blk.orow, inv, n, dv, cs.out, base);
        } else {
            float[] st = blk.stage;
            OPS.transposeOut(blk.ot, inv, n, dv, st);
            for (int r = 0; r < n; r++) {
                System.arraycopy(st, r * dv, cs.out, base[r], dv);
            }
        }
        for (int r = 0; r < n; r++) {
            int row = (b * cs.heads + blk.rowHead[r]) * cs.nq + blk.rowQuery[r];
            int ob = base[r];
            float m = blk.m[r];
            float l = blk.l[r];
            float lse;
            if (m == Float.NEGATIVE_INFINITY) {
                lse = Float.NEGATIVE_INFINITY;   // no visible key: output 0
                Arrays.fill(cs.out, ob, ob + dv, 0f);
            } else if (!Float.isFinite(m)) {
                lse = Float.NaN;                  // +inf or NaN among the scores: the row is NaN throughout
                Arrays.fill(cs.out, ob, ob + dv, Float.NaN);
            } else if (cs.lse != null) {
                // The ALiBi distances were counted from the nearest key in span: add that constant back.
                double back = cs.slopes == null ? 0 : (double) cs.slopes[blk.rowHead[r]] * blk.alibiFrom[r];
                lse = (float) (m + Math.log(l) - back);
            } else {
                continue;                         // nobody asked for it: no logarithm per row
            }
            if (cs.lse != null) {
                cs.lse[row] = lse;
            }
        }
    }

    private static void writeWeights(CallState cs, KvLayout kv, Block blk, int b, int tileLo, int tileHi,
            int maxLo, int minHi) {
        int n = blk.n;
        int np = blk.np;
        int bc = cs.bc;
        float[] inv = new float[np];
        Arrays.fill(blk.shift, n, np, 0f);
        boolean anyBad = false;
        for (int r = 0; r < n; r++) {
            inv[r] = blk.l[r] > 0 ? 1f / blk.l[r] : 0f;
            anyBad |= !Float.isFinite(blk.m[r]) && blk.m[r] != Float.NEGATIVE_INFINITY;
            blk.shift[r] = Math.max(blk.m[r], -Float.MAX_VALUE);
        }
        for (int t = tileLo; t < tileHi; t++) {
            int j0 = t * bc;
            int cnt = Math.min(bc, cs.keysInUse(b) - j0);   // keys past those in use are never read
            boolean inside = j0 >= maxLo && j0 + cnt <= minHi;
            computeScores(cs, kv, blk, b, j0, cnt, inside);
            for (int jj = 0; jj < cnt; jj++) {
                float[] s = blk.p[jj];
                if (anyBad) {
                    // Rows that saw NaN or +inf: NaN on every visible key, 0 on masked ones, as exact arithmetic.
                    for (int r = 0; r < n; r++) {
                        blk.scratch[r] = s[r];
                    }
                }
                OPS.expShifted(s, blk.shift, blk.alpha, np);
                OPS.multiplyInto(s, inv, np);
                if (anyBad) {
                    for (int r = 0; r < n; r++) {
                        if (!Float.isFinite(blk.m[r]) && blk.m[r] != Float.NEGATIVE_INFINITY) {
                            s[r] = blk.scratch[r] == Float.NEGATIVE_INFINITY ? 0f : Float.NaN;
                        }
                    }
                }
                for (int r = 0; r < n; r++) {
                    int row = (b * cs.heads + blk.rowHead[r]) * cs.nq + blk.rowQuery[r];
                    cs.weights[row * cs.nk + j0 + jj] = s[r];
                }
            }
        }
    }
}

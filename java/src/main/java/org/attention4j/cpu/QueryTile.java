package org.attention4j.cpu;

import java.util.Arrays;

/**
 * One unit of parallel work: query rows {@code [i0, i1)} of one (batch, query head). FlashAttention's forward
 * pass on the CPU: for each key tile {@code Kj} of {@code Bc} keys, the scores {@code S = Qi Kj^T} (in base-2
 * units), the running max {@code m} and sum {@code l} per row, a rescale of the accumulator by
 * {@code 2^(m_old - m_new)}, and {@code O += P Vj}. Tiles no row of this block can see (causal, window, key
 * lengths) are skipped. With weights asked for, a second pass recomputes each tile's scores and writes
 * {@code 2^(s - m) / l}; otherwise nothing of size {@code Nq x Nk} exists.
 *
 * <p>The block is held transposed (one array per head-dim element, per key, per value element, each indexed by the
 * row) so that every hot loop is a vectorisable loop over rows; see {@link Kernels}.
 */
final class QueryTile {
    private QueryTile() {
    }

    /** Per-task buffers and row state, sized for up to {@code cap} rows; {@code n} rows are in use. */
    private static final class Block {
        final int cap;
        final int d;
        final int dv;
        final int bc;
        int n;
        final float[][] qt;
        final float[][] p;
        final float[][] ot;
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
            ot = new float[dv][cap];
            m = new float[cap];
            l = new float[cap];
            tileMax = new float[cap];
            shift = new float[cap];
            alpha = new float[cap];
            scratch = new float[cap];
            raw = new float[cap];
            lo = new int[cap];
            hi = new int[cap];
            keys = new int[bc];
            vo = new int[bc];
            ko = new int[bc];
        }

        /** A block for {@code n} rows, reused from {@code slot} when it fits; state reset. */
        static Block acquire(BlockSlot slot, int n, int d, int dv, int bc) {
            Block b = (Block) slot.block;
            if (b == null || b.cap < n || b.d != d || b.dv != dv || b.bc != bc) {
                b = new Block(Math.max(n, TiledCpuBackend.BR_MIN), d, dv, bc);
                slot.block = b;
            }
            b.n = n;
            Arrays.fill(b.m, 0, n, Float.NEGATIVE_INFINITY);
            Arrays.fill(b.l, 0, n, 0f);
            for (float[] o : b.ot) {
                Arrays.fill(o, 0, n, 0f);
            }
            return b;
        }
    }

    static void run(CallState cs, KvLayout kv, int b, int h, int i0, int i1) {
        int n = i1 - i0;
        int d = cs.d;
        int dv = cs.dv;
        int bc = cs.bc;
        Block blk = Block.acquire(BlockSlot.forCurrentThread(cs), n, d, dv, bc);
        loadQueries(cs, blk, b, h, i0);

        int tileLo = Integer.MAX_VALUE;
        int tileHi = 0;
        int maxLo = 0;
        int minHi = Integer.MAX_VALUE;
        for (int r = 0; r < n; r++) {
            blk.lo[r] = cs.lo(i0 + r);
            blk.hi[r] = cs.hi(b, i0 + r);
            maxLo = Math.max(maxLo, blk.lo[r]);
            minHi = Math.min(minHi, blk.hi[r]);
            if (blk.lo[r] < blk.hi[r]) {
                tileLo = Math.min(tileLo, blk.lo[r] / bc);
                tileHi = Math.max(tileHi, (blk.hi[r] - 1) / bc + 1);
            }
        }

        float[] v = cs.p.v().data();
        int vBase = kv.valueBase;
        for (int t = tileLo; t < tileHi; t++) {
            int j0 = t * bc;
            int cnt = Math.min(bc, cs.nk - j0);
            boolean inside = j0 >= maxLo && j0 + cnt <= minHi;
            computeScores(cs, kv, blk, b, h, i0, j0, cnt, inside);

            Arrays.fill(blk.tileMax, Float.NEGATIVE_INFINITY);
            for (int jj = 0; jj < cnt; jj++) {
                Kernels.maxInto(blk.tileMax, blk.p[jj], n);
            }
            Kernels.updateMax(blk.m, blk.tileMax, blk.shift, blk.alpha, n);
            FastExp.exp2Shifted(blk.alpha, blk.scratch, n, 0f);
            Kernels.multiplyInto(blk.l, blk.alpha, n);
            for (int c = 0; c < dv; c++) {
                Kernels.multiplyInto(blk.ot[c], blk.alpha, n);
            }
            // Keys with finite values go through the fused kernel; the rare others one at a time, here, while
            // their scores still tell a masked row (-inf) from a visible one whose weight underflowed to 0.
            int x = 0;
            for (int jj = 0; jj < cnt; jj++) {
                boolean finite = kv.valueNonFinite == null || !kv.valueNonFinite[j0 + jj];
                if (!finite) {
                    System.arraycopy(blk.p[jj], 0, blk.raw, 0, n);
                }
                FastExp.exp2Shifted(blk.p[jj], blk.shift, blk.scratch, n);
                Kernels.addInto(blk.l, blk.p[jj], n);
                if (finite) {
                    blk.keys[x] = jj;
                    blk.vo[x] = vBase + (j0 + jj) * dv;
                    x++;
                } else {
                    Kernels.accumulateNonFinite(blk.p[jj], blk.raw, v, vBase + (j0 + jj) * dv, blk.ot, n, dv);
                }
            }
            Kernels.accumulate(blk.p, blk.keys, blk.vo, x, v, blk.ot, n, dv);
        }

        writeOutput(cs, blk, b, h, i0);
        if (cs.weights != null) {
            writeWeights(cs, kv, blk, b, h, i0, tileLo, tileHi, maxLo, minHi);
        }
    }

    /** Qi transposed, rotated when asked and scaled by scale*log2(e) so that the scores come out in base 2. */
    private static void loadQueries(CallState cs, Block blk, int b, int h, int i0) {
        int d = cs.d;
        float[] q = cs.p.q().data();
        float[] row = new float[d];
        double[] scratch = new double[d];
        for (int r = 0; r < blk.n; r++) {
            int src = ((b * cs.heads + h) * cs.nq + i0 + r) * d;
            if (cs.rope != null) {
                cs.rope.rotate(q, src, cs.p.queryPosition(b, i0 + r), cs.qScale, row, 0, scratch);
            } else {
                for (int c = 0; c < d; c++) {
                    row[c] = (float) (q[src + c] * cs.qScale);
                }
            }
            for (int c = 0; c < d; c++) {
                blk.qt[c][r] = row[c];
            }
        }
    }

    /**
     * Scores of keys {@code j0 .. j0+cnt) into {@code blk.p}, with every rule applied: keys outside a row's span and
     * keys a mask removes get {@code -inf}; {@code inside} says the whole tile lies within every row's span.
     */
    private static void computeScores(CallState cs, KvLayout kv, Block blk, int b, int h, int i0, int j0, int cnt,
            boolean inside) {
        int n = blk.n;
        for (int jj = 0; jj < cnt; jj++) {
            blk.ko[jj] = kv.keyOffset(j0 + jj);
        }
        Kernels.scores(blk.qt, kv.k, blk.ko, blk.p, cnt, n, cs.d);
        if (!inside) {
            for (int r = 0; r < n; r++) {
                int a = Math.max(blk.lo[r] - j0, 0);
                int z = Math.max(Math.min(blk.hi[r] - j0, cnt), a);
                for (int jj = 0; jj < Math.min(a, cnt); jj++) {
                    blk.p[jj][r] = Float.NEGATIVE_INFINITY;
                }
                for (int jj = z; jj < cnt; jj++) {
                    blk.p[jj][r] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        if (cs.hasElementRules()) {
            for (int r = 0; r < n; r++) {
                int a = Math.max(blk.lo[r] - j0, 0);
                int z = Math.min(blk.hi[r] - j0, cnt);
                if (a < z) {
                    cs.applyElementRules(blk.p, r, a, z, b, h, i0 + r, j0);
                }
            }
        }
    }

    private static void writeOutput(CallState cs, Block blk, int b, int h, int i0) {
        int dv = cs.dv;
        for (int r = 0; r < blk.n; r++) {
            int row = (b * cs.heads + h) * cs.nq + i0 + r;
            int ob = row * dv;
            float m = blk.m[r];
            float l = blk.l[r];
            float lse;
            if (m == Float.NEGATIVE_INFINITY) {
                lse = Float.NEGATIVE_INFINITY;   // no visible key: output stays 0
            } else {
                float inv = 1f / l;
                for (int c = 0; c < dv; c++) {
                    cs.out[ob + c] = blk.ot[c][r] * inv;
                }
                lse = (float) (m / CallState.LOG2E + Math.log(l));
                if (!Float.isFinite(m)) {
                    lse = Float.NaN;              // +inf or NaN among the scores: the row is NaN throughout
                    Arrays.fill(cs.out, ob, ob + dv, Float.NaN);
                }
            }
            if (cs.lse != null) {
                cs.lse[row] = lse;
            }
        }
    }

    private static void writeWeights(CallState cs, KvLayout kv, Block blk, int b, int h, int i0, int tileLo,
            int tileHi, int maxLo, int minHi) {
        int n = blk.n;
        int bc = cs.bc;
        float[] inv = new float[n];
        boolean anyBad = false;
        for (int r = 0; r < n; r++) {
            inv[r] = blk.l[r] > 0 ? 1f / blk.l[r] : 0f;
            anyBad |= !Float.isFinite(blk.m[r]) && blk.m[r] != Float.NEGATIVE_INFINITY;
            blk.shift[r] = Math.max(blk.m[r], -Float.MAX_VALUE);
        }
        for (int t = tileLo; t < tileHi; t++) {
            int j0 = t * bc;
            int cnt = Math.min(bc, cs.nk - j0);
            boolean inside = j0 >= maxLo && j0 + cnt <= minHi;
            computeScores(cs, kv, blk, b, h, i0, j0, cnt, inside);
            for (int jj = 0; jj < cnt; jj++) {
                float[] s = blk.p[jj];
                if (anyBad) {
                    // Rows that saw NaN or +inf: NaN on every visible key, 0 on masked ones, as exact arithmetic.
                    for (int r = 0; r < n; r++) {
                        blk.scratch[r] = s[r];
                    }
                }
                FastExp.exp2Shifted(s, blk.shift, blk.alpha, n);
                Kernels.multiplyInto(s, inv, n);
                if (anyBad) {
                    for (int r = 0; r < n; r++) {
                        if (!Float.isFinite(blk.m[r]) && blk.m[r] != Float.NEGATIVE_INFINITY) {
                            s[r] = blk.scratch[r] == Float.NEGATIVE_INFINITY ? 0f : Float.NaN;
                        }
                    }
                }
                int wb = ((b * cs.heads + h) * cs.nq + i0) * cs.nk + j0 + jj;
                for (int r = 0; r < n; r++) {
                    cs.weights[wb + r * cs.nk] = s[r];
                }
            }
        }
    }
}

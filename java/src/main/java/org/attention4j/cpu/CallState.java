package org.attention4j.cpu;

import org.attention4j.AttentionMask;
import org.attention4j.Causal;
import org.attention4j.spi.AttentionProblem;

/**
 * What every query tile of one call shares: the problem, its outputs, the RoPE table, and the visibility rules
 * (causal, window, key lengths, user mask, ALiBi) in the form the tiles use them. Outputs are written by disjoint
 * tiles only, so no locking is needed.
 */
final class CallState {

    final AttentionProblem p;
    final int nq;
    final int nk;
    final int d;
    final int dv;
    final int heads;
    final int bc;
    /** Per batch entry, {@link AttentionProblem#diagonalOffset(int)}. */
    final int[] offset;
    final float[] out;
    final float[] weights;
    final float[] lse;
    final RopeTable rope;
    /**
     * The scale, folded into Q. Scores stay in natural units (no {@code log2(e)} folded in as well): a base-2
     * score would overflow float for finite scores above {@code FLT_MAX / 1.44}, and its rounding would cost tiny
     * weights a relative error of {@code |s - m| * 2^-24}; the exponential reduces {@code s - m} itself instead.
     */
    final double qScale;
    final boolean[] boolMask;
    final float[] floatMask;
    final long[] maskStrides;
    final float[] slopes;
    /**
     * Buffers for tasks this call runs inline on the caller's thread (see {@link BlockSlot}): lent by the backend
     * for the call's duration, so that small calls allocate no tile buffers.
     */
    final BlockSlot inlineSlot;

    CallState(AttentionProblem p, int bc) {
        this(p, bc, new BlockSlot());
    }

    /**
     * Per batch entry, for a decode step read in place from a cache whose rows are {@code Nk = capacity} long: the
     * keys in use {@code L_b} and the diagonal {@code L_b - Nq} (null: {@code kvLength(b)} and {@code Nk - Nq}).
     */
    final int[] entryKeys;
    final int[] entryDiagonal;

    /** Keys {@code [keyLo, keyHi)} are this state's share of the call (all of them unless split, see below). */
    final int keyLo;
    final int keyHi;

    CallState(AttentionProblem p, int bc, BlockSlot inlineSlot) {
        this(p, bc, inlineSlot, null);
    }

    /**
     * @param entryKeys for a decode step over a cache's storage: keys in use per batch entry (the diagonal of
     *                  entry {@code b} is then {@code entryKeys[b] - Nq}, RoPE queries sit at {@code entryKeys[b] -
     *                  Nq + i}); null for an ordinary call
     */
    CallState(AttentionProblem p, int bc, BlockSlot inlineSlot, int[] entryKeys) {
        this.inlineSlot = inlineSlot;
        this.entryKeys = entryKeys;
        if (entryKeys == null) {
            this.entryDiagonal = null;
        } else {
            this.entryDiagonal = new int[entryKeys.length];
            for (int b = 0; b < entryKeys.length; b++) {
                entryDiagonal[b] = entryKeys[b] - p.nq();
            }
        }
        this.keyLo = 0;
        this.keyHi = p.nk();
        this.p = p;
        this.nq = p.nq();
        this.nk = p.nk();
        this.d = p.dim();
        this.dv = p.valueDim();
        this.heads = p.heads();
        this.bc = bc;
        this.offset = new int[p.batch()];
        for (int b = 0; b < offset.length; b++) {
            offset[b] = p.diagonalOffset(b);
        }
        if (p.into() != null) {
            // The caller's tensor, not cleared first: every tile writes each of its rows, zeros for a row that sees
            // no key (QueryTile.writeOutput), and the tiles cover every row (AttentionIntoTest poisons it).
            this.out = p.into().data();
        } else {
            this.out = new float[p.batch() * heads * nq * dv];
        }
        this.weights = p.returnWeights() ? new float[p.batch() * heads * nq * nk] : null;
        this.lse = p.returnLse() ? new float[p.batch() * heads * nq] : null;
        this.rope = p.rope() == null ? null : new RopeTable(p);
        this.qScale = p.scale();
        AttentionMask mask = p.mask();
        this.boolMask = mask != null && mask.isBoolean() ? mask.booleanData() : null;
        this.floatMask = mask != null && !mask.isBoolean() ? mask.floatData() : null;
        this.maskStrides = mask == null ? null : p.maskStrides();
        this.slopes = p.alibiSlopes();
    }

    /**
     * One share of a call split along the keys (split-K, as FlashDecoding): keys {@code [keyLo, keyHi)} only, with
     * outputs and a log-sum-exp of its own (always), to be merged exactly afterwards. Shares the parent's rules,
     * RoPE table and mask; never has weights.
     */
    CallState(CallState parent, int keyLo, int keyHi) {
        this.p = parent.p;
        this.nq = parent.nq;
        this.nk = parent.nk;
        this.d = parent.d;
        this.dv = parent.dv;
        this.heads = parent.heads;
        this.bc = parent.bc;
        this.offset = parent.offset;
        this.out = new float[parent.out.length];
        this.weights = null;
        this.lse = new float[p.batch() * heads * nq];
        this.rope = parent.rope;
        this.qScale = parent.qScale;
        this.boolMask = parent.boolMask;
        this.floatMask = parent.floatMask;
        this.maskStrides = parent.maskStrides;
        this.slopes = parent.slopes;
        this.inlineSlot = new BlockSlot();
        this.entryKeys = parent.entryKeys;
        this.entryDiagonal = parent.entryDiagonal;
        this.keyLo = keyLo;
        this.keyHi = keyHi;
    }

    /**
     * The ALiBi distance from query {@code i} of entry {@code b} to the nearest key of its span {@code [lo, hi)}
     * (0 when the diagonal lies inside it, or without ALiBi).
     */
    long alibiNearest(int b, int i, int lo, int hi) {
        if (slopes == null || lo >= hi) {
            return 0;
        }
        long pos = (long) i + diagonal(b);
        return pos < lo ? lo - pos : pos >= hi ? pos - (hi - 1) : 0;
    }

    /** Whether any per-element visibility or bias rule applies (else a tile only needs its row span). */
    boolean hasElementRules() {
        return boolMask != null || floatMask != null || slopes != null;
    }

    /** Where batch entry {@code b}'s diagonal sits ({@link AttentionProblem#diagonalOffset(int)}, or the cache's). */
    int diagonal(int b) {
        return entryDiagonal == null ? offset[b] : entryDiagonal[b];
    }

    /** Keys of batch entry {@code b} that any query may see at all: {@code kvLength(b)}, or the cache's length. */
    int keysInUse(int b) {
        return entryKeys == null ? p.kvLength(b) : entryKeys[b];
    }

    /** The RoPE position of query {@code i} of batch entry {@code b}. */
    int queryPosition(int b, int i) {
        return entryDiagonal == null ? p.queryPosition(b, i) : entryDiagonal[b] + i;
    }

    /** First key query {@code i} of batch {@code b} may see (causal, window and key lengths only). */
    int lo(int b, int i) {
        long lo = keyLo;
        if (p.windowLeft() >= 0) {
            lo = Math.max(lo, (long) i + diagonal(b) - p.windowLeft());
        }
        return (int) Math.min(lo, keyHi);
    }

    /** One past the last key query {@code i} of batch {@code b} may see (causal, window and key lengths only). */
    int hi(int b, int i) {
        long hi = Math.min(keysInUse(b), keyHi);
        int offset = diagonal(b);
        if (p.causal() == Causal.BOTTOM_RIGHT) {
            hi = Math.min(hi, (long) i + offset + 1);
        } else if (p.causal() == Causal.TOP_LEFT) {
            hi = Math.min(hi, (long) i + 1);
        }
        if (p.windowRight() >= 0) {
            hi = Math.min(hi, (long) i + offset + p.windowRight() + 1);
        }
        return (int) Math.max(hi, 0);
    }

    /**
     * Applies the user mask and ALiBi to the scores {@code p[jj][r]}, {@code a <= jj < z}, of query {@code i} (row
     * {@code r} of its block) for keys {@code j0 + jj}: a false boolean entry sets {@code -inf}, a float entry and
     * the ALiBi bias are added (natural units, as the scores). The ALiBi distance is counted from {@code dmin}, the distance to
     * the row's nearest key in span ({@link #alibiNearest}): a constant per row, which softmax ignores and the
     * log-sum-exp adds back, and which keeps the scores near 0 in float when every visible key is far away.
     */
    void applyElementRules(float[][] p, int r, int a, int z, int b, int h, int i, int j0, long dmin) {
        long base = 0;
        long sj = 0;
        if (maskStrides != null) {
            base = b * maskStrides[0] + h * maskStrides[1] + i * maskStrides[2];
            sj = maskStrides[3];
        }
        if (boolMask != null) {
            for (int jj = a; jj < z; jj++) {
                if (!boolMask[(int) (base + (j0 + jj) * sj)]) {
                    p[jj][r] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        if (floatMask != null || slopes != null) {
            double slope = slopes == null ? 0 : slopes[h];
            for (int jj = a; jj < z; jj++) {
                int j = j0 + jj;
                double bias = 0;
                if (floatMask != null) {
                    bias += floatMask[(int) (base + j * sj)];
                }
                if (slopes != null) {
                    bias -= slope * (Math.abs((long) i + diagonal(b) - j) - dmin);
                }
                if (bias != 0) {
                    p[jj][r] = (float) (p[jj][r] + bias);
                }
            }
        }
    }
}

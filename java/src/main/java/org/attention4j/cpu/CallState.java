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
    static final double LOG2E = 1.4426950408889634;

    final AttentionProblem p;
    final int nq;
    final int nk;
    final int d;
    final int dv;
    final int heads;
    final int bc;
    final int offset;
    final float[] out;
    final float[] weights;
    final float[] lse;
    final RopeTable rope;
    /** scale * log2(e): the engine works in base 2, folding this into Q. */
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

    /** Keys {@code [keyLo, keyHi)} are this state's share of the call (all of them unless split, see below). */
    final int keyLo;
    final int keyHi;

    CallState(AttentionProblem p, int bc, BlockSlot inlineSlot) {
        this.inlineSlot = inlineSlot;
        this.keyLo = 0;
        this.keyHi = p.nk();
        this.p = p;
        this.nq = p.nq();
        this.nk = p.nk();
        this.d = p.dim();
        this.dv = p.valueDim();
        this.heads = p.heads();
        this.bc = bc;
        this.offset = p.diagonalOffset();
        this.out = new float[p.batch() * heads * nq * dv];
        this.weights = p.returnWeights() ? new float[p.batch() * heads * nq * nk] : null;
        this.lse = p.returnLse() ? new float[p.batch() * heads * nq] : null;
        this.rope = p.rope() == null ? null : new RopeTable(p);
        this.qScale = p.scale() * LOG2E;
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
        this.keyLo = keyLo;
        this.keyHi = keyHi;
    }

    /** Whether any per-element visibility or bias rule applies (else a tile only needs its row span). */
    boolean hasElementRules() {
        return boolMask != null || floatMask != null || slopes != null;
    }

    /** First key query {@code i} of batch {@code b} may see (causal, window and key lengths only). */
    int lo(int i) {
        long lo = keyLo;
        if (p.windowLeft() >= 0) {
            lo = Math.max(lo, (long) i + offset - p.windowLeft());
        }
        return (int) Math.min(lo, keyHi);
    }

    /** One past the last key query {@code i} of batch {@code b} may see (causal, window and key lengths only). */
    int hi(int b, int i) {
        long hi = Math.min(p.kvLength(b), keyHi);
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
     * the ALiBi bias are added (in base-2 units).
     */
    void applyElementRules(float[][] p, int r, int a, int z, int b, int h, int i, int j0) {
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
                    bias -= slope * Math.abs((long) i + offset - j);
                }
                if (bias != 0) {
                    p[jj][r] = (float) (p[jj][r] + bias * LOG2E);
                }
            }
        }
    }
}

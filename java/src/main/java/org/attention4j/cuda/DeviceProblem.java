package org.attention4j.cuda;

import java.util.Arrays;

import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.Rope;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionProblem;
import org.attention4j.spi.ProblemShape;

/**
 * One validated call as the CUDA path needs it: dimensions and options resolved, with no reference to where the
 * data lives. Built from an {@link AttentionProblem} (host tensors, validated by the engine) or from the shapes of
 * {@link DeviceTensor}s, which {@link #of(int[], int[], int[], AttentionOptions)} checks with the rules and
 * messages of {@link AttentionProblem} (both through {@link ProblemShape}).
 *
 * @param batch          B
 * @param heads          Hq
 * @param kvHeads        Hkv
 * @param nq             Nq
 * @param nk             Nk
 * @param dim            D
 * @param valueDim       Dv
 * @param scale          the resolved scale
 * @param causal         0 none, 1 bottom-right, 2 top-left (the kernel's encoding: the enum ordinal)
 * @param windowLeft     -1 = unbounded
 * @param windowRight    -1 = unbounded
 * @param kvLengths      per-batch key lengths or null
 * @param mask           the user mask or null
 * @param maskStrides    its strides through {@code [B, Hq, Nq, Nk]} or null
 * @param alibiSlopes    per-head slopes or null
 * @param rope           RoPE or null
 * @param queryPositions explicit query positions (length Nq or B*Nq) or null
 * @param keyPositions   explicit key positions (length Nk or B*Nk) or null; with start positions and RoPE, the
 *                       positions they give (B*Nq and B*Nk entries)
 * @param diagonals      per batch entry, {@link AttentionProblem#diagonalOffset(int)} when start positions were
 *                       given (the kernels' {@code diagonals}), else null: {@code Nk - Nq}
 * @param returnWeights  whether the weights are asked for
 * @param returnLse      whether the log-sum-exp is asked for
 */
record DeviceProblem(int batch, int heads, int kvHeads, int nq, int nk, int dim, int valueDim, double scale,
                     int causal, int windowLeft, int windowRight, int[] kvLengths, AttentionMask mask,
                     long[] maskStrides, float[] alibiSlopes, Rope rope, int[] queryPositions, int[] keyPositions,
                     int[] diagonals, boolean returnWeights, boolean returnLse) {

    /** Why calls on device tensors refuse start positions (the engine's host calls take them). */
    static final String NO_START_POSITIONS = "start positions (AttentionOptions.Builder.startPositions) are taken "
            + "by the engine's calls on host tensors, not yet by calls on DeviceTensors";

    /** From a problem the engine validated. */
    static DeviceProblem of(AttentionProblem p) {
        Rope rope = p.rope();
        int[] qp = rope == null ? null : rope.queryPositions();
        int[] kp = rope == null ? null : rope.keyPositions();
        int[] diagonals = null;
        if (p.hasStartPositions()) {
            diagonals = new int[p.batch()];
            for (int b = 0; b < p.batch(); b++) {
                diagonals[b] = p.diagonalOffset(b);
            }
            if (rope != null) {
                // The rotation kernel takes one offset for every entry; per-entry starts become positions.
                qp = qp != null ? qp : positions(p, p.nq(), true);
                kp = kp != null ? kp : positions(p, p.nk(), false);
            }
        }
        return new DeviceProblem(p.batch(), p.heads(), p.kvHeads(), p.nq(), p.nk(), p.dim(), p.valueDim(), p.scale(),
                p.causal().ordinal(), p.windowLeft(), p.windowRight(), p.options().kvLengths(), p.mask(),
                p.maskStrides(), p.alibiSlopes(), rope, qp, kp, diagonals, p.returnWeights(), p.returnLse());
    }

    /** The RoPE positions of every batch entry's queries (or keys), [B*N], as the problem defines them. */
    private static int[] positions(AttentionProblem p, int n, boolean queries) {
        int[] out = new int[p.batch() * n];
        for (int b = 0; b < p.batch(); b++) {
            for (int i = 0; i < n; i++) {
                out[b * n + i] = queries ? p.queryPosition(b, i) : p.keyPosition(b, i);
            }
        }
        return out;
    }

    /**
     * Validates device tensor shapes and options.
     *
     * @throws IllegalArgumentException naming the argument and the shapes
     */
    static DeviceProblem of(int[] q, int[] k, int[] v, AttentionOptions options) {
        AttentionOptions o = options == null ? AttentionOptions.DEFAULTS : options;
        if (o.hasStartPositions()) {
            throw new IllegalArgumentException(NO_START_POSITIONS);
        }
        String shapes = "(q " + Arrays.toString(q) + ", k " + Arrays.toString(k) + ", v " + Arrays.toString(v) + ")";
        // The host calls' rules, then what only the device limits.
        ProblemShape s = ProblemShape.of(q, k, v, o, shapes);
        if (s.batch() < 1 || s.nq() < 1 || s.nk() < 1 || s.dim() < 1 || s.valueDim() < 1) {
            throw new IllegalArgumentException("B, Nq, Nk, D and Dv must be >= 1 on the device " + shapes);
        }
        if (o.returnWeights() && (long) s.batch() * s.heads() * s.nq() * s.nk() > Tensor.MAX_ELEMENTS) {
            throw new IllegalArgumentException("weights [B, Hq, Nq, Nk] would have more elements than a Java array "
                    + "holds; ask without weights " + shapes);
        }
        return new DeviceProblem(s.batch(), s.heads(), s.kvHeads(), s.nq(), s.nk(), s.dim(), s.valueDim(), s.scale(),
                o.causal().ordinal(), o.windowLeft(), o.windowRight(), s.kvLengths(), o.mask(), s.maskStrides(),
                s.alibiSlopes(), o.rope(), s.queryPositions(), s.keyPositions(), null, o.returnWeights(),
                o.returnLse());
    }

    /** The shape of the output {@code [B, Hq, Nq, Dv]}. */
    int[] outputShape() {
        return new int[] {batch, heads, nq, valueDim};
    }

    /** Rows of scores: {@code B*Hq*Nq}. */
    long rows() {
        return (long) batch * heads * nq;
    }

    /** A short description of the shapes, for messages. */
    String describe() {
        return "B=" + batch + " Hq=" + heads + " Hkv=" + kvHeads + " Nq=" + nq + " Nk=" + nk + " D=" + dim + " Dv="
                + valueDim;
    }
}

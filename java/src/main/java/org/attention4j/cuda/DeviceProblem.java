package org.attention4j.cuda;

import java.util.Arrays;

import org.attention4j.Alibi;
import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.Rope;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionProblem;

/**
 * One validated call as the CUDA path needs it: dimensions and options resolved, with no reference to where the
 * data lives. Built from an {@link AttentionProblem} (host tensors, validated by the engine) or from the shapes of
 * {@link DeviceTensor}s, which {@link #of(int[], int[], int[], AttentionOptions)} checks with the same rules and
 * messages as {@link AttentionProblem}.
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
        rank(q, "q", "[B, Hq, Nq, D]");
        rank(k, "k", "[B, Hkv, Nk, D]");
        rank(v, "v", "[B, Hkv, Nk, Dv]");
        int b = q[0], hq = q[1], nq = q[2], d = q[3], hkv = k[1], nk = k[2], dv = v[3];
        if (k[0] != b || v[0] != b) {
            throw new IllegalArgumentException("batch B differs between q, k and v " + shapes);
        }
        if (k[3] != d) {
            throw new IllegalArgumentException("head dim D of k (" + k[3] + ") differs from q's (" + d + ") " + shapes);
        }
        if (v[1] != hkv || v[2] != nk) {
            throw new IllegalArgumentException("v must have k's heads and length [B, Hkv, Nk, Dv] " + shapes);
        }
        if (hq < 1 || hkv < 1) {
            throw new IllegalArgumentException("head counts must be >= 1 " + shapes);
        }
        if (hq % hkv != 0) {
            throw new IllegalArgumentException("query heads Hq=" + hq + " are not a multiple of key/value heads Hkv="
                    + hkv + " " + shapes);
        }
        if (b < 1 || nq < 1 || nk < 1 || d < 1 || dv < 1) {
            throw new IllegalArgumentException("B, Nq, Nk, D and Dv must be >= 1 on the device " + shapes);
        }
        double scale = o.scale() != null ? o.scale() : 1.0 / Math.sqrt(d);
        int[] lengths = o.kvLengths();
        if (lengths != null) {
            if (lengths.length != b) {
                throw new IllegalArgumentException("kvLengths has " + lengths.length + " entries but the batch B=" + b
                        + " " + shapes);
            }
            for (int i = 0; i < b; i++) {
                if (lengths[i] < 0 || lengths[i] > nk) {
                    throw new IllegalArgumentException("kvLengths[" + i + "]=" + lengths[i] + " is outside [0, Nk="
                            + nk + "] " + shapes);
                }
            }
        }
        AttentionMask mask = o.mask();
        long[] strides = mask == null ? null : mask.broadcastStrides(b, hq, nq, nk);
        float[] slopes = null;
        if (o.alibi()) {
            slopes = o.alibiSlopes();
            if (slopes == null) {
                slopes = Alibi.slopes(hq);
            } else if (slopes.length != hq) {
                throw new IllegalArgumentException("alibiSlopes has " + slopes.length + " entries but there are Hq="
                        + hq + " query heads " + shapes);
            }
        }
        Rope rope = o.rope();
        int[] qp = null;
        int[] kp = null;
        if (rope != null) {
            if (d % 2 != 0) {
                throw new IllegalArgumentException("rope needs an even head dim D, got D=" + d + " " + shapes);
            }
            qp = positions(rope.queryPositions(), b, nq, "rope queryPositions", shapes);
            kp = positions(rope.keyPositions(), b, nk, "rope keyPositions", shapes);
        }
        if (o.returnWeights() && (long) b * hq * nq * nk > Tensor.MAX_ELEMENTS) {
            throw new IllegalArgumentException("weights [B, Hq, Nq, Nk] would have more elements than a Java array "
                    + "holds; ask without weights " + shapes);
        }
        return new DeviceProblem(b, hq, hkv, nq, nk, d, dv, scale, o.causal().ordinal(), o.windowLeft(),
                o.windowRight(), lengths, mask, strides, slopes, rope, qp, kp, null, o.returnWeights(), o.returnLse());
    }

    private static int[] positions(int[] pos, int b, int n, String what, String shapes) {
        if (pos != null && pos.length != n && pos.length != (long) b * n) {
            throw new IllegalArgumentException(what + " has " + pos.length + " entries; expected N=" + n
                    + " (shared) or B*N=" + ((long) b * n) + " " + shapes);
        }
        return pos;
    }

    private static void rank(int[] shape, String name, String expected) {
        if (shape.length != 4) {
            throw new IllegalArgumentException(name + " must have rank 4 " + expected + ", got shape "
                    + Arrays.toString(shape));
        }
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

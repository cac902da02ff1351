package org.attention4j.spi;

import java.util.Arrays;
import java.util.Objects;

import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.Rope;

/**
 * One dense call's dimensions and its options resolved against them, validated from the shapes alone: the rules
 * shared by calls on host tensors ({@link AttentionProblem}) and on device tensors (the CUDA backend), so that
 * both refuse the same input with the same message. Shapes: {@code q [B, Hq, Nq, D]}, {@code k [B, Hkv, Nk, D]},
 * {@code v [B, Hkv, Nk, Dv]}. What only one side limits (a Java array's size for host outputs, no zero-size
 * dims on the device) stays with that side.
 *
 * @param batch          B
 * @param heads          Hq
 * @param kvHeads        Hkv
 * @param nq             Nq
 * @param nk             Nk
 * @param dim            D
 * @param valueDim       Dv
 * @param scale          the score scale: the option, or {@code 1 / sqrt(D)}; finite
 * @param kvLengths      per-batch key lengths, each in {@code [0, Nk]}, or null
 * @param maskStrides    the mask's strides through {@code [B, Hq, Nq, Nk]}, or null without a mask
 * @param alibiSlopes    per query head, or null without ALiBi
 * @param queryPositions RoPE's explicit query positions (Nq or B*Nq entries), or null
 * @param keyPositions   RoPE's explicit key positions (Nk or B*Nk entries), or null
 * @param queryStarts    per batch entry, the queries' start position, or null without start positions
 * @param keyStarts      per batch entry, the keys' start position, or null without start positions
 */
public record ProblemShape(int batch, int heads, int kvHeads, int nq, int nk, int dim, int valueDim, double scale,
                           int[] kvLengths, long[] maskStrides, float[] alibiSlopes, int[] queryPositions,
                           int[] keyPositions, int[] queryStarts, int[] keyStarts) {

    /**
     * Validates the shapes of q, k and v and resolves {@code options} (null: the defaults) against them.
     *
     * @param shapes how the caller's inputs are described at the end of every message, e.g.
     *               {@code "(q Tensor[1, 2, 5, 8], k ..., v ...)"}
     * @throws IllegalArgumentException naming the argument and the shapes
     */
    public static ProblemShape of(int[] q, int[] k, int[] v, AttentionOptions options, String shapes) {
        AttentionOptions o = options == null ? AttentionOptions.DEFAULTS : options;
        rank(q, "q", "[B, Hq, Nq, D]");
        rank(k, "k", "[B, Hkv, Nk, D]");
        rank(v, "v", "[B, Hkv, Nk, Dv]");
        int batch = q[0];
        int heads = q[1];
        int nq = q[2];
        int dim = q[3];
        int kvHeads = k[1];
        int nk = k[2];
        int valueDim = v[3];
        if (k[0] != batch || v[0] != batch) {
            throw new IllegalArgumentException("batch B differs between q, k and v " + shapes);
        }
        if (k[3] != dim) {
            throw new IllegalArgumentException("head dim D of k (" + k[3] + ") differs from q's (" + dim + ") "
                    + shapes);
        }
        if (v[1] != kvHeads || v[2] != nk) {
            throw new IllegalArgumentException("v must have k's heads and length [B, Hkv, Nk, Dv] " + shapes);
        }
        ProblemRules.heads(heads, kvHeads, dim, shapes);
        double scale = o.scale() != null ? o.scale() : 1.0 / Math.sqrt(dim);
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be finite, got " + scale);
        }
        int[] lengths = o.kvLengths();
        if (lengths != null) {
            if (lengths.length != batch) {
                throw new IllegalArgumentException("kvLengths has " + lengths.length + " entries but the batch B="
                        + batch + " " + shapes);
            }
            for (int b = 0; b < batch; b++) {
                if (lengths[b] < 0 || lengths[b] > nk) {
                    throw new IllegalArgumentException("kvLengths[" + b + "]=" + lengths[b] + " is outside [0, Nk="
                            + nk + "] " + shapes);
                }
            }
        }
        AttentionMask mask = o.mask();
        long[] maskStrides = mask == null ? null : mask.broadcastStrides(batch, heads, nq, nk);
        float[] slopes = ProblemRules.alibiSlopes(o, heads, shapes);
        ProblemRules.ropeDim(o, dim, shapes);
        Rope rope = o.rope();
        int[] qp = rope == null ? null : positions(rope.queryPositions(), batch, nq, "rope queryPositions", shapes);
        int[] kp = rope == null ? null : positions(rope.keyPositions(), batch, nk, "rope keyPositions", shapes);
        int[] qs = null;
        int[] ks = null;
        if (o.hasStartPositions()) {
            qs = ProblemRules.starts(o.queryStarts(), batch, nq, "queryStarts", "B", shapes);
            ks = ProblemRules.starts(o.keyStarts(), batch, nk, "keyStarts", "B", shapes);
        }
        return new ProblemShape(batch, heads, kvHeads, nq, nk, dim, valueDim, scale, lengths, maskStrides, slopes,
                qp, kp, qs, ks);
    }

    private static int[] positions(int[] pos, int batch, int n, String what, String shapes) {
        if (pos != null && pos.length != n && pos.length != (long) batch * n) {
            throw new IllegalArgumentException(what + " has " + pos.length + " entries; expected N=" + n
                    + " (shared) or B*N=" + ((long) batch * n) + " " + shapes);
        }
        return pos;
    }

    private static void rank(int[] shape, String name, String expected) {
        Objects.requireNonNull(shape, name);
        if (shape.length != 4) {
            throw new IllegalArgumentException(name + " must have rank 4 " + expected + ", got shape "
                    + Arrays.toString(shape));
        }
    }
}

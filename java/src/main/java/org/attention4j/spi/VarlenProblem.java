package org.attention4j.spi;

import java.util.Arrays;
import java.util.Objects;

import org.attention4j.AttentionOptions;
import org.attention4j.Rope;
import org.attention4j.Tensor;

/**
 * One variable-length (packed) attention call, validated: sequences of different lengths packed one after the
 * other without padding, located by cumulative offsets as in FlashAttention's varlen interface.
 *
 * <p>Shapes: {@code q [totalQ, Hq, D]}, {@code k [totalK, Hkv, D]}, {@code v [totalK, Hkv, Dv]}; sequence
 * {@code b} owns query rows {@code cuSeqlensQ[b] .. cuSeqlensQ[b+1]-1} and key rows
 * {@code cuSeqlensK[b] .. cuSeqlensK[b+1]-1}. Output {@code [totalQ, Hq, Dv]}, log-sum-exp {@code [totalQ, Hq]}.
 * Each sequence is its own attention problem with {@code Nq_b} queries and {@code Nk_b} keys, so causal masks,
 * windows, ALiBi and default RoPE positions align on its own diagonal {@code Nk_b - Nq_b}.
 *
 * <p>Options: scale, causal (both alignments), ALiBi, window, RoPE (default positions per sequence, or explicit
 * positions of length {@code totalQ} / {@code totalK} in packed order), log-sum-exp. Key lengths, user masks and
 * weights do not apply to packed sequences and are refused.
 */
public final class VarlenProblem {
    private final Tensor q;
    private final Tensor k;
    private final Tensor v;
    private final int[] cuQ;
    private final int[] cuK;
    private final AttentionOptions options;
    private final int heads;
    private final int kvHeads;
    private final int dim;
    private final int valueDim;
    private final float[] alibiSlopes;
    /** Per sequence, the start positions ({@link AttentionOptions.Builder#startPositions}), or null. */
    private final int[] queryStarts;
    private final int[] keyStarts;

    private VarlenProblem(Tensor q, Tensor k, Tensor v, int[] cuQ, int[] cuK, AttentionOptions options) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.options = options;
        String shapes = "(q " + q + ", k " + k + ", v " + v + ")";
        rank3(q, "q", "[totalQ, Hq, D]");
        rank3(k, "k", "[totalK, Hkv, D]");
        rank3(v, "v", "[totalK, Hkv, Dv]");
        heads = q.dim(1);
        dim = q.dim(2);
        kvHeads = k.dim(1);
        valueDim = v.dim(2);
        if (k.dim(2) != dim) {
            throw new IllegalArgumentException("head dim D of k (" + k.dim(2) + ") differs from q's (" + dim + ") "
                    + shapes);
        }
        if (v.dim(0) != k.dim(0) || v.dim(1) != kvHeads) {
            throw new IllegalArgumentException("v must have k's tokens and heads [totalK, Hkv, Dv] " + shapes);
        }
        ProblemRules.heads(heads, kvHeads, dim, shapes);
        this.cuQ = offsets(cuQ, "cuSeqlensQ", q.dim(0), "totalQ (q's first dim)");
        this.cuK = offsets(cuK, "cuSeqlensK", k.dim(0), "totalK (k's first dim)");
        if (this.cuQ.length != this.cuK.length) {
            throw new IllegalArgumentException("cuSeqlensQ has " + cuQ.length + " entries but cuSeqlensK has "
                    + cuK.length + "; both need B+1");
        }
        if (options.kvLengths() != null) {
            throw new IllegalArgumentException("kvLengths do not apply to packed sequences: each sequence's keys are "
                    + "given by cuSeqlensK");
        }
        if (options.mask() != null) {
            throw new IllegalArgumentException("a user mask does not apply to packed sequences (no [B, Hq, Nq, Nk] "
                    + "to broadcast to); use attention() per sequence");
        }
        if (options.returnWeights()) {
            throw new IllegalArgumentException("weights are not returned for packed sequences (one Nq x Nk map per "
                    + "sequence); use attention() per sequence");
        }
        alibiSlopes = ProblemRules.alibiSlopes(options, heads, shapes);
        ProblemRules.ropeDim(options, dim, shapes);
        Rope rope = options.rope();
        if (rope != null) {
            if (rope.queryPositions() != null && rope.queryPositions().length != q.dim(0)) {
                throw new IllegalArgumentException("rope queryPositions has " + rope.queryPositions().length
                        + " entries; packed sequences need totalQ=" + q.dim(0) + " " + shapes);
            }
            if (rope.keyPositions() != null && rope.keyPositions().length != k.dim(0)) {
                throw new IllegalArgumentException("rope keyPositions has " + rope.keyPositions().length
                        + " entries; packed sequences need totalK=" + k.dim(0) + " " + shapes);
            }
        }
        if (options.hasStartPositions()) {
            int longest = 0;
            for (int b = 0; b + 1 < this.cuQ.length; b++) {
                longest = Math.max(longest, Math.max(this.cuQ[b + 1] - this.cuQ[b], this.cuK[b + 1] - this.cuK[b]));
            }
            int sequences = this.cuQ.length - 1;
            queryStarts = ProblemRules.starts(options.queryStarts(), sequences, longest, "queryStarts", "sequences",
                    shapes);
            keyStarts = ProblemRules.starts(options.keyStarts(), sequences, longest, "keyStarts", "sequences", shapes);
        } else {
            queryStarts = null;
            keyStarts = null;
        }
        long outN = (long) q.dim(0) * heads * valueDim;
        if (outN > Tensor.MAX_ELEMENTS) {
            throw new IllegalArgumentException("output [totalQ, Hq, Dv] would have " + outN
                    + " elements, more than a Java array holds " + shapes);
        }
    }

    private static int[] offsets(int[] cu, String name, int total, String totalName) {
        Objects.requireNonNull(cu, name);
        if (cu.length < 2) {
            throw new IllegalArgumentException(name + " needs B+1 >= 2 entries (0, then each sequence's end), got "
                    + Arrays.toString(cu));
        }
        if (cu[0] != 0) {
            throw new IllegalArgumentException(name + "[0] must be 0, got " + cu[0]);
        }
        for (int b = 0; b + 1 < cu.length; b++) {
            if (cu[b + 1] < cu[b]) {
                throw new IllegalArgumentException(name + " must not decrease: " + name + "[" + (b + 1) + "]="
                        + cu[b + 1] + " < " + name + "[" + b + "]=" + cu[b]);
            }
        }
        if (cu[cu.length - 1] != total) {
            throw new IllegalArgumentException(name + " ends at " + cu[cu.length - 1] + " but " + totalName + " is "
                    + total);
        }
        return cu.clone();
    }

    private static void rank3(Tensor t, String name, String expected) {
        Objects.requireNonNull(t, name);
        if (t.rank() != 3) {
            throw new IllegalArgumentException(name + " must have rank 3 " + expected + " for packed sequences, got "
                    + "shape " + Tensor.shapeString(t.shape()));
        }
    }

    /**
     * Validates one packed call.
     *
     * @throws IllegalArgumentException naming the argument and the shapes when anything is off
     */
    public static VarlenProblem of(Tensor q, Tensor k, Tensor v, int[] cuSeqlensQ, int[] cuSeqlensK,
                                   AttentionOptions options) {
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(k, "k");
        Objects.requireNonNull(v, "v");
        return new VarlenProblem(q, k, v, cuSeqlensQ, cuSeqlensK, options == null ? AttentionOptions.DEFAULTS
                : options);
    }

    /** Packed queries {@code [totalQ, Hq, D]}. */
    public Tensor q() {
        return q;
    }

    /** Packed keys {@code [totalK, Hkv, D]}. */
    public Tensor k() {
        return k;
    }

    /** Packed values {@code [totalK, Hkv, Dv]}. */
    public Tensor v() {
        return v;
    }

    /** The options as given. */
    public AttentionOptions options() {
        return options;
    }

    /** The number of sequences B. */
    public int batch() {
        return cuQ.length - 1;
    }

    /** Hq. */
    public int heads() {
        return heads;
    }

    /** Hkv. */
    public int kvHeads() {
        return kvHeads;
    }

    /** D. */
    public int dim() {
        return dim;
    }

    /** Dv. */
    public int valueDim() {
        return valueDim;
    }

    /** totalQ. */
    public int totalQ() {
        return q.dim(0);
    }

    /** totalK. */
    public int totalK() {
        return k.dim(0);
    }

    /** The query offsets (copy), B+1 entries. */
    public int[] cuSeqlensQ() {
        return cuQ.clone();
    }

    /** The key offsets (copy), B+1 entries. */
    public int[] cuSeqlensK() {
        return cuK.clone();
    }

    /** {@code Nq_b}. */
    public int nq(int b) {
        ProblemRules.batchEntry("sequence b", b, batch());
        return cuQ[b + 1] - cuQ[b];
    }

    /** {@code Nk_b}. */
    public int nk(int b) {
        ProblemRules.batchEntry("sequence b", b, batch());
        return cuK[b + 1] - cuK[b];
    }

    /** The longest sequence's query count. */
    public int maxNq() {
        int m = 0;
        for (int b = 0; b < batch(); b++) {
            m = Math.max(m, nq(b));
        }
        return m;
    }

    /** The longest sequence's key count. */
    public int maxNk() {
        int m = 0;
        for (int b = 0; b < batch(); b++) {
            m = Math.max(m, nk(b));
        }
        return m;
    }

    /** The resolved scale. */
    public double scale() {
        return options.scale() != null ? options.scale() : 1.0 / Math.sqrt(dim);
    }

    /** ALiBi slopes per query head (not a copy: do not modify), or null without ALiBi. */
    public float[] alibiSlopes() {
        return alibiSlopes;
    }

    /** Whether start positions were given ({@link AttentionOptions.Builder#startPositions}). */
    public boolean hasStartPositions() {
        return queryStarts != null;
    }

    /** Where sequence {@code b}'s first query sits: its start position, else {@code Nk_b - Nq_b} (bottom-right). */
    public int queryStart(int b) {
        ProblemRules.batchEntry("sequence b", b, batch());
        return queryStarts != null ? queryStarts[b] : (cuK[b + 1] - cuK[b]) - (cuQ[b + 1] - cuQ[b]);
    }

    /** Where sequence {@code b}'s first key sits: its start position, else 0. */
    public int keyStart(int b) {
        ProblemRules.batchEntry("sequence b", b, batch());
        return keyStarts != null ? keyStarts[b] : 0;
    }

    /**
     * Sequence {@code b} as an ordinary problem: {@code q [1, Hq, Nq_b, D]}, {@code k [1, Hkv, Nk_b, D]},
     * {@code v [1, Hkv, Nk_b, Dv]} (copies), the options with explicit RoPE positions cut to the sequence and the
     * sequence's own start positions.
     */
    public AttentionProblem sequence(int b) {
        ProblemRules.batchEntry("sequence b", b, batch());
        Tensor qb = unpack(q, cuQ[b], cuQ[b + 1]);
        Tensor kb = unpack(k, cuK[b], cuK[b + 1]);
        Tensor vb = unpack(v, cuK[b], cuK[b + 1]);
        AttentionOptions o = options;
        Rope rope = options.rope();
        if (rope != null && (rope.queryPositions() != null || rope.keyPositions() != null)) {
            int[] qp = rope.queryPositions();
            int[] kp = rope.keyPositions();
            o = options.toBuilder().rope(rope.withPositions(
                    qp == null ? null : Arrays.copyOfRange(qp, cuQ[b], cuQ[b + 1]),
                    kp == null ? null : Arrays.copyOfRange(kp, cuK[b], cuK[b + 1]))).build();
        }
        if (queryStarts != null) {
            o = o.toBuilder().startPositions(queryStarts[b], keyStarts[b]).build();
        }
        return AttentionProblem.of(qb, kb, vb, o);
    }

    /** Rows {@code from..to-1} of a packed {@code [total, H, X]} tensor as {@code [1, H, to-from, X]}. */
    static Tensor unpack(Tensor t, int from, int to) {
        int h = t.dim(1), x = t.dim(2), n = to - from;
        Tensor out = Tensor.zeros(1, h, n, x);
        float[] src = t.data(), dst = out.data();
        for (int i = 0; i < n; i++) {
            for (int hh = 0; hh < h; hh++) {
                System.arraycopy(src, ((from + i) * h + hh) * x, dst, (hh * n + i) * x, x);
            }
        }
        return out;
    }

    /** Writes {@code [1, H, n, X]} into rows {@code from..from+n-1} of a packed {@code [total, H, X]} array. */
    static void pack(float[] src, int h, int n, int x, float[] dst, int from) {
        for (int i = 0; i < n; i++) {
            for (int hh = 0; hh < h; hh++) {
                System.arraycopy(src, (hh * n + i) * x, dst, ((from + i) * h + hh) * x, x);
            }
        }
    }

    /** A short description of the shapes, for messages and logs. */
    public String describe() {
        return "varlen B=" + batch() + " Hq=" + heads + " Hkv=" + kvHeads + " totalQ=" + totalQ() + " totalK="
                + totalK() + " maxNq=" + maxNq() + " maxNk=" + maxNk() + " D=" + dim + " Dv=" + valueDim;
    }
}

package org.attention4j.spi;

import java.util.Objects;

import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.Causal;
import org.attention4j.Rope;
import org.attention4j.Tensor;

/**
 * One attention call, validated: the inputs, their dimensions, and the options resolved against them (scale,
 * mask strides, ALiBi slopes, RoPE positions). Building one is the single place where input is checked; every
 * error is an {@link IllegalArgumentException} naming the argument and the shapes.
 *
 * <p>Shapes: {@code q [B, Hq, Nq, D]}, {@code k [B, Hkv, Nk, D]}, {@code v [B, Hkv, Nk, Dv]}; query head
 * {@code h} reads key/value head {@code h / (Hq / Hkv)}.
 */
public final class AttentionProblem {
    /** Inputs. */
    private final Tensor q;
    private final Tensor k;
    private final Tensor v;
    private final AttentionOptions options;
    private final int batch;
    private final int heads;
    private final int kvHeads;
    private final int nq;
    private final int nk;
    private final int dim;
    private final int valueDim;
    private final double scale;
    private final int[] kvLengths;
    private final long[] maskStrides;
    private final float[] alibiSlopes;
    private final int[] queryPositions;
    private final int[] keyPositions;
    /** Per batch entry, the queries' and keys' start positions ({@code startPositions}), or null. */
    private final int[] queryStarts;
    private final int[] keyStarts;
    /** Where the caller wants the output written, or null for a new tensor. */
    private final Tensor into;

    private AttentionProblem(Tensor q, Tensor k, Tensor v, AttentionOptions options) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.options = options;
        this.into = null;
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(k, "k");
        Objects.requireNonNull(v, "v");
        String shapes = "(q " + q + ", k " + k + ", v " + v + ")";
        ProblemShape s = ProblemShape.of(q.shape(), k.shape(), v.shape(), options, shapes);
        batch = s.batch();
        heads = s.heads();
        nq = s.nq();
        dim = s.dim();
        kvHeads = s.kvHeads();
        nk = s.nk();
        valueDim = s.valueDim();
        scale = s.scale();
        kvLengths = s.kvLengths();
        maskStrides = s.maskStrides();
        alibiSlopes = s.alibiSlopes();
        queryPositions = s.queryPositions();
        keyPositions = s.keyPositions();
        queryStarts = s.queryStarts();
        keyStarts = s.keyStarts();

        if (options.returnWeights()) {
            long n = (long) batch * heads * nq * nk;
            if (n > Tensor.MAX_ELEMENTS) {
                throw new IllegalArgumentException("weights [B, Hq, Nq, Nk] = [" + batch + ", " + heads + ", " + nq
                        + ", " + nk + "] would have " + n + " elements, more than a Java array holds; ask without weights");
            }
        }
        long outN = (long) batch * heads * nq * valueDim;
        if (outN > Tensor.MAX_ELEMENTS) {
            throw new IllegalArgumentException("output [B, Hq, Nq, Dv] would have " + outN
                    + " elements, more than a Java array holds " + shapes);
        }
    }

    /**
     * Validates and resolves one call.
     *
     * @throws IllegalArgumentException naming the argument and the shapes when anything is off
     */
    public static AttentionProblem of(Tensor q, Tensor k, Tensor v, AttentionOptions options) {
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(k, "k");
        Objects.requireNonNull(v, "v");
        return new AttentionProblem(q, k, v, options == null ? AttentionOptions.DEFAULTS : options);
    }

    /** The same problem with its output written into {@code out}. */
    private AttentionProblem(AttentionProblem p, Tensor out) {
        q = p.q;
        k = p.k;
        v = p.v;
        options = p.options;
        batch = p.batch;
        heads = p.heads;
        kvHeads = p.kvHeads;
        nq = p.nq;
        nk = p.nk;
        dim = p.dim;
        valueDim = p.valueDim;
        scale = p.scale;
        kvLengths = p.kvLengths;
        maskStrides = p.maskStrides;
        alibiSlopes = p.alibiSlopes;
        queryPositions = p.queryPositions;
        keyPositions = p.keyPositions;
        queryStarts = p.queryStarts;
        keyStarts = p.keyStarts;
        into = out;
    }

    /**
     * This problem with its output written into {@code out} {@code [B, Hq, Nq, Dv]}, so that a caller's steady
     * state allocates no output per call. {@code out} must not share its array with q, k, v or the mask: the
     * output is written while they are still read.
     *
     * @throws IllegalArgumentException when the shape differs or the array is an input's
     */
    public AttentionProblem withOutput(Tensor out) {
        Objects.requireNonNull(out, "out");
        int[] want = {batch, heads, nq, valueDim};
        if (!java.util.Arrays.equals(out.shape(), want)) {
            throw new IllegalArgumentException("out must have shape " + Tensor.shapeString(want)
                    + " [B, Hq, Nq, Dv], got " + Tensor.shapeString(out.shape()) + " (q " + q + ", v " + v + ")");
        }
        float[] o = out.data();
        if (o == q.data() || o == k.data() || o == v.data() || options.mask() != null
                && options.mask().floatData() != null && o == options.mask().floatData()) {
            throw new IllegalArgumentException("out shares its array with an input (q, k, v or the mask); the "
                    + "output would overwrite it while it is read");
        }
        return new AttentionProblem(this, out);
    }

    /** The caller's output tensor ({@link #withOutput}), or null when the backend makes a new one. */
    public Tensor into() {
        return into;
    }

    /** Queries {@code [B, Hq, Nq, D]}. */
    public Tensor q() {
        return q;
    }

    /** Keys {@code [B, Hkv, Nk, D]}. */
    public Tensor k() {
        return k;
    }

    /** Values {@code [B, Hkv, Nk, Dv]}. */
    public Tensor v() {
        return v;
    }

    /** The options as given. */
    public AttentionOptions options() {
        return options;
    }

    /** B. */
    public int batch() {
        return batch;
    }

    /** Hq. */
    public int heads() {
        return heads;
    }

    /** Hkv. */
    public int kvHeads() {
        return kvHeads;
    }

    /** Hq / Hkv: how many query heads share one key/value head. */
    public int group() {
        return heads / kvHeads;
    }

    /** Nq. */
    public int nq() {
        return nq;
    }

    /** Nk. */
    public int nk() {
        return nk;
    }

    /** D, the query/key head dim. */
    public int dim() {
        return dim;
    }

    /** Dv, the value head dim. */
    public int valueDim() {
        return valueDim;
    }

    /** The resolved scale. */
    public double scale() {
        return scale;
    }

    /**
     * Where the diagonal of causal masks, windows and ALiBi sits for batch entry {@code b}: query {@code i} meets
     * key {@code i + diagonalOffset(b)} at distance 0. {@code queryStart(b) - keyStart(b)}: {@code Nk - Nq}
     * without start positions (bottom-right).
     */
    public int diagonalOffset(int b) {
        return queryStart(b) - keyStart(b);
    }

    /** Whether start positions were given ({@link AttentionOptions.Builder#startPositions}). */
    public boolean hasStartPositions() {
        return queryStarts != null;
    }

    /** The position of batch entry {@code b}'s first query in its whole sequence: given, else {@code Nk - Nq}. */
    public int queryStart(int b) {
        ProblemRules.batchEntry("batch entry b", b, batch);
        return queryStarts == null ? nk - nq : queryStarts[b];
    }

    /** The position of batch entry {@code b}'s first key in its whole sequence: given, else 0. */
    public int keyStart(int b) {
        ProblemRules.batchEntry("batch entry b", b, batch);
        return keyStarts == null ? 0 : keyStarts[b];
    }

    /** The causal mode. */
    public Causal causal() {
        return options.causal();
    }

    /** The number of keys batch {@code b} may see (padding), {@code Nk} without key lengths. */
    public int kvLength(int b) {
        ProblemRules.batchEntry("batch entry b", b, batch());
        return kvLengths == null ? nk : kvLengths[b];
    }

    /** Whether key lengths were given. */
    public boolean hasKvLengths() {
        return kvLengths != null;
    }

    /** The user mask or null. */
    public AttentionMask mask() {
        return options.mask();
    }

    /** The mask's element strides through {@code [B, Hq, Nq, Nk]} (0 along broadcast dims), or null. */
    public long[] maskStrides() {
        return maskStrides == null ? null : maskStrides.clone();
    }

    /** ALiBi slopes per query head (not a copy: do not modify), or null without ALiBi. */
    public float[] alibiSlopes() {
        return alibiSlopes;
    }

    /** Window left side, -1 = unbounded. */
    public int windowLeft() {
        return options.windowLeft();
    }

    /** Window right side, -1 = unbounded. */
    public int windowRight() {
        return options.windowRight();
    }

    /** RoPE or null. */
    public Rope rope() {
        return options.rope();
    }

    /** The RoPE position of query {@code i} of batch {@code b}: explicit, else {@code queryStart(b) + i}. */
    public int queryPosition(int b, int i) {
        if (queryPositions == null) {
            return queryStart(b) + i;
        }
        return queryPositions.length == nq ? queryPositions[i] : queryPositions[b * nq + i];
    }

    /** The RoPE position of key {@code j} of batch {@code b}: explicit, else {@code keyStart(b) + j}. */
    public int keyPosition(int b, int j) {
        if (keyPositions == null) {
            return keyStart(b) + j;
        }
        return keyPositions.length == nk ? keyPositions[j] : keyPositions[b * nk + j];
    }

    /** Whether the weights are asked for. */
    public boolean returnWeights() {
        return options.returnWeights();
    }

    /** Whether the log-sum-exp is asked for. */
    public boolean returnLse() {
        return options.returnLse();
    }

    /** A short description of the shapes, for messages and logs. */
    public String describe() {
        return "B=" + batch + " Hq=" + heads + " Hkv=" + kvHeads + " Nq=" + nq + " Nk=" + nk + " D=" + dim
                + " Dv=" + valueDim;
    }

    /**
     * Whether the answer is known without computing: no output rows ({@code B*Hq*Nq = 0}), or no keys (every
     * row sees none). Decided
     * here, once, so that no backend allocates per-key scratch for a problem with nothing in it.
     */
    public boolean isTrivial() {
        return (long) batch * heads * nq == 0 || nk == 0;
    }

    /**
     * The answer of a {@linkplain #isTrivial trivial} problem, as every backend defines it: output zeros, weights
     * zeros, log-sum-exp {@code -inf} for a row that sees no key.
     *
     * @throws IllegalStateException when the problem is not trivial
     */
    public AttentionResult trivialResult(Backend backend) {
        if (!isTrivial()) {
            throw new IllegalStateException("not a trivial problem: " + describe());
        }
        Tensor out = Tensor.zeros(batch, heads, nq, valueDim);
        Tensor weights = returnWeights() ? Tensor.zeros(batch, heads, nq, nk) : null;
        Tensor lse = null;
        if (returnLse()) {
            lse = Tensor.zeros(batch, heads, nq);
            java.util.Arrays.fill(lse.data(), nk == 0 ? Float.NEGATIVE_INFINITY : 0f);
        }
        return new AttentionResult(out, weights, lse, backend);
    }
}

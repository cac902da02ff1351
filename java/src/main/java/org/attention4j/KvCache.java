package org.attention4j;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A key/value cache for decoding: keys {@code [B, Hkv, capacity, D]} and values {@code [B, Hkv, capacity, Dv]}
 * with a current length per batch entry. New tokens' keys and values are appended with {@link #append}, then
 * {@link AttentionEngine#decode} attends the new queries to everything cached so far, aligned bottom-right against
 * each batch entry's own length. Make one with {@link AttentionEngine#newKvCache}: a host cache on the CPU
 * backends, a device cache (appends on the GPU) on CUDA.
 *
 * <pre>{@code
 * try (KvCache cache = engine.newKvCache(1, 8, 4096, 128, 128)) {
 *     cache.append(promptK, promptV);                              // [1, 8, P, 128]
 *     for (...) {
 *         cache.append(kNew, vNew);                                // [1, 8, 1, 128]
 *         Tensor out = engine.decode(qNew, cache, causalRope).output();
 *     }
 * }
 * }</pre>
 *
 * <p>Keys are stored as given (before RoPE): decode rotates them at their positions {@code 0..length-1}, like
 * every other call. Appends and {@link #clear()} are serialised; a decode that runs while another thread appends
 * to the same cache sees either length (the caller's race). AutoCloseable: {@link #close()} frees the storage and
 * is safe to call twice.
 */
public abstract class KvCache implements AutoCloseable {
    private final int batch;
    private final int kvHeads;
    private final int capacity;
    private final int dim;
    private final int valueDim;
    private final int[] lengths;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * For implementations: checks the dimensions (all at least 1, {@code capacity} at least 1).
     *
     * @throws IllegalArgumentException naming the dimension that does not fit
     */
    protected KvCache(int batch, int kvHeads, int capacity, int dim, int valueDim) {
        String what = "KV cache [B=" + batch + ", Hkv=" + kvHeads + ", capacity=" + capacity + ", D=" + dim
                + ", Dv=" + valueDim + "]";
        if (batch < 1 || kvHeads < 1 || capacity < 1 || dim < 1 || valueDim < 1) {
            throw new IllegalArgumentException(what + ": every dimension must be >= 1");
        }
        this.batch = batch;
        this.kvHeads = kvHeads;
        this.capacity = capacity;
        this.dim = dim;
        this.valueDim = valueDim;
        this.lengths = new int[batch];
    }

    /** B. */
    public final int batch() {
        return batch;
    }

    /** Hkv. */
    public final int kvHeads() {
        return kvHeads;
    }

    /** The most tokens each batch entry can hold. */
    public final int capacity() {
        return capacity;
    }

    /** D. */
    public final int dim() {
        return dim;
    }

    /** Dv. */
    public final int valueDim() {
        return valueDim;
    }

    /**
     * The tokens cached for batch entry {@code b}.
     *
     * @throws IndexOutOfBoundsException when {@code b} is not in {@code [0, B)}, naming both
     */
    public final synchronized int length(int b) {
        checkEntry(b);
        return lengths[b];
    }

    /**
     * For implementations' per-entry accessors: refuses a batch index outside {@code [0, B)}.
     *
     * @throws IndexOutOfBoundsException naming the index, the batch size and this cache
     */
    protected final void checkEntry(int b) {
        if (b < 0 || b >= batch) {
            throw new IndexOutOfBoundsException("batch entry b = " + b + " is outside [0, B=" + batch + ") of " + this);
        }
    }

    /** The tokens cached per batch entry (copy). */
    public final synchronized int[] lengths() {
        return lengths.clone();
    }

    /** Whether {@link #close()} was called. */
    public final boolean isClosed() {
        return closed.get();
    }

    /** Appends {@code Nnew} tokens to every batch entry: {@code kNew [B, Hkv, Nnew, D]}, {@code vNew [B, Hkv, Nnew, Dv]}. */
    public final void append(Tensor kNew, Tensor vNew) {
        append(kNew, vNew, null);
    }

    /**
     * Appends the first {@code counts[b]} of the {@code Nnew} tokens of {@code kNew [B, Hkv, Nnew, D]} and
     * {@code vNew [B, Hkv, Nnew, Dv]} to batch entry {@code b} (the rest of its rows are ignored), so that entries
     * can grow by different amounts; {@code counts == null} appends all {@code Nnew} everywhere.
     *
     * @throws IllegalArgumentException when shapes do not fit the cache, a count is outside {@code [0, Nnew]}, or
     *                                  an entry would exceed the capacity (naming the sizes)
     * @throws IllegalStateException    when the cache is closed
     */
    public final synchronized void append(Tensor kNew, Tensor vNew, int[] counts) {
        Objects.requireNonNull(kNew, "kNew");
        Objects.requireNonNull(vNew, "vNew");
        int[] c = checkAppend(kNew.shape(), vNew.shape(), counts);
        store(kNew, vNew, c, lengths.clone());
        commit(c);
    }

    /**
     * Checks an append of tensors of these shapes and returns the per-entry counts; for implementations that
     * append from other sources (device tensors). Call it, write, then {@link #commit}, holding this cache's lock
     * ({@code synchronized (cache)}) throughout.
     *
     * @throws IllegalArgumentException naming the shapes and sizes that do not fit
     * @throws IllegalStateException    when the cache is closed
     */
    protected final int[] checkAppend(int[] kShape, int[] vShape, int[] counts) {
        requireOpen();
        String shapes = "(kNew " + Arrays.toString(kShape) + ", vNew " + Arrays.toString(vShape) + ", cache " + this
                + ")";
        if (kShape.length != 4 || vShape.length != 4) {
            throw new IllegalArgumentException("kNew and vNew must have rank 4 [B, Hkv, Nnew, D] / [B, Hkv, Nnew, Dv] "
                    + shapes);
        }
        if (kShape[0] != batch || kShape[1] != kvHeads || kShape[3] != dim) {
            throw new IllegalArgumentException("kNew must be [B=" + batch + ", Hkv=" + kvHeads + ", Nnew, D=" + dim
                    + "] " + shapes);
        }
        if (vShape[0] != batch || vShape[1] != kvHeads || vShape[2] != kShape[2] || vShape[3] != valueDim) {
            throw new IllegalArgumentException("vNew must be [B=" + batch + ", Hkv=" + kvHeads + ", Nnew="
                    + kShape[2] + ", Dv=" + valueDim + "] " + shapes);
        }
        int nNew = kShape[2];
        int[] c = new int[batch];
        if (counts == null) {
            Arrays.fill(c, nNew);
        } else {
            if (counts.length != batch) {
                throw new IllegalArgumentException("counts has " + counts.length + " entries but the cache has B="
                        + batch);
            }
            for (int b = 0; b < batch; b++) {
                if (counts[b] < 0 || counts[b] > nNew) {
                    throw new IllegalArgumentException("counts[" + b + "]=" + counts[b] + " is outside [0, Nnew="
                            + nNew + "] " + shapes);
                }
                c[b] = counts[b];
            }
        }
        for (int b = 0; b < batch; b++) {
            if ((long) lengths[b] + c[b] > capacity) {
                throw new IllegalArgumentException("appending " + c[b] + " tokens to batch entry " + b + " at length "
                        + lengths[b] + " exceeds the KV cache capacity " + capacity);
            }
        }
        return c;
    }

    /** Advances the lengths by {@code counts} after a successful write (see {@link #checkAppend}). */
    protected final void commit(int[] counts) {
        for (int b = 0; b < batch; b++) {
            lengths[b] += counts[b];
        }
    }

    /** Empties every batch entry (lengths 0); the storage is kept for reuse. */
    public final synchronized void clear() {
        requireOpen();
        Arrays.fill(lengths, 0);
    }

    /**
     * Writes the first {@code counts[b]} rows of each {@code (b, h)} of the new keys and values at row
     * {@code at[b]} of the cache; shapes and capacity are already checked.
     */
    protected abstract void store(Tensor kNew, Tensor vNew, int[] counts, int[] at);

    /** Frees the storage; called once. */
    protected abstract void release();

    /** Frees the storage; safe to call more than once. */
    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            release();
        }
    }

    /** @throws IllegalStateException when closed */
    protected final void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[B=" + batch + ", Hkv=" + kvHeads + ", capacity=" + capacity + ", D="
                + dim + ", Dv=" + valueDim + (closed.get() ? ", closed" : "") + "]";
    }
}

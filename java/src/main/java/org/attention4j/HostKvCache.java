package org.attention4j;

/**
 * A {@link KvCache} in host memory (float32), used by the CPU backends: keys {@code [B, Hkv, capacity, D]} and
 * values {@code [B, Hkv, capacity, Dv]} in two arrays allocated up front, so appends never reallocate.
 */
public final class HostKvCache extends KvCache {
    private float[] keys;
    private float[] values;

    /**
     * An empty cache.
     *
     * @throws IllegalArgumentException when a dimension is below 1 or the storage exceeds a Java array
     * @throws AttentionOutOfMemoryException when the storage cannot fit the heap
     */
    public HostKvCache(int batch, int kvHeads, int capacity, int dim, int valueDim) {
        super(batch, kvHeads, capacity, dim, valueDim);
        long nk = Tensor.elementCount(new int[] {batch, kvHeads, capacity, dim}, "KV cache keys");
        long nv = Tensor.elementCount(new int[] {batch, kvHeads, capacity, valueDim}, "KV cache values");
        long bytes = 4 * (nk + nv);
        String what = "a host KV cache B=" + batch + " Hkv=" + kvHeads + " capacity=" + capacity + " D=" + dim
                + " Dv=" + valueDim;
        HeapBudget.run(bytes, what, () -> {
            keys = new float[(int) nk];
            values = new float[(int) nv];
            return null;
        });
    }

    @Override
    protected void store(Tensor kNew, Tensor vNew, int[] counts, int[] at) {
        copyIn(kNew.data(), kNew.dim(2), dim(), keys, counts, at);
        copyIn(vNew.data(), vNew.dim(2), valueDim(), values, counts, at);
    }

    private void copyIn(float[] src, int nNew, int x, float[] dst, int[] counts, int[] at) {
        for (int b = 0; b < batch(); b++) {
            for (int h = 0; h < kvHeads(); h++) {
                int bh = b * kvHeads() + h;
                System.arraycopy(src, bh * nNew * x, dst, (bh * capacity() + at[b]) * x, counts[b] * x);
            }
        }
    }

    /**
     * The cached keys of batch entry {@code b} as a new tensor {@code [1, Hkv, length(b), D]}.
     *
     * @throws IndexOutOfBoundsException when {@code b} is not in {@code [0, B)}
     */
    public synchronized Tensor keys(int b) {
        return slice(keys, b, dim());
    }

    /**
     * The cached values of batch entry {@code b} as a new tensor {@code [1, Hkv, length(b), Dv]}.
     *
     * @throws IndexOutOfBoundsException when {@code b} is not in {@code [0, B)}
     */
    public synchronized Tensor values(int b) {
        return slice(values, b, valueDim());
    }

    /**
     * The key storage itself, {@code [B, Hkv, capacity, D]}, not a copy: for backends that read a decode step in
     * place (the cpu backend, holding this cache's lock for the step). Rows at or past {@code length(b)} hold
     * nothing meaningful. Writing to it corrupts the cache.
     *
     * @throws IllegalStateException when the cache is closed
     */
    public synchronized Tensor keyStorage() {
        requireOpen();
        return Tensor.of(keys, batch(), kvHeads(), capacity(), dim());
    }

    /** The value storage itself, {@code [B, Hkv, capacity, Dv]}, not a copy; as {@link #keyStorage()}. */
    public synchronized Tensor valueStorage() {
        requireOpen();
        return Tensor.of(values, batch(), kvHeads(), capacity(), valueDim());
    }

    private Tensor slice(float[] src, int b, int x) {
        requireOpen();
        checkEntry(b);
        int len = length(b);
        Tensor t = Tensor.zeros(1, kvHeads(), len, x);
        for (int h = 0; h < kvHeads(); h++) {
            System.arraycopy(src, ((b * kvHeads() + h) * capacity()) * x, t.data(), h * len * x, len * x);
        }
        return t;
    }

    @Override
    protected synchronized void release() {
        keys = null;
        values = null;
    }
}

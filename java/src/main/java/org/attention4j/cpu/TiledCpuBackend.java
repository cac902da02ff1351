package org.attention4j.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.attention4j.AttentionException;
import org.attention4j.AttentionMerge;
import org.attention4j.AttentionResult;
import org.attention4j.Backend;
import org.attention4j.HostKvCache;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionProblem;
import org.attention4j.spi.BySequence;
import org.attention4j.spi.DecodeProblem;

/**
 * The {@code cpu} backend: FlashAttention's tiled online softmax in float32, multi-threaded over
 * (batch, head, query tile), with register-blocked Vector API micro-kernels where {@code jdk.incubator.vector} is
 * readable and loops that HotSpot's C2 vectorises on any Java 17 JVM otherwise ({@link SimdSupport}).
 *
 * <p>Per call, each (batch, kv head) gets a {@link KvLayout}: K and V read in place (a rotated copy of K when RoPE
 * is on), shared by every query head of the group, so grouped-query heads never copy K or V per query head. Query
 * tiles of {@link #BR} rows, held transposed so that the score and softmax loops run over rows, then stream over
 * equal key tiles of at most about {@link #BC} keys ({@link #keyTile}, {@link QueryTile}, {@link TileOps}); memory is {@code O((Nq + Nk) * D)} without weights. The
 * query heads of a group whose queries are few ({@link #PACK_ROWS}) share one tile, so decoding reads the group's
 * cache once. With RoPE, groups are processed a batch at a time, so the rotated copies alive at once stay
 * bounded.
 *
 * <p>Thread-safe: calls from many threads share the worker pool, which is created here and shut down by
 * {@link #close()} (idempotent). With one thread the work runs on the caller's thread.
 */
public final class TiledCpuBackend implements AttentionBackend {
    /**
     * Most query rows per task (Br): the trip count of every vector loop. C2's vectorised loops carry a pre- and
     * post-loop, so short trips waste much of the work; {@code bench/cpu_block_rows.sh} compares block sizes
     * (output in docs/benchmarks/cpu_block_rows.txt). System property {@code attention4j.cpu.br} (>= 16).
     */
    static final int BR = Math.max(16, Integer.getInteger("attention4j.cpu.br", defaultRows()));
    /**
     * Grouped-query heads whose queries together are at most this many rows share one tile (decode, short
     * prefill), so that the group's keys and values are read once per step instead of once per query head.
     */
    static final int PACK_ROWS = 64;
    /**
     * The Vector API kernels keep their accumulators in registers, so they need no long row loops; 64 rows keep a
     * tile's scores ({@code 64 x Bc} floats) in L1. The portable kernels' C2 loops want long trips (see above).
     */
    private static int defaultRows() {
        return TileOps.active().lanes() > 1 ? 64 : 512;
    }

    /** Keys per share, at least, when a call with few query tasks is split along its keys. */
    static final int SPLIT_KEYS = Math.max(1, Integer.getInteger("attention4j.cpu.splitKeys", 1024));

    /** A last query tile of fewer rows than this is merged into the one before. */
    static final int TAIL_ROWS = 16;

    /** Fewest rows per task that {@link #rowsPerTask} goes down to when tasks are too few for the threads. */
    static final int BR_MIN = 64;
    /** Keys per tile (Bc), a multiple of the six keys the value kernel takes at a time. */
    static final int BC = Math.max(8, Integer.getInteger("attention4j.cpu.bc", 120));
    /**
     * Keys per tile for a call over {@code nk} keys: as many tiles as {@link #BC} needs, made equal (rounded up to
     * a multiple of the score kernel's six keys), so that 384 keys run as 4 x 96 rather than 3 x 120 plus a
     * 24-key tile that costs a tile's fixed work for a fifth of its keys.
     */
    static int keyTile(int nk) {
        if (nk <= 0) {
            return BC;
        }
        int tiles = (nk + BC - 1) / BC;
        int even = (nk + tiles - 1) / tiles;
        return Math.max(8, (even + 5) / 6 * 6);
    }

    /** Rotated-key floats alive at once, at most (besides one group that is larger on its own). */
    private static final long LAYOUT_BUDGET = 16L << 20;

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final ExecutorService pool;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Tile buffers for work that runs inline on callers' threads, reused across calls (one call at a time each). */
    private final ConcurrentLinkedQueue<BlockSlot> spareSlots = new ConcurrentLinkedQueue<>();

    /**
     * @param threads worker threads, at least 1; with 1 the work runs on the calling thread
     * @throws IllegalArgumentException when {@code threads < 1}
     */
    public TiledCpuBackend(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        SimdSupport.checkSetting();
        this.threads = threads;
        if (threads == 1) {
            pool = null;
        } else {
            int id = POOLS.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            ThreadFactory tf = r -> new BlockSlot.WorkerThread(r, "attention4j-cpu-" + id + "-" + n.incrementAndGet());
            pool = Executors.newFixedThreadPool(threads, tf);
        }
    }

    @Override
    public Backend kind() {
        return Backend.CPU;
    }

    /** The number of worker threads. */
    public int threads() {
        return threads;
    }

    /**
     * The most query rows a task's tile holds ({@link #BR}, which depends on the kernel kind): the trip count of
     * the kernels' row loops in calls with many queries. Work that only warms the kernels up should use as many,
     * because C2 limits a loop's unrolling, and with it the vector width, to the trip count it profiled.
     */
    public static int queryTileRows() {
        return BR;
    }

    /**
     * Query rows per task: {@link #BR}, halved (down to {@link #BR_MIN}) while the (batch, head, query tile) tasks
     * would be fewer than four per thread, so that small problems still spread over every thread and causal
     * problems still balance.
     */
    static int rowsPerTask(AttentionProblem p, int threads) {
        long rows = (long) p.batch() * p.heads();
        int br = BR;
        while (br > BR_MIN && rows * ((p.nq() + br - 1) / br) < 4L * threads) {
            br /= 2;
        }
        return br;
    }

    @Override
    public AttentionResult compute(AttentionProblem p) {
        if (closed.get()) {
            throw new IllegalStateException("cpu backend is closed");
        }
        return computeLending(p, null);
    }

    /**
     * Runs {@code p} with an inline tile slot lent by the engine and given back after the call (to the engine,
     * not to the caller's thread: at most a few slots, dropped by close()).
     *
     * @param entryKeys per batch entry, the keys in use of a cache's storage (decode), or null
     */
    private AttentionResult computeLending(AttentionProblem p, int[] entryKeys) {
        BlockSlot lent = spareSlots.poll();
        int keys = p.nk();
        if (entryKeys != null) {
            keys = 0;
            for (int used : entryKeys) {
                keys = Math.max(keys, used);
            }
        }
        CallState cs = new CallState(p, keyTile(keys), lent == null ? new BlockSlot() : lent, entryKeys);
        try {
            return compute(p, cs);
        } finally {
            if (!closed.get() && spareSlots.size() < threads + 2) {
                spareSlots.offer(cs.inlineSlot);
            }
        }
    }

    /**
     * A decode step over a {@link HostKvCache} read in place: one call over the cache's whole storage
     * ({@code Nk = capacity}), each batch entry limited to its cached length and aligned on its own diagonal
     * {@code L_b - Nq}, under the cache's lock so that appends from other threads wait for the step instead of
     * racing it. Other caches go through {@link BySequence#decode}.
     */
    @Override
    public AttentionResult decode(DecodeProblem dp) {
        if (!(dp.cache() instanceof HostKvCache)) {
            return BySequence.decode(this, dp);
        }
        if (closed.get()) {
            throw new IllegalStateException("cpu backend is closed");
        }
        HostKvCache cache = (HostKvCache) dp.cache();
        synchronized (cache) {
            int[] used = dp.lengths();
            for (int b = 0; b < used.length; b++) {
                if (cache.length(b) < used[b]) {
                    throw new IllegalStateException("cache " + cache + " was cleared while a decode step read it");
                }
            }
            return computeLending(AttentionProblem.of(dp.q(), cache.keyStorage(), cache.valueStorage(),
                    dp.options()), used);
        }
    }

    private AttentionResult compute(AttentionProblem p, CallState cs) {
        int group = p.group();
        int br = rowsPerTask(p, threads);
        int qTiles = (p.nq() + br - 1) / br;
        if (qTiles > 1 && p.nq() - (qTiles - 1) * br < TAIL_ROWS) {
            qTiles--;   // a few rows left over join the last tile instead of running (mostly idle lanes) alone
        }
        int tiles = qTiles;
        long layoutFloats = KvLayout.floats(p);
        int groups = p.batch() * p.kvHeads();
        boolean packed = group > 1 && (long) p.nq() * group <= PACK_ROWS;
        CallState[] shares = keyShares(p, cs, (long) groups * (packed ? 1 : (long) group * tiles));
        int g = 0;
        while (g < groups && qTiles > 0) {
            // A batch of (b, kv head) groups: enough tasks to keep every thread busy, bounded memory.
            int gEnd = g;
            long tasks = 0;
            long floats = 0;
            do {
                tasks += (long) group * qTiles;
                floats += layoutFloats;
                gEnd++;
            } while (gEnd < groups && (tasks < 4L * threads || layoutFloats == 0)
                    && floats + layoutFloats <= LAYOUT_BUDGET);

            KvLayout[] layouts = new KvLayout[gEnd - g];
            List<Callable<Void>> build = new ArrayList<>();
            for (int x = g; x < gEnd; x++) {
                int slot = x - g;
                int b = x / p.kvHeads();
                int hk = x % p.kvHeads();
                build.add(() -> {
                    layouts[slot] = new KvLayout(p, b, hk, cs.rope, cs.keysInUse(b));
                    return null;
                });
            }
            runAll(build);

            List<Callable<Void>> work = new ArrayList<>();
            for (int x = g; x < gEnd; x++) {
                KvLayout kv = layouts[x - g];
                int b = x / p.kvHeads();
                int hk = x % p.kvHeads();
                if (packed) {
                    for (CallState share : shares) {
                        work.add(() -> {
                            QueryTile.run(share, kv, b, hk * group, group, 0, p.nq());
                            return null;
                        });
                    }
                    continue;
                }
                for (int h = hk * group; h < (hk + 1) * group; h++) {
                    int head = h;
                    // Last tiles first: under a causal mask they are the longest, which balances the threads.
                    for (int t = qTiles - 1; t >= 0; t--) {
                        int i0 = t * br;
                        int i1 = t == tiles - 1 ? p.nq() : i0 + br;
                        for (CallState share : shares) {
                            work.add(() -> {
                                QueryTile.run(share, kv, b, head, i0, i1);
                                return null;
                            });
                        }
                    }
                }
            }
            runAll(work);
            g = gEnd;
        }
        int bN = p.batch();
        int hN = p.heads();
        if (shares.length > 1) {
            // The shares' (output, log-sum-exp) pairs merge exactly, as any split-K caller's would.
            Tensor[] outs = new Tensor[shares.length];
            Tensor[] lses = new Tensor[shares.length];
            for (int s = 0; s < shares.length; s++) {
                outs[s] = Tensor.of(shares[s].out, bN, hN, p.nq(), p.valueDim());
                lses[s] = Tensor.of(shares[s].lse, bN, hN, p.nq());
            }
            AttentionMerge.Partial m = AttentionMerge.merge(outs, lses);
            return new AttentionResult(m.output(), null, cs.lse == null ? null : m.logSumExp(), Backend.CPU);
        }
        return new AttentionResult(
                Tensor.of(cs.out, bN, hN, p.nq(), p.valueDim()),
                cs.weights == null ? null : Tensor.of(cs.weights, bN, hN, p.nq(), p.nk()),
                cs.lse == null ? null : Tensor.of(cs.lse, bN, hN, p.nq()),
                Backend.CPU);
    }

    /**
     * The call itself, or, when its query tasks are fewer than the threads (decoding with {@code B * Hkv} below
     * the thread count) and it has enough keys, shares of its keys (split-K) that are combined
     * exactly through their log-sum-exps ({@link AttentionMerge}, as FlashDecoding does). Never with weights.
     */
    CallState[] keyShares(AttentionProblem p, CallState cs, long queryTasks) {
        int nk = 0;
        for (int b = 0; b < p.batch(); b++) {
            nk = Math.max(nk, cs.keysInUse(b));   // a cache's storage is longer than what it holds
        }
        if (threads == 1 || p.returnWeights() || queryTasks >= threads || nk < 2 * SPLIT_KEYS) {
            return new CallState[] {cs};
        }
        int n = (int) Math.min((threads + queryTasks - 1) / queryTasks, nk / SPLIT_KEYS);
        // Shares on key-tile boundaries, so that each share's tiles are whole tiles of the unsplit call.
        int bc = cs.bc;
        int tilesK = (nk + bc - 1) / bc;
        CallState[] shares = new CallState[n];
        for (int s = 0; s < n; s++) {
            int lo = (int) ((long) tilesK * s / n) * bc;
            int hi = (int) Math.min((long) tilesK * (s + 1) / n * bc, nk);
            shares[s] = new CallState(cs, lo, hi);
        }
        return shares;
    }

    @Override
    public void forEachIndex(int n, java.util.function.IntConsumer body) {
        // Contiguous ranges, a few per thread: rows of a layer cost the same, so this balances without a task
        // per index.
        int chunks = threads == 1 ? 1 : Math.min(n, threads * 4);
        if (chunks <= 1) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        List<Callable<Void>> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int lo = (int) ((long) n * c / chunks);
            int hi = (int) ((long) n * (c + 1) / chunks);
            tasks.add(() -> {
                for (int i = lo; i < hi; i++) {
                    body.accept(i);
                }
                return null;
            });
        }
        runAll(tasks);
    }

    /** Runs the tasks on the caller's thread and, when there are several, on up to threads - 1 workers too. */
    private void runAll(List<Callable<Void>> tasks) {
        TaskBatch.run(tasks, pool, pool == null ? 0 : threads - 1);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        spareSlots.clear();
        if (pool != null) {
            // Helpers still queued never run; their callers finish their batches themselves (TaskBatch).
            pool.shutdownNow();
        }
    }
}

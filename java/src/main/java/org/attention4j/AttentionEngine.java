package org.attention4j;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import org.attention4j.cpu.ReferenceBackend;
import org.attention4j.cpu.TiledCpuBackend;
import org.attention4j.cuda.CudaSupport;
import org.attention4j.cuda.Precision;
import org.attention4j.spi.AttentionBackend;
import org.attention4j.spi.AttentionProblem;
import org.attention4j.spi.DecodeProblem;
import org.attention4j.spi.VarlenProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Computes scaled dot-product attention on one backend. Thread-safe: many threads may call
 * {@link #attention} at once. AutoCloseable: {@link #close()} releases threads and device memory and is safe to
 * call twice; a closed engine refuses work.
 *
 * <pre>{@code
 * try (AttentionEngine engine = AttentionEngine.create()) {          // AUTO: CUDA if usable, else CPU
 *     AttentionResult r = engine.attention(q, k, v, AttentionOptions.builder().causal().build());
 *     Tensor out = r.output();                                       // [B, Hq, Nq, Dv]
 * }
 * }</pre>
 *
 * <h2>What it computes</h2>
 * For batch {@code b}, query head {@code h} (reading key/value head {@code hk = h / (Hq/Hkv)}), query {@code i}
 * and key {@code j}, with query {@code i} at position {@code qs + i} and key {@code j} at {@code ks + j}
 * ({@code qs = Nk - Nq, ks = 0} unless {@link AttentionOptions.Builder#startPositions} says where the call sits in
 * a longer sequence) and {@code off = qs - ks}:
 * <ol>
 *   <li>RoPE, when set, rotates {@code q[b,h,i]} at position {@code qs + i} and {@code k[b,hk,j]} at position
 *       {@code ks + j} (or the explicit positions).</li>
 *   <li>{@code s = scale * q.k}, scale defaulting to {@code 1/sqrt(D)}; a float mask adds {@code mask[b,h,i,j]};
 *       ALiBi adds {@code -slope[h] * |i + off - j|}.</li>
 *   <li>Key {@code j} is visible unless: causal bottom-right and {@code j > i + off}; causal top-left and
 *       {@code j > i}; {@code j >= kvLengths[b]}; outside the window
 *       {@code [i + off - left, i + off + right]}; a boolean mask says false; or {@code s = -inf}.</li>
 *   <li>{@code p = softmax} over the visible keys (max-subtracted, stable for any finite logits);
 *       {@code out = sum p_j v[b,hk,j]}; {@code lse = max + log(sum exp(s - max))}.</li>
 *   <li>A row with no visible key gives output 0, weights 0 and lse {@code -inf}, never NaN.</li>
 * </ol>
 * NaN or infinity inside Q, K, V or a float mask (other than {@code -inf}) is not an error: it propagates as
 * IEEE arithmetic does, giving NaN in the rows that see it, and never crashes the engine.
 *
 * <h2>Settings</h2>
 * System properties read by {@link #builder()}: {@code attention4j.backend} ({@code auto|cpu|reference|cuda},
 * default auto) and {@code attention4j.threads} (CPU worker threads, default the available processors).
 */
public final class AttentionEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AttentionEngine.class);
    private static final AtomicBoolean AUTO_LOGGED = new AtomicBoolean();

    private final AttentionBackend impl;
    private final String reason;
    private final AtomicBoolean closed = new AtomicBoolean();

    private AttentionEngine(AttentionBackend impl, String reason) {
        this.impl = impl;
        this.reason = reason;
    }

    /** An engine on {@link Backend#AUTO} (or the {@code attention4j.backend} property). */
    public static AttentionEngine create() {
        return builder().build();
    }

    /** An engine on the given backend. */
    public static AttentionEngine create(Backend backend) {
        return builder().backend(backend).build();
    }

    /** A builder with defaults from the system properties. */
    public static Builder builder() {
        return new Builder();
    }

    /** The backend that runs the calls (never {@link Backend#AUTO}). */
    public Backend backend() {
        return impl.kind();
    }

    /** Why this backend was chosen, in words (for logs and the CLI). */
    public String selectionReason() {
        return reason;
    }

    /**
     * Runs {@code body(i)} for every {@code i} in {@code [0, n)} and returns when all have run: on the {@code cpu}
     * backend's worker threads (the calling thread helps), on other backends on the calling thread. The
     * {@code org.attention4j.nn} layers run their rows through this, so that a service's layers use the engine's
     * threads, not the JVM-wide common pool. The first exception thrown by {@code body} is rethrown here.
     *
     * @throws IllegalArgumentException when {@code n < 0}
     * @throws IllegalStateException    when the engine is closed
     */
    public void parallelFor(int n, java.util.function.IntConsumer body) {
        java.util.Objects.requireNonNull(body, "body");
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        if (closed.get()) {
            throw new IllegalStateException("attention engine (" + backend().cliName() + ") is closed");
        }
        impl.forEachIndex(n, body);
    }

    /** Attention with the default options. */
    public AttentionResult attention(Tensor q, Tensor k, Tensor v) {
        return attention(q, k, v, AttentionOptions.DEFAULTS);
    }

    /**
     * Attention of {@code q [B, Hq, Nq, D]} over {@code k [B, Hkv, Nk, D]} and {@code v [B, Hkv, Nk, Dv]}.
     *
     * @throws IllegalArgumentException when shapes or options do not fit, naming the argument and the shapes
     * @throws IllegalStateException    when the engine is closed
     * @throws AttentionOutOfMemoryException when the results cannot fit the heap (or the device's memory)
     * @throws AttentionException       when the backend fails
     */
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, AttentionOptions options) {
        return compute(AttentionProblem.of(q, k, v, options));
    }

    /** One validated call: refused when closed, trivial ones answered here, the rest sized against the heap. */
    private AttentionResult compute(AttentionProblem problem) {
        if (closed.get()) {
            throw new IllegalStateException("attention engine (" + backend().cliName() + ") is closed");
        }
        if (problem.isTrivial()) {
            return problem.trivialResult(backend());
        }
        // The output is allocated only when the caller gave none (attentionInto).
        long rowFloats = HeapBudget.plus(problem.into() == null ? problem.valueDim() : 0,
                problem.returnLse() ? 1 : 0);
        long bytes = HeapBudget.plus(HeapBudget.floats(problem.batch(), problem.heads(), problem.nq(), rowFloats),
                problem.returnWeights() ? HeapBudget.floats(problem.batch(), problem.heads(), problem.nq(),
                        problem.nk()) : 0);
        return HeapBudget.run(bytes, "attention (" + problem.describe() + ")", () -> impl.compute(problem));
    }

    /**
     * {@link #attention(Tensor, Tensor, Tensor, AttentionOptions)} with the output written into {@code out}
     * {@code [B, Hq, Nq, Dv]}, which the result returns as its {@link AttentionResult#output()}: a service that
     * reuses its output tensor allocates no output per call (weights and log-sum-exp, when asked for, are still
     * new). Every element of {@code out} is overwritten. The {@code cpu} backend writes into it directly; the
     * others compute into a new tensor that is then copied.
     *
     * @throws IllegalArgumentException when shapes or options do not fit, or {@code out} has the wrong shape or
     *                                  shares its array with an input
     * @throws IllegalStateException    when the engine is closed
     * @throws AttentionOutOfMemoryException when the results cannot fit the heap (or the device's memory)
     * @throws AttentionException       when the backend fails
     */
    public AttentionResult attentionInto(Tensor q, Tensor k, Tensor v, AttentionOptions options, Tensor out) {
        AttentionResult r = compute(AttentionProblem.of(q, k, v, options).withOutput(out));
        if (r.output().data() != out.data()) {
            System.arraycopy(r.output().data(), 0, out.data(), 0, out.data().length);
        }
        return new AttentionResult(out, r.weights().orElse(null), r.logSumExp().orElse(null), r.backend());
    }

    /**
     * Attention over variable-length sequences packed without padding, as FlashAttention's varlen:
     * {@code q [totalQ, Hq, D]}, {@code k [totalK, Hkv, D]}, {@code v [totalK, Hkv, Dv]}, sequence {@code b}
     * owning rows {@code cuSeqlensQ[b] ..< cuSeqlensQ[b+1]} of q and {@code cuSeqlensK[b] ..< cuSeqlensK[b+1]} of
     * k and v (B+1 non-decreasing offsets from 0 to the totals). Each sequence is its own problem, aligned on its
     * own diagonal {@code Nk_b - Nq_b}. Returns the output {@code [totalQ, Hq, Dv]} and on request the log-sum-exp
     * {@code [totalQ, Hq]}; key lengths, user masks and weights are refused (see {@link VarlenProblem}).
     *
     * @throws IllegalArgumentException when shapes, offsets or options do not fit, naming them
     * @throws IllegalStateException    when the engine is closed
     * @throws AttentionException       when the backend fails
     */
    public AttentionResult attentionVarlen(Tensor q, Tensor k, Tensor v, int[] cuSeqlensQ, int[] cuSeqlensK,
                                           AttentionOptions options) {
        VarlenProblem problem = VarlenProblem.of(q, k, v, cuSeqlensQ, cuSeqlensK, options);
        requireOpen();
        long bytes = HeapBudget.floats(problem.totalQ(), problem.heads(),
                HeapBudget.plus(problem.valueDim(), problem.options().returnLse() ? 1 : 0), 1);
        return HeapBudget.run(bytes, "varlen attention (" + problem.describe() + ")",
                () -> impl.computeVarlen(problem));
    }

    /**
     * A new, empty KV cache for {@link #decode}: in host memory on the CPU backends, in device memory on CUDA.
     * Close it when done.
     *
     * @throws IllegalArgumentException when a dimension is below 1 or the storage is too large
     * @throws AttentionOutOfMemoryException when the storage cannot fit the heap (or the device's memory)
     */
    public KvCache newKvCache(int batch, int kvHeads, int capacity, int dim, int valueDim) {
        requireOpen();
        return impl.newKvCache(batch, kvHeads, capacity, dim, valueDim);
    }

    /**
     * One decode step: {@code q [B, Hq, Nq, D]} (1 to 16 new queries, whose keys and values were appended to
     * {@code cache} already) against the {@code L_b = cache.length(b)} cached keys of each batch entry, aligned
     * bottom-right on {@code L_b - Nq} (causal, window, ALiBi, RoPE positions continuing from the cache). The same
     * result as {@link #attention} of {@code q[b]} over the cached keys of entry {@code b}. Output
     * {@code [B, Hq, Nq, Dv]}, log-sum-exp {@code [B, Hq, Nq]} on request (see {@link DecodeProblem}).
     *
     * @throws IllegalArgumentException when shapes or options do not fit, or the cache belongs elsewhere
     * @throws IllegalStateException    when the engine is closed
     * @throws AttentionException       when the backend fails
     */
    public AttentionResult decode(Tensor q, KvCache cache, AttentionOptions options) {
        DecodeProblem problem = DecodeProblem.of(q, cache, options);
        requireOpen();
        long bytes = HeapBudget.floats(problem.batch(), problem.heads(), problem.nq(),
                HeapBudget.plus(cache.valueDim(), problem.options().returnLse() ? 1 : 0));
        return HeapBudget.run(bytes, "decode (" + problem.describe() + ")", () -> impl.decode(problem));
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("attention engine (" + backend().cliName() + ") is closed");
        }
    }

    /** Releases the backend; safe to call more than once. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            impl.close();
        }
    }

    @Override
    public String toString() {
        return "AttentionEngine[" + backend().cliName() + "]";
    }

    /** Optional settings of an engine. */
    public static final class Builder {
        private Backend backend;
        private int threads;
        private Precision cudaPrecision;

        private Builder() {
            backend = Backend.parse(System.getProperty("attention4j.backend", "auto"));
            String t = System.getProperty("attention4j.threads");
            threads = Runtime.getRuntime().availableProcessors();
            if (t != null) {
                try {
                    threads(Integer.parseInt(t.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("system property attention4j.threads must be an integer, got '"
                            + t + "'");
                }
            }
        }

        /** The backend; default AUTO. */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** CPU worker threads, at least 1; default the available processors. */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * The CUDA backend's GEMM precision (FP32, TF32, FP16, BF16); default the {@code attention4j.cuda.precision}
         * property, else FP32. Ignored by the CPU backends.
         */
        public Builder cudaPrecision(Precision precision) {
            this.cudaPrecision = Objects.requireNonNull(precision, "precision");
            return this;
        }

        /**
         * Opens the engine.
         *
         * @throws AttentionException when CUDA was asked for explicitly and cannot run
         */
        public AttentionEngine build() {
            AttentionEngine requested;
            switch (backend) {
                case CPU:
                    requested = new AttentionEngine(new TiledCpuBackend(threads),
                            "cpu requested, " + threads + " threads");
                    break;
                case REFERENCE:
                    requested = new AttentionEngine(new ReferenceBackend(), "reference requested");
                    break;
                case CUDA:
                    requested = new AttentionEngine(CudaSupport.open(cudaPrecision), "cuda requested");
                    break;
                case AUTO:
                default:
                    CudaSupport.Availability a = CudaSupport.probe();
                    AttentionEngine e;
                    String why;
                    AttentionBackend cuda = null;
                    String failure = null;
                    // Without cuBLAS the backend runs only what the fused kernels take: not AUTO's promise.
                    if (a.usable() && a.cublas()) {
                        try {
                            cuda = CudaSupport.open(cudaPrecision);
                        } catch (AttentionException ex) {
                            // The probe passed but the backend could not start (device busy in exclusive mode,
                            // no memory for its workspace): AUTO promises a working engine, so use the CPU.
                            failure = ex.getMessage();
                        }
                    }
                    if (cuda != null) {
                        why = "auto: CUDA usable (" + a.detail() + ")";
                        e = new AttentionEngine(cuda, why);
                    } else if (failure != null) {
                        why = "auto: CUDA probe passed but the backend failed to open (" + failure + "); using cpu with "
                                + threads + " threads";
                        e = new AttentionEngine(new TiledCpuBackend(threads), why);
                    } else if (a.usable()) {
                        why = "auto: CUDA runs only the fused kernels here (" + a.detail() + "); using cpu with "
                                + threads + " threads (Backend.CUDA takes the fused-only backend)";
                        e = new AttentionEngine(new TiledCpuBackend(threads), why);
                    } else {
                        why = "auto: CUDA not usable (" + a.detail() + "); using cpu with " + threads + " threads";
                        e = new AttentionEngine(new TiledCpuBackend(threads), why);
                    }
                    if (failure != null) {
                        LOG.warn("attention4j backend {}", why);
                    } else if (AUTO_LOGGED.compareAndSet(false, true)) {
                        LOG.info("attention4j backend {}", why);
                    } else {
                        LOG.debug("attention4j backend {}", why);
                    }
                    return e;
            }
            LOG.debug("attention4j backend {}", requested.reason);
            return requested;
        }
    }
}

package org.attention4j.cuda;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import jcuda.driver.CUcontext;
import jcuda.driver.JCudaDriver;

/**
 * Idle {@link Worker}s, lock-free: a call polls one (or creates one when all are busy, so there are never more
 * workers than threads that called at once) and offers it back when done. Borrowing also makes the backend's
 * context current in the calling thread, since CUDA contexts are per thread.
 */
final class WorkerPool {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WorkerPool.class);
    private final CUcontext context;
    private final long stagingLimit;
    private final boolean cublas;
    private final ConcurrentLinkedQueue<Worker> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger created = new AtomicInteger();

    /** @param cublas whether the workers get a cuBLAS handle (false where cuBLAS is not loaded) */
    WorkerPool(CUcontext context, long stagingLimit, boolean cublas) {
        this.context = context;
        this.stagingLimit = stagingLimit;
        this.cublas = cublas;
    }

    /** A worker for the calling thread alone, with the context current. */
    Worker borrow() {
        JCudaDriver.cuCtxSetCurrent(context);
        Worker w = idle.poll();
        if (w == null) {
            w = new Worker(stagingLimit, cublas);
            created.incrementAndGet();
        }
        return w;
    }

    /**
     * Runs {@code body} on a borrowed worker, the one lease of the calls that need no scratch of their own
     * (transfers, fills): the worker goes back when {@code body} returned with its stream idle; after a failure it
     * goes back only if its stream still synchronises, else it is dropped; a JCuda failure reaches the caller as
     * an {@link org.attention4j.AttentionException} naming {@code what}.
     */
    <T> T call(String what, java.util.function.Function<Worker, T> body) {
        Worker w;
        try {
            w = borrow();
        } catch (jcuda.CudaException e) {
            throw CudaErrors.translate(what, e);
        }
        boolean healthy = false;
        try {
            T result = body.apply(w);
            healthy = true;
            return result;
        } catch (jcuda.CudaException e) {
            throw CudaErrors.translate(what, e);
        } finally {
            release(w, healthy);
        }
    }

    /**
     * Ends a worker's call: the worker goes back at once when the call succeeded (its stream idle); after a
     * failure only if its stream still synchronises, else it is dropped (with one log line; the call's own error
     * is the one reported).
     *
     * @return whether the stream is idle (the call's scratch may then be reused)
     */
    boolean release(Worker w, boolean healthy) {
        if (!healthy) {
            try {
                w.sync();
            } catch (jcuda.CudaException e) {
                LOG.warn("CUDA stream failed after an error; dropping its worker: {}", e.getMessage());
                return false;
            }
        }
        giveBack(w);
        return true;
    }

    /** Returns a worker whose stream has no pending work. */
    void giveBack(Worker w) {
        idle.offer(w);
    }

    /** How many workers exist (one per thread that was ever inside a call at the same time as others). */
    int created() {
        return created.get();
    }

    /** Destroys the idle workers; workers in use come back later and are kept until the next trim. */
    void trim() {
        JCudaDriver.cuCtxSetCurrent(context);
        Worker w;
        while ((w = idle.poll()) != null) {
            w.destroy();
            created.decrementAndGet();
        }
    }
}

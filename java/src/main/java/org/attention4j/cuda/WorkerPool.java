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
    private final CUcontext context;
    private final long stagingLimit;
    private final ConcurrentLinkedQueue<Worker> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger created = new AtomicInteger();

    WorkerPool(CUcontext context, long stagingLimit) {
        this.context = context;
        this.stagingLimit = stagingLimit;
    }

    /** A worker for the calling thread alone, with the context current. */
    Worker borrow() {
        JCudaDriver.cuCtxSetCurrent(context);
        Worker w = idle.poll();
        if (w == null) {
            w = new Worker(stagingLimit);
            created.incrementAndGet();
        }
        return w;
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

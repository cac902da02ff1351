package org.attention4j.cpu;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.attention4j.AttentionException;

/**
 * One call's tasks, claimed one at a time from a shared counter by the calling thread and by up to
 * {@code helpers} pool threads. The caller works too, so a call costs one hand-off to a sleeping worker, not one per
 * task, and no {@code Future} per task; a helper that starts after the work is gone returns at once. The caller
 * waits for the tasks themselves, never for a helper to be scheduled, so a call finishes even when the pool is
 * shut down under it or busy with other callers' batches.
 *
 * <p>The first failure is kept and rethrown on the caller's thread; tasks not yet started are then skipped.
 */
final class TaskBatch {
    private final List<? extends Callable<Void>> tasks;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    private final Thread caller = Thread.currentThread();
    private volatile Throwable failure;

    private TaskBatch(List<? extends Callable<Void>> tasks) {
        this.tasks = tasks;
    }

    /**
     * Runs every task, on the current thread and on up to {@code helpers} threads of {@code pool}, and returns when
     * all have finished.
     *
     * @throws RuntimeException or Error as a task threw it; a checked exception wrapped in {@link AttentionException}
     */
    static void run(List<? extends Callable<Void>> tasks, Executor pool, int helpers) {
        TaskBatch batch = new TaskBatch(tasks);
        int n = tasks.size();
        for (int i = 0; i < Math.min(helpers, n - 1); i++) {
            try {
                pool.execute(batch::drain);
            } catch (RejectedExecutionException e) {
                break;   // the pool is shutting down: the caller does the rest
            }
        }
        batch.drain();
        batch.await();
        Throwable f = batch.failure;
        if (f instanceof RuntimeException) {
            throw (RuntimeException) f;
        }
        if (f instanceof Error) {
            throw (Error) f;
        }
        if (f != null) {
            throw new AttentionException("cpu backend task failed: " + f, f);
        }
    }

    private void drain() {
        int n = tasks.size();
        for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            if (failure == null) {
                try {
                    tasks.get(i).call();
                } catch (Exception | Error e) {
                    failure = e;
                }
            }
            if (done.incrementAndGet() == n && Thread.currentThread() != caller) {
                LockSupport.unpark(caller);
            }
        }
    }

    /**
     * Waits for tasks that helpers are still running. Tasks are short, so an interrupt does not abandon them (they
     * write into this call's outputs); the interrupt status is kept for the caller.
     */
    private void await() {
        int n = tasks.size();
        boolean interrupted = false;
        for (int spins = 0; done.get() < n; spins++) {
            if (spins < 64) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
        }
        if (interrupted) {
            caller.interrupt();
        }
    }
}

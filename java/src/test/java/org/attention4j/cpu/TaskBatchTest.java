package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.attention4j.AttentionException;
import org.junit.jupiter.api.Test;

/** The cpu backend's hand-off: every task once, failures on the caller's thread, no wait on a dead pool. */
class TaskBatchTest {
    private static List<Callable<Void>> counting(AtomicIntegerArray runs) {
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < runs.length(); i++) {
            int id = i;
            tasks.add(() -> {
                runs.incrementAndGet(id);
                return null;
            });
        }
        return tasks;
    }

    @Test
    void everyTaskRunsExactlyOnceWithHelpersAndFromManyCallers() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Thread> callers = new ArrayList<>();
            List<AtomicIntegerArray> all = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                AtomicIntegerArray runs = new AtomicIntegerArray(1000 + c);
                all.add(runs);
                callers.add(new Thread(() -> {
                    for (int rep = 0; rep < 50; rep++) {
                        TaskBatch.run(counting(runs), pool, 3);
                    }
                }));
            }
            callers.forEach(Thread::start);
            for (Thread t : callers) {
                t.join();
            }
            for (AtomicIntegerArray runs : all) {
                for (int i = 0; i < runs.length(); i++) {
                    assertEquals(50, runs.get(i), "task " + i + " of " + runs.length());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aPoolThatRefusesWorkLeavesItAllToTheCaller() {
        AtomicIntegerArray runs = new AtomicIntegerArray(37);
        TaskBatch.run(counting(runs), r -> {
            throw new RejectedExecutionException("shut down");
        }, 4);
        for (int i = 0; i < runs.length(); i++) {
            assertEquals(1, runs.get(i), "task " + i);
        }
    }

    @Test
    void aPoolThatNeverRunsTheHelpersDoesNotHangTheCaller() {
        AtomicIntegerArray runs = new AtomicIntegerArray(9);
        List<Runnable> parked = new ArrayList<>();
        TaskBatch.run(counting(runs), parked::add, 2);
        assertEquals(2, parked.size(), "helpers handed to the pool");
        for (int i = 0; i < runs.length(); i++) {
            assertEquals(1, runs.get(i), "task " + i);
        }
        parked.forEach(Runnable::run);   // a late helper finds nothing left and returns
        for (int i = 0; i < runs.length(); i++) {
            assertEquals(1, runs.get(i), "task " + i + " after late helpers");
        }
    }

    @Test
    void failuresReachTheCallerAsThrownOrWrapped() {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            IllegalStateException boom = new IllegalStateException("boom");
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                int id = i;
                tasks.add(() -> {
                    if (id == 40) {
                        throw boom;
                    }
                    return null;
                });
            }
            assertSame(boom, assertThrows(IllegalStateException.class, () -> TaskBatch.run(tasks, pool, 2)));

            List<Callable<Void>> checked = List.of(() -> null, () -> {
                throw new IOException("disk");
            });
            AttentionException e = assertThrows(AttentionException.class, () -> TaskBatch.run(checked, pool, 1));
            assertTrue(e.getCause() instanceof IOException, "cause " + e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}

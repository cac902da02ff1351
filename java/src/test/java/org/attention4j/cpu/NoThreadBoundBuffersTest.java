package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

import org.attention4j.AttentionOptions;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.Test;

/**
 * Work run on a caller's thread leaves no per-thread block buffers behind on that thread: the buffers live in the
 * pool's own threads ({@link BlockSlot.WorkerThread}) or in the call ({@link CallState#inlineSlot}), never in a
 * thread-local that a service's request threads would keep alive.
 */
class NoThreadBoundBuffersTest {

    private static final Class<?>[] ENGINE_CLASSES = {TiledCpuBackend.class, QueryTile.class, CallState.class,
        KvLayout.class, RopeTable.class, TileLoops.class, FastExp.class, BlockSlot.class, TileOps.class,
        ScalarTileOps.class, SimdSupport.class};

    @Test
    void noEngineClassHoldsThreadBoundState() {
        for (Class<?> c : ENGINE_CLASSES) {
            for (Field f : c.getDeclaredFields()) {
                assertFalse(Modifier.isStatic(f.getModifiers()) && ThreadLocal.class.isAssignableFrom(f.getType()),
                        c.getSimpleName() + "." + f.getName() + " is a static ThreadLocal: it would stay on callers' "
                                + "threads");
            }
        }
    }

    @Test
    void callerThreadKeepsNoBlockAfterACall() {
        Tensor q = Tensor.zeros(1, 2, 100, 128);
        Tensor k = Tensor.zeros(1, 2, 300, 128);
        Tensor v = Tensor.zeros(1, 2, 300, 128);
        AttentionProblem p = AttentionProblem.of(q, k, v, AttentionOptions.DEFAULTS);
        for (int threads : new int[] {1, 2}) {
            try (TiledCpuBackend cpu = new TiledCpuBackend(threads)) {
                assertNotNull(cpu.compute(p).output());
                // The caller is not a pool thread, so inline work used the call's slot, which died with the call.
                assertFalse(Thread.currentThread() instanceof BlockSlot.WorkerThread);
            }
        }
    }

    @Test
    void slotIsTheWorkersOwnOnPoolThreadsAndTheCallsElsewhere() throws InterruptedException {
        AttentionProblem p = AttentionProblem.of(Tensor.zeros(1, 1, 4, 8), Tensor.zeros(1, 1, 4, 8),
                Tensor.zeros(1, 1, 4, 8), AttentionOptions.DEFAULTS);
        CallState cs = new CallState(p, TiledCpuBackend.BC);
        BlockSlot[] got = new BlockSlot[1];
        BlockSlot.WorkerThread w = new BlockSlot.WorkerThread(() -> got[0] = BlockSlot.forCurrentThread(cs), "probe");
        assertTrue(w.isDaemon());
        w.start();
        w.join();
        assertSame(w.slot, got[0], "a pool thread uses its own slot");
        assertSame(cs.inlineSlot, BlockSlot.forCurrentThread(cs), "a caller's thread uses the call's slot");
    }
}

package org.attention4j.cpu;

/**
 * Where a query tile's working buffers are kept between tasks (they are ~0.5 MiB at 512 rows, D=64, so a task
 * must not allocate its own). Each of the pool's {@link WorkerThread}s has one for its whole life; work that runs
 * inline on a caller's thread uses the one in that call's {@link CallState}, so nothing ever stays behind on a
 * thread the engine does not own. A slot is used by one thread at a time.
 */
final class BlockSlot {
    /** The cached buffers, or null; typed by {@link QueryTile}, which alone reads and writes them. */
    Object block;

    /** The slot for the current thread: its own when it is a pool worker, else the call's. */
    static BlockSlot forCurrentThread(CallState cs) {
        return Thread.currentThread() instanceof WorkerThread ? ((WorkerThread) Thread.currentThread()).slot
                : cs.inlineSlot;
    }

    /** A thread of the cpu backend's pool, carrying its block slot. */
    static final class WorkerThread extends Thread {
        final BlockSlot slot = new BlockSlot();

        WorkerThread(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }
    }
}

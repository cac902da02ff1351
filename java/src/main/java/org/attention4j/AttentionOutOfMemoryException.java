package org.attention4j;

/**
 * An allocation the engine needed could not be made: the JVM heap (results, host KV caches, CPU scratch) or the
 * device's memory. The engine that threw it stays usable; a smaller call, or the same call once memory is free,
 * can succeed. The message names the call, the bytes asked for and the limit that refused them.
 */
public class AttentionOutOfMemoryException extends AttentionException {
    private static final long serialVersionUID = 1L;

    /** Which memory ran out. */
    public enum Memory {
        /** The JVM heap ({@code -Xmx}). */
        HOST_HEAP,
        /** The GPU's memory. */
        DEVICE
    }

    private final Memory memory;
    private final long requestedBytes;
    private final long limitBytes;

    /**
     * An out-of-memory failure.
     *
     * @param requestedBytes the bytes the failed allocation (or the call's results) needed, -1 when unknown
     * @param limitBytes     the limit that refused them (the maximum heap), -1 when unknown
     */
    public AttentionOutOfMemoryException(String message, Memory memory, long requestedBytes, long limitBytes,
                                         Throwable cause) {
        super(message, cause);
        this.memory = memory;
        this.requestedBytes = requestedBytes;
        this.limitBytes = limitBytes;
    }

    /** Which memory ran out. */
    public Memory memory() {
        return memory;
    }

    /** The bytes asked for, -1 when unknown. */
    public long requestedBytes() {
        return requestedBytes;
    }

    /** The limit that refused them (for the heap: {@code Runtime.maxMemory()}), -1 when unknown. */
    public long limitBytes() {
        return limitBytes;
    }
}

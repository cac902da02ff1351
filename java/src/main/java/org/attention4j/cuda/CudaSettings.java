package org.attention4j.cuda;

/** The CUDA backend's system properties, read when used; each misformatted value is named in the error. */
final class CudaSettings {
    /** Default score workspace: 1 GiB. */
    static final long DEFAULT_WORKSPACE = 1L << 30;
    /** Default pinned staging per worker: 8 MiB. */
    static final long DEFAULT_STAGING = 8L << 20;

    private CudaSettings() {
    }

    /** {@code attention4j.cuda.workspaceBytes}: the score/probability workspace one call aims to stay within. */
    static long workspaceBytes() {
        return bytes("attention4j.cuda.workspaceBytes", DEFAULT_WORKSPACE);
    }

    /** {@code attention4j.cuda.stagingBytes}: pinned host buffer per worker for uploads and downloads. */
    static long stagingBytes() {
        // A staging buffer is viewed as one ByteBuffer: keep it well inside an int.
        return Math.min(1L << 30, bytes("attention4j.cuda.stagingBytes", DEFAULT_STAGING));
    }

    /**
     * {@code attention4j.cuda.poison}: fill the device output buffers of host calls with NaN before computing, so
     * that an element the kernels fail to write shows up as NaN instead of a stale value (tests; costs a memset).
     */
    static boolean poison() {
        return Boolean.getBoolean("attention4j.cuda.poison");
    }

    static long bytes(String property, long dflt) {
        String s = System.getProperty(property);
        if (s == null) {
            return dflt;
        }
        try {
            long v = Long.parseLong(s.trim());
            if (v < 1024) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + property + " must be a byte count >= 1024, got '"
                    + s + "'");
        }
    }
}

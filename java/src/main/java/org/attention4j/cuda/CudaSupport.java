package org.attention4j.cuda;

import org.attention4j.AttentionException;
import org.attention4j.spi.AttentionBackend;

/** PLACEHOLDER during the founding session: whether CUDA is usable here, and the CUDA backend. */
public final class CudaSupport {
    private CudaSupport() {
    }

    /**
     * Whether the CUDA backend can run, and if not why.
     *
     * @param usable whether it can run
     * @param detail what was found, or what is missing and how to get it
     */
    public record Availability(boolean usable, String detail) {
    }

    /** Probes the driver, the CUDA libraries and the kernels; never throws. */
    public static Availability probe() {
        return new Availability(false, "the CUDA backend is not part of this build");
    }

    /** Opens the CUDA backend; throws when {@link #probe()} says it is not usable. */
    public static AttentionBackend open() {
        throw new AttentionException("CUDA backend unavailable: " + probe().detail());
    }
}

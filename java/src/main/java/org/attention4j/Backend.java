package org.attention4j;

import java.util.Locale;

/** The engines that compute attention. */
public enum Backend {
    /** CUDA when it is usable, else {@link #CPU}; the choice and its reason are logged once. */
    AUTO,
    /** The tiled, multi-threaded CPU engine (float32, online softmax). */
    CPU,
    /** Plain loops with float64 accumulation: the oracle every other backend is tested against. */
    REFERENCE,
    /** cuBLAS GEMMs plus custom CUDA kernels, through JCuda. */
    CUDA;

    /** Parses {@code auto|cpu|reference|cuda}, case-insensitively. */
    public static Backend parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("backend must be one of auto, cpu, reference, cuda; got '" + name + "'");
        }
    }

    /** The lower-case name used on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

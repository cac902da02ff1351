package org.attention4j.io;

import java.io.IOException;

/**
 * A {@code .npy} file that is malformed, or well-formed but not something attention4j reads (a dtype other than
 * float32 or bool, Fortran order, too many elements). The message names the file, what was found and what is
 * expected.
 */
public final class NpyFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param message the full message, naming the file */
    public NpyFormatException(String message) {
        super(message);
    }
}

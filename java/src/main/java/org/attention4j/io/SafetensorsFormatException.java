package org.attention4j.io;

import java.io.IOException;
import java.nio.file.Path;

/** A malformed {@code .safetensors} file: the message names the file and what is wrong with it. */
public class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param file the file; {@code what} says what is wrong, printable. */
    public SafetensorsFormatException(Path file, String what) {
        super(file + ": " + what);
    }
}

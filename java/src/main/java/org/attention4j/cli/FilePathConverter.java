package org.attention4j.cli;

import java.io.File;
import java.nio.file.Path;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converts a file option to a {@link Path}, refusing a name that ends with a separator. {@code Path.of("o.npy/")}
 * silently drops the slash, so {@code --out o.npy/} would write the file {@code o.npy} where the shell, and the
 * user, read "a directory called o.npy".
 */
public final class FilePathConverter implements ITypeConverter<Path> {
    @Override
    public Path convert(String value) {
        if (value.endsWith("/") || value.endsWith(File.separator)) {
            throw new TypeConversionException("'" + value + "' ends with a separator, so it names a directory;"
                    + " give a file name");
        }
        return Path.of(value);
    }
}

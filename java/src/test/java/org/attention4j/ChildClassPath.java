package org.attention4j;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The class path for a child JVM that runs a test's own classes: {@code java.class.path} plus every entry of the
 * class loaders above the tests. Under Maven's surefire the first holds everything; under the JUnit console
 * launcher ({@code --class-path}, as on the GPU machine) the tests come from a class loader of their own, and a
 * child given {@code java.class.path} alone could not find them.
 */
public final class ChildClassPath {
    private ChildClassPath() {
    }

    /** The joined class path. */
    public static String get() {
        Set<String> parts = new LinkedHashSet<>(
                Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)));
        for (ClassLoader cl = ChildClassPath.class.getClassLoader(); cl != null; cl = cl.getParent()) {
            if (cl instanceof URLClassLoader) {
                for (URL u : ((URLClassLoader) cl).getURLs()) {
                    try {
                        parts.add(Path.of(u.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        parts.add(u.getPath());   // not a file URL: as it is
                    }
                }
            }
        }
        parts.remove("");
        return String.join(File.pathSeparator, parts);
    }
}

package org.attention4j.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The kernels' fatbin and its description, packaged as class-path resources by the build when nvcc was there
 * (cuda/build.sh); absent otherwise.
 */
final class KernelResources {
    /** The fatbin, loaded with {@code cuModuleLoadData}. */
    static final String FATBIN = "org/attention4j/cuda/attention4j_kernels.fatbin";
    /** nvcc version, targets and kernel names. */
    static final String PROPERTIES = "org/attention4j/cuda/kernels.properties";

    private KernelResources() {
    }

    /** Whether the fatbin was packaged. */
    static boolean present() {
        return KernelResources.class.getClassLoader().getResource(FATBIN) != null;
    }

    /** The fatbin's bytes. */
    static byte[] fatbin() {
        try (InputStream in = KernelResources.class.getClassLoader().getResourceAsStream(FATBIN)) {
            if (in == null) {
                throw new IllegalStateException(CudaErrors.NO_KERNELS);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + FATBIN, e);
        }
    }

    /** The build's description of the kernels (empty when absent). */
    static Properties properties() {
        Properties p = new Properties();
        try (InputStream in = KernelResources.class.getClassLoader().getResourceAsStream(PROPERTIES)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + PROPERTIES, e);
        }
        return p;
    }
}

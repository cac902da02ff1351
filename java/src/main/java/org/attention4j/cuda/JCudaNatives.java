package org.attention4j.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Set;

import jcuda.CudaException;
import jcuda.LibUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads JCuda's JNI bindings from a directory only this user can write, never from the shared temporary one.
 *
 * <p>JCuda extracts each binding from its jar to {@code java.io.tmpdir} and loads whatever file of that name it
 * finds there (it does not extract again over a file that exists), so on a shared machine anybody who can write
 * {@code /tmp} first chooses the native code that runs in every JVM probing CUDA, CPU-only services included. Here
 * the bindings are copied from the jar into a private directory ({@value #DIR_PROPERTY}, else
 * {@code $XDG_CACHE_HOME/attention4j/natives} or {@code ~/.cache/attention4j/natives}, else a per-user directory
 * under {@code java.io.tmpdir}), which must be a real directory owned by this user with permissions
 * {@code rwx------}; a file already there is used only when its bytes equal the jar's (SHA-256), else replaced.
 * Where no such directory can be had (a file system without POSIX permissions, as on Windows), the bindings are
 * loaded from {@code java.library.path} alone.
 * JCuda's binding classes are then initialised with {@code java.io.tmpdir} pointing at that directory, so that its
 * loader finds the verified files; the property is restored at once. A binding on {@code java.library.path} still
 * comes first, as in JCuda: that path is the administrator's choice.
 *
 * <p>Each class is initialised once per JVM; the outcome, including the {@link UnsatisfiedLinkError} of a
 * missing system library ({@code libcuda.so.1}, {@code libcublas.so.12}), is kept and reported by
 * {@link CudaProbe}. A class whose initialisation failed cannot be used again in this JVM.
 */
final class JCudaNatives {
    /** System property: the directory to keep JCuda's bindings in (created owner-only when missing). */
    static final String DIR_PROPERTY = "attention4j.cuda.nativeDir";
    /** The JCuda release whose bindings the jar carries (the {@code jcuda.version} of the POM). */
    static final String JCUDA_VERSION = "12.6.0";

    private static final Logger LOG = LoggerFactory.getLogger(JCudaNatives.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    /** The bindings the backend uses, in load order: the class whose initialisation loads it, and its name. */
    enum Binding {
        DRIVER("jcuda.driver.JCudaDriver", "JCudaDriver"),
        RUNTIME("jcuda.runtime.JCuda", "JCudaRuntime"),
        CUBLAS("jcuda.jcublas.JCublas2", "JCublas2");

        final String className;
        final String library;

        Binding(String className, String library) {
            this.className = className;
            this.library = library;
        }

        /** The file name JCuda extracts it to, e.g. {@code libJCudaDriver-12.6.0-linux-x86_64.so}. */
        String fileName() {
            return LibUtils.createLibraryFileName(LibUtils.createPlatformLibraryName(library + "-" + JCUDA_VERSION));
        }
    }

    /** Per binding, null when it loaded, else why not (the link error's message). */
    private static String[] outcome;
    private static Path directory;

    private JCudaNatives() {
    }

    /**
     * Initialises every binding once (later calls return the first outcome).
     *
     * @return per {@link Binding} ordinal, null when it loaded, else the reason it did not
     */
    static synchronized String[] load() {
        if (outcome != null) {
            return outcome.clone();
        }
        String[] result = new String[Binding.values().length];
        Path dir;
        try {
            dir = privateDirectory();
            for (Binding b : Binding.values()) {
                extract(b, dir);
            }
        } catch (IOException e) {
            // No private directory (say, a file system without POSIX permissions, as on Windows): only what the
            // administrator put on java.library.path, never JCuda's extraction to the shared directory.
            for (Binding b : Binding.values()) {
                result[b.ordinal()] = fromLibraryPath(b, e.getMessage());
            }
            LOG.debug("JCuda bindings from java.library.path only ({}): {}", e.getMessage(), Arrays.toString(result));
            outcome = result;
            return result.clone();
        }
        directory = dir;
        String tmp = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", dir.toString());
        try {
            for (Binding b : Binding.values()) {
                result[b.ordinal()] = initialise(b);
            }
        } finally {
            System.setProperty("java.io.tmpdir", tmp);
        }
        LOG.debug("JCuda bindings from {}: {}", dir, Arrays.toString(result));
        outcome = result;
        return result.clone();
    }

    /** The private directory used, once {@link #load} has run (null before, or when it was refused). */
    static synchronized Path directory() {
        return directory;
    }

    /**
     * Loads {@code b} from {@code java.library.path} alone; once it is loaded there, JCuda's own loader (which
     * tries that path first) finds it and extracts nothing. Null when it loaded, else why not.
     */
    private static String fromLibraryPath(Binding b, String noDirectory) {
        String name = LibUtils.createPlatformLibraryName(b.library + "-" + JCUDA_VERSION);
        try {
            System.loadLibrary(name);
        } catch (UnsatisfiedLinkError e) {
            String m = e.getMessage();
            // A binding found whose own dependency is missing (libcuda.so.1, libcublas.so.12) says so; else it is
            // simply not there.
            return m != null && m.contains(name) && !m.contains("no " + name + " in java.library.path") ? m
                    : "JCuda's native bindings were not loaded: " + noDirectory + "; " + name
                    + " is not on java.library.path either";
        }
        return initialise(b);
    }

    private static String initialise(Binding b) {
        try {
            Class.forName(b.className, true, JCudaNatives.class.getClassLoader());
            return null;
        } catch (UnsatisfiedLinkError e) {
            return e.getMessage();
        } catch (ExceptionInInitializerError e) {
            // JCuda refuses some platforms with a CudaException from the class initialiser (e.g. macOS).
            if (e.getCause() instanceof CudaException) {
                return e.getCause().getMessage();
            }
            throw e;
        } catch (NoClassDefFoundError e) {
            return b.className + " failed to initialise earlier in this JVM: " + e.getMessage();
        } catch (ClassNotFoundException e) {
            return b.className + " is not on the classpath (the JCuda jars are missing)";
        }
    }

    /** The bindings' directory: made owner-only when new, refused when it is not private. */
    static Path privateDirectory() throws IOException {
        Path dir = baseDirectory().resolve("jcuda-" + JCUDA_VERSION);
        Files.createDirectories(dir.getParent());
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (UnsupportedOperationException e) {
                throw new IOException("the file system of " + dir + " has no POSIX permissions; set -D"
                        + DIR_PROPERTY + " to a private directory");
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // Made by another JVM at the same moment: checked below like any existing directory.
            }
        }
        checkPrivate(dir);
        return dir;
    }

    /** Refuses a directory that is a link, not a directory, not owned by this user, or open to others. */
    static void checkPrivate(Path dir) throws IOException {
        BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isDirectory()) {
            throw new IOException(dir + " is not a directory (a link or a file); remove it or set -D" + DIR_PROPERTY);
        }
        // Who "this user" is, as the file system sees it (user.name can differ from the account in containers).
        java.nio.file.attribute.UserPrincipal owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
        java.nio.file.attribute.UserPrincipal me;
        Path probe = Files.createTempFile(dir, ".owner", ".tmp");
        try {
            me = Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS);
        } finally {
            Files.deleteIfExists(probe);
        }
        if (!owner.equals(me)) {
            throw new IOException(dir + " belongs to " + owner.getName() + ", not to " + me.getName() + "; set -D"
                    + DIR_PROPERTY);
        }
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException e) {
            throw new IOException("the file system of " + dir + " has no POSIX permissions; set -D" + DIR_PROPERTY
                    + " to a private directory");
        }
        if (!perms.equals(OWNER_ONLY)) {
            throw new IOException(dir + " has permissions " + PosixFilePermissions.toString(perms)
                    + ", not rwx------; others could replace the native code loaded from it");
        }
    }

    private static Path baseDirectory() {
        String set = System.getProperty(DIR_PROPERTY);
        if (set != null && !set.isBlank()) {
            return Path.of(set).toAbsolutePath();
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        if (Files.isDirectory(cache) && Files.isWritable(cache) || !Files.exists(cache)
                && Files.isWritable(cache.getParent())) {
            return cache.resolve("attention4j").resolve("natives").toAbsolutePath();
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "attention4j-natives-" + System.getProperty("user.name"))
                .toAbsolutePath();
    }

    /** Copies one binding from the jar unless the same bytes are there; no resource: nothing to copy. */
    private static void extract(Binding b, Path dir) throws IOException {
        String name = b.fileName();
        byte[] bytes;
        try (InputStream in = JCudaNatives.class.getResourceAsStream("/lib/" + name)) {
            if (in == null) {
                return;   // no binding for this platform in the jar: JCuda says so when it looks
            }
            bytes = in.readAllBytes();
        }
        Path target = dir.resolve(name);
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                && Arrays.equals(sha256(Files.readAllBytes(target)), sha256(bytes))) {
            return;
        }
        Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}

package org.attention4j.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The rules that keep reading and writing files from destroying data or hanging, shared by {@link Npy},
 * {@link HeatmapPng} and the CLI:
 * <ul>
 *   <li>an input must be a regular file (links followed): a FIFO would block the read forever, a device node
 *       could be read without end;</li>
 *   <li>an output must not exist yet or be a writable regular file; a symbolic link, a FIFO, a device node, a
 *       socket or a directory is refused, as is a read-only file (writes replace the file by a rename, which
 *       would otherwise ignore its permission bits and replace whatever the path named);</li>
 *   <li>an output that is the same file as an input (any spelling, a symbolic link or a hard link) or as another
 *       output is refused before any work is done.</li>
 * </ul>
 * Every refusal is an {@link IOException} whose message names the option or file and what it is.
 */
public final class FileChecks {
    private FileChecks() {
    }

    /**
     * Checks that {@code file} can be read as an input: it exists and is a regular file.
     *
     * @param what how to name it in a message, e.g. {@code "--q q.npy"} or the path itself
     * @throws IOException naming {@code what} and what the path is
     */
    public static void checkInput(Path file, String what) throws IOException {
        Objects.requireNonNull(file, "file");
        if (file.toString().isEmpty()) {
            throw new IOException(what + ": empty path");
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new IOException(what + ": no such file");
        }
        if (!a.isRegularFile()) {
            // Described through its real path: kind() does not follow links, and a link to a FIFO is a FIFO here.
            throw new IOException(what + ": is " + kind(file.toRealPath(), a) + ", not a regular file");
        }
    }

    /**
     * Checks outputs before anything is computed or written: each may be created or replaced (see the class
     * comment), none is the same file as another or as any input.
     *
     * @param outputs how to name each output in a message (e.g. {@code "--out"}, or the path itself), with its path
     * @param inputs  how to name each input, with its path; inputs that do not exist are ignored here
     * @throws IOException naming the output, and the input or output it collides with
     */
    public static void checkOutputs(Map<String, Path> outputs, Map<String, Path> inputs) throws IOException {
        List<Path> seen = new ArrayList<>();
        List<String> seenNames = new ArrayList<>();
        for (Map.Entry<String, Path> e : outputs.entrySet()) {
            Path p = Objects.requireNonNull(e.getValue(), e.getKey());
            String what = e.getKey().equals(p.toString()) ? e.getKey() : e.getKey() + " " + p;
            if (p.toString().isEmpty()) {
                throw new IOException(e.getKey() + ": empty path");
            }
            Path dir = p.toAbsolutePath().normalize().getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                throw new IOException(what + ": directory " + dir + " does not exist");
            }
            if (!Files.isWritable(dir)) {
                throw new IOException(what + ": directory " + dir + " is not writable");
            }
            // Where the file would be, with the directory's links resolved: two spellings of one new file meet.
            Path where = dir.toRealPath().resolve(p.getFileName());
            boolean exists = Files.exists(where, LinkOption.NOFOLLOW_LINKS);
            if (exists) {
                BasicFileAttributes a = Files.readAttributes(where, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile()) {
                    throw new IOException(what + ": is " + kind(where, a) + "; only a regular file is replaced");
                }
                if (readOnly(where)) {
                    throw new IOException(what + ": is read-only; make it writable or choose another file");
                }
            }
            for (Map.Entry<String, Path> in : inputs.entrySet()) {
                if (in.getValue() != null && exists && Files.exists(in.getValue())
                        && Files.isSameFile(where, in.getValue())) {
                    throw new IOException(what + " is the same file as " + in.getKey() + " " + in.getValue()
                            + "; writing it would destroy that input");
                }
            }
            for (int i = 0; i < seen.size(); i++) {
                if (seen.get(i).equals(where) || exists && Files.exists(seen.get(i), LinkOption.NOFOLLOW_LINKS)
                        && Files.isSameFile(seen.get(i), where)) {
                    throw new IOException(what + " and " + seenNames.get(i) + " name the same file");
                }
            }
            seen.add(where);
            seenNames.add(what);
        }
    }

    /** How much of the target's name a temporary file repeats: enough to recognise it, short enough that a
     *  target name at the file system's limit (255 bytes) still leaves room for the suffix. */
    private static final int TEMP_NAME_PREFIX = 40;

    /**
     * Creates an empty hidden file in {@code target}'s directory, to be written and then moved over the target
     * by {@link #moveIntoPlace}, so that a failure never leaves a partial output. Not {@link Files#createTempFile}:
     * that makes the file owner-only (0600) and the rename would hand those permissions to the output; a plain
     * create follows the umask. The name need not be unpredictable: the create is exclusive ({@code O_EXCL}, so
     * never through a file or link planted there), and a taken name is retried; so no {@code SecureRandom},
     * whose start costs a one-shot command about 20 ms.
     */
    static Path createTempBeside(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException(target + ": cannot write, directory " + dir + " does not exist");
        }
        String name = target.getFileName().toString();
        String prefix = name.substring(0, Math.min(name.length(), TEMP_NAME_PREFIX));
        for (int attempt = 0; ; attempt++) {
            String unique = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            Path tmp = dir.resolve("." + prefix + "." + unique + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException ex) {
                if (attempt > 100) {
                    throw ex;
                }
            } catch (AccessDeniedException ex) {
                throw new IOException(target + ": cannot write, permission denied in " + dir);
            }
        }
    }

    /** Moves a finished temporary file over {@code target}, atomically where the file system can. */
    static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Whether a regular file may not be written by its owner (root may write anything, so ask the mode bits). */
    private static boolean readOnly(Path file) throws IOException {
        try {
            return !Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)
                    .contains(PosixFilePermission.OWNER_WRITE) || !Files.isWritable(file);
        } catch (UnsupportedOperationException e) {
            return !Files.isWritable(file);
        }
    }

    /** What a non-regular path is, in words. */
    private static String kind(Path p, BasicFileAttributes a) {
        if (a.isSymbolicLink()) {
            String to;
            try {
                to = " to " + Files.readSymbolicLink(p);
            } catch (IOException | UnsupportedOperationException e) {
                to = "";
            }
            return "a symbolic link" + to;
        }
        if (a.isDirectory()) {
            return "a directory";
        }
        int mode = -1;
        try {
            mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            // No unix view (e.g. Windows): the general word below.
        }
        switch (mode & 0170000) {
            case 0010000:
                return "a FIFO (named pipe)";
            case 0020000:
                return "a character device";
            case 0060000:
                return "a block device";
            case 0140000:
                return "a socket";
            default:
                return "a special file (a device, pipe or socket)";
        }
    }
}

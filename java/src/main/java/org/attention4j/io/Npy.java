package org.attention4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.attention4j.Tensor;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) of float32 and bool arrays in C
 * order: the exchange format of the {@code attend} command.
 *
 * <p>Reading accepts {@code '<f4'} and, byte-swapped on the way in, {@code '>f4'}; {@code '|b1'} for boolean
 * masks (any non-zero byte reads as true). A Fortran-order file is accepted only when its layout is the same as C
 * order (at most one dimension larger than 1). Every other dtype ({@code '<f8'}, integers, structured) is refused
 * rather than converted, so that a precision change never happens silently. A malformed file (bad magic, unknown
 * version, truncated or non-dict header, bad shape literal, negative dimension, data shorter or longer than the
 * shape needs, more than {@link Tensor#MAX_ELEMENTS} elements) raises {@link NpyFormatException} naming the file.
 * The declared size is checked against the file size before anything is allocated, so a hostile header cannot
 * exhaust memory.
 *
 * <p>Writing produces {@code '<f4'} or {@code '|b1'}, C order, version 1.0 (2.0 when the header needs it), with
 * the header padded to 64 bytes as NumPy does. Writes are atomic: the data goes to a temporary file in the target
 * directory, which is then renamed over the target, so a failure never leaves a partial file behind. Only regular
 * files are read, and an existing target is replaced only when it is a writable regular file
 * ({@link FileChecks}).
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Header lengths beyond this are refused; NumPy itself refuses more than 10000 bytes by default. */
    private static final long MAX_HEADER_BYTES = 1 << 20;
    /** Bytes moved per channel read or write. */
    private static final int CHUNK = 1 << 20;
    private static final int ALIGN = 64;

    private Npy() {
    }

    /**
     * Reads a float32 or bool array.
     *
     * @throws NpyFormatException when the file is malformed or holds another dtype, naming the file
     * @throws IOException        when the file cannot be read
     */
    public static NpyArray read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        FileChecks.checkInput(file, file.toString());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new IOException(file + ": permission denied");
        }
    }

    /**
     * Reads a float32 array as a tensor.
     *
     * @throws NpyFormatException when the file is malformed or is not float32, naming the file and what it holds
     * @throws IOException        when the file cannot be read
     */
    public static Tensor readTensor(Path file) throws IOException {
        NpyArray a = read(file);
        if (a.isBoolean()) {
            throw new NpyFormatException(file + ": holds a bool array ('|b1') of shape "
                    + shapeLiteral(a.shape()) + " where float32 ('<f4') is expected");
        }
        return a.toTensor();
    }

    /** Writes a tensor as float32 {@code '<f4'}, atomically. */
    public static void write(Path file, Tensor tensor) throws IOException {
        Objects.requireNonNull(tensor, "tensor");
        write(file, NpyArray.of(tensor));
    }

    /** Writes a float32 array of the given shape, atomically. */
    public static void writeFloat(Path file, float[] data, int... shape) throws IOException {
        write(file, NpyArray.ofFloat(data, shape));
    }

    /** Writes a bool array {@code '|b1'} of the given shape, atomically. */
    public static void writeBoolean(Path file, boolean[] data, int... shape) throws IOException {
        write(file, NpyArray.ofBoolean(data, shape));
    }

    /** Writes an array, atomically. */
    public static void write(Path file, NpyArray array) throws IOException {
        Objects.requireNonNull(file, "file");
        Map<Path, NpyArray> one = new LinkedHashMap<>();
        one.put(file, Objects.requireNonNull(array, "array"));
        writeAll(one);
    }

    /**
     * Writes several files as one step: every file is first written in full to a temporary file beside its target,
     * and only when all of them succeeded are they renamed into place. A failure while writing therefore leaves
     * none of the targets created or changed.
     *
     * @throws IllegalArgumentException when two entries name the same file
     */
    public static void writeAll(Map<Path, NpyArray> files) throws IOException {
        Objects.requireNonNull(files, "files");
        Set<Path> seen = new HashSet<>();
        for (Path p : files.keySet()) {
            Path norm = Objects.requireNonNull(p, "file").toAbsolutePath().normalize();
            if (!seen.add(norm)) {
                throw new IllegalArgumentException("the same output file is named twice: " + p);
            }
        }
        Map<String, Path> names = new LinkedHashMap<>();
        for (Path p : files.keySet()) {
            names.put(p.toString(), p);
        }
        FileChecks.checkOutputs(names, Map.of());
        List<Path> temps = new ArrayList<>();
        List<Path> targets = new ArrayList<>();
        boolean done = false;
        try {
            for (Map.Entry<Path, NpyArray> e : files.entrySet()) {
                Path target = e.getKey();
                Path tmp = FileChecks.createTempBeside(target);
                temps.add(tmp);
                targets.add(target);
                writeFile(tmp, Objects.requireNonNull(e.getValue(), "array"), target);
            }
            for (int i = 0; i < temps.size(); i++) {
                FileChecks.moveIntoPlace(temps.get(i), targets.get(i));
            }
            done = true;
        } finally {
            if (!done) {
                for (Path t : temps) {
                    try {
                        Files.deleteIfExists(t);
                    } catch (IOException ignored) {
                        // The original failure is what the caller needs to see.
                    }
                }
            }
        }
    }

    private static void writeFile(Path tmp, NpyArray a, Path target) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.wrap(header(a.dtype().descr(), a.shape())));
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            int n = a.size();
            if (a.isBoolean()) {
                boolean[] data = a.booleanData();
                for (int off = 0; off < n; ) {
                    int len = Math.min(CHUNK, n - off);
                    buf.clear();
                    for (int i = 0; i < len; i++) {
                        buf.put(data[off + i] ? (byte) 1 : (byte) 0);
                    }
                    buf.flip();
                    writeFully(ch, buf);
                    off += len;
                }
            } else {
                float[] data = a.floatData();
                for (int off = 0; off < n; ) {
                    int len = Math.min(CHUNK / Float.BYTES, n - off);
                    buf.clear();
                    buf.asFloatBuffer().put(data, off, len);
                    buf.limit(len * Float.BYTES);
                    writeFully(ch, buf);
                    off += len;
                }
            }
            ch.force(true);
        } catch (IOException e) {
            throw new IOException(target + ": write failed: " + e.getMessage(), e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** The magic, version, length and padded dict of a C-order array. */
    static byte[] header(String descr, int[] shape) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeLiteral(shape) + ", }";
        int major = 1;
        int prefix = 10;
        int total = align(prefix + dict.length() + 1);
        if (total - prefix > 0xFFFF) {
            major = 2;
            prefix = 12;
            total = align(prefix + dict.length() + 1);
        }
        int headerLen = total - prefix;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) headerLen);
        } else {
            b.putInt(headerLen);
        }
        b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
        while (b.position() < total - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    private static int align(int n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** A shape as Python writes the tuple: {@code ()}, {@code (3,)}, {@code (2, 3)}. */
    static String shapeLiteral(int[] shape) {
        long[] wide = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            wide[i] = shape[i];
        }
        return shapeLiteral(wide);
    }

    private static String shapeLiteral(long[] shape) {
        // Read shapes may exceed int (refused later, with this text in the message).
        String[] parts = new String[shape.length];
        for (int i = 0; i < shape.length; i++) {
            parts[i] = Long.toString(shape[i]);
        }
        return shape.length == 1 ? "(" + parts[0] + ",)" : "(" + String.join(", ", parts) + ")";
    }

    private static NpyArray read(FileChannel ch, Path file) throws IOException {
        long fileSize = ch.size();
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        pre.limit((int) Math.min(12, fileSize));
        readFully(ch, pre, 0, file);
        pre.flip();
        byte[] magic = new byte[Math.min(MAGIC.length, pre.remaining())];
        pre.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new NpyFormatException(file + ": not a .npy file (bad magic; expected \\x93NUMPY, file has "
                    + fileSize + " bytes)");
        }
        if (fileSize < 10) {
            throw new NpyFormatException(file + ": truncated .npy header (" + fileSize + " bytes)");
        }
        int major = pre.get() & 0xFF;
        int minor = pre.get() & 0xFF;
        long headerLen;
        int prefix;
        if (major == 1 && minor == 0) {
            prefix = 10;
            headerLen = pre.getShort() & 0xFFFF;
        } else if ((major == 2 || major == 3) && minor == 0) {
            prefix = 12;
            if (fileSize < 12) {
                throw new NpyFormatException(file + ": truncated .npy header (" + fileSize + " bytes)");
            }
            headerLen = pre.getInt() & 0xFFFFFFFFL;
        } else {
            throw new NpyFormatException(file + ": unsupported .npy format version " + major + "." + minor
                    + " (supported: 1.0, 2.0, 3.0)");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new NpyFormatException(file + ": header declares " + headerLen + " bytes, more than the "
                    + MAX_HEADER_BYTES + " accepted");
        }
        if (prefix + headerLen > fileSize) {
            throw new NpyFormatException(file + ": truncated .npy header (declares " + headerLen + " bytes, file has "
                    + (fileSize - prefix) + " after the prefix)");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, prefix, file);
        hb.flip();
        String text;
        try {
            text = (major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(hb).toString();
        } catch (CharacterCodingException e) {
            throw new NpyFormatException(file + ": .npy header is not valid UTF-8");
        }
        NpyHeader h = NpyHeader.parse(text, file.toString());
        int[] shape = checkShape(h.shape, file);
        NpyArray.DType dtype;
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        switch (h.descr) {
            case "<f4":
                dtype = NpyArray.DType.FLOAT32;
                break;
            case ">f4":
                dtype = NpyArray.DType.FLOAT32;
                order = ByteOrder.BIG_ENDIAN;
                break;
            case "|b1":
                dtype = NpyArray.DType.BOOL;
                break;
            default:
                throw new NpyFormatException(file + ": dtype '" + NpyHeader.printable(h.descr) + "' of shape "
                        + shapeLiteral(shape)
                        + " is not supported; expected float32 ('<f4') or, for a mask, bool ('|b1')"
                        + " (in NumPy: arr.astype(np.float32))");
        }
        if (h.fortranOrder && !sameAsCOrder(shape)) {
            throw new NpyFormatException(file + ": array of shape " + shapeLiteral(shape)
                    + " is in Fortran order; expected C order (in NumPy: np.ascontiguousarray(arr))");
        }
        int n = (int) Tensor.elementCount(shape, "shape");
        long need = (long) n * dtype.itemSize();
        long dataStart = prefix + headerLen;
        long have = fileSize - dataStart;
        if (have < need) {
            throw new NpyFormatException(file + ": truncated data: shape " + shapeLiteral(shape) + " of '" + h.descr
                    + "' needs " + need + " bytes, the file has " + have);
        }
        if (have > need) {
            throw new NpyFormatException(file + ": " + (have - need) + " unexpected bytes after the data of shape "
                    + shapeLiteral(shape) + " of '" + h.descr + "' (" + need + " bytes expected)");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(CHUNK, Math.max(need, 1))).order(order);
        long pos = dataStart;
        if (dtype == NpyArray.DType.BOOL) {
            boolean[] out = new boolean[n];
            for (int off = 0; off < n; ) {
                int len = Math.min(buf.capacity(), n - off);
                buf.clear().limit(len);
                readFully(ch, buf, pos, file);
                buf.flip();
                for (int i = 0; i < len; i++) {
                    out[off + i] = buf.get() != 0;
                }
                off += len;
                pos += len;
            }
            return NpyArray.ofBoolean(out, shape);
        }
        float[] out = new float[n];
        int per = buf.capacity() / Float.BYTES;
        for (int off = 0; off < n; ) {
            int len = Math.min(per, n - off);
            buf.clear().limit(len * Float.BYTES);
            readFully(ch, buf, pos, file);
            buf.flip();
            buf.asFloatBuffer().get(out, off, len);
            off += len;
            pos += (long) len * Float.BYTES;
        }
        return NpyArray.ofFloat(out, shape);
    }

    private static boolean sameAsCOrder(int[] shape) {
        int big = 0;
        for (int d : shape) {
            if (d > 1) {
                big++;
            }
        }
        return big <= 1;
    }

    private static int[] checkShape(long[] dims, Path file) throws NpyFormatException {
        int[] shape = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new NpyFormatException(file + ": shape " + shapeLiteral(dims) + " has a negative dimension");
            }
            if (dims[i] > Tensor.MAX_ELEMENTS) {
                throw new NpyFormatException(file + ": shape " + shapeLiteral(dims) + " has more than "
                        + Tensor.MAX_ELEMENTS + " elements, the most a Java array holds");
            }
            shape[i] = (int) dims[i];
        }
        try {
            Tensor.elementCount(shape, "shape");
        } catch (IllegalArgumentException e) {
            throw new NpyFormatException(file + ": shape " + shapeLiteral(dims) + " has more than "
                    + Tensor.MAX_ELEMENTS + " elements, the most a Java array holds");
        }
        return shape;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file) throws IOException {
        long p = pos;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) {
                throw new NpyFormatException(file + ": file ended early at byte " + p);
            }
            p += r;
        }
    }
}

package org.attention4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.attention4j.Float16;
import org.attention4j.Tensor;

/**
 * A {@code .safetensors} file (Hugging Face's checkpoint format) opened for reading: an 8-byte little-endian
 * header length, a JSON header naming each tensor's dtype, shape and byte range, then the bytes. The header is
 * checked strictly when the file opens: at most {@value #MAX_HEADER_BYTES} bytes of UTF-8 JSON, each entry exactly
 * {@code dtype}, {@code shape} and {@code data_offsets}, known dtypes, byte ranges that match the shape, lie inside
 * the file and tile the data with no overlap and no hole (as the format requires); anything else is a
 * {@link SafetensorsFormatException} naming the file, the tensor and what is wrong.
 *
 * <p>Tensors are read on demand from a memory mapping of their own byte range, never by loading the file whole, and
 * widened to float32 ({@code F32}, {@code F16}, {@code BF16}; other dtypes are listed but refused by
 * {@link #tensor}). Thread-safe; {@link #close} is idempotent.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header accepted (the format's own limit). */
    public static final int MAX_HEADER_BYTES = 100 << 20;

    /** Bytes per element of every dtype the format defines. */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(Map.entry("BOOL", 1), Map.entry("U8", 1),
            Map.entry("I8", 1), Map.entry("F8_E5M2", 1), Map.entry("F8_E4M3", 1), Map.entry("I16", 2),
            Map.entry("U16", 2), Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4),
            Map.entry("F32", 4), Map.entry("F64", 8), Map.entry("I64", 8), Map.entry("U64", 8));

    /** One tensor's entry in the header. */
    public record Entry(String name, String dtype, int[] shape, long begin, long end) {
        /** The shape (a copy). */
        @Override
        public int[] shape() {
            return shape.clone();
        }
    }

    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SafetensorsFile.class);

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final Handle handle;
    private final java.lang.ref.Cleaner.Cleanable cleanable;

    /** The open file and how to close it; holds no reference to the SafetensorsFile, as a Cleaner needs. */
    private static final class Handle implements Runnable {
        private final FileChannel channel;
        private final Path file;
        private volatile boolean closed;
        private volatile boolean byClose;

        Handle(FileChannel channel, Path file) {
            this.channel = channel;
            this.file = file;
        }

        @Override
        public void run() {
            closed = true;
            if (!byClose) {
                LOG.warn("{} was never closed; the Cleaner closes it. Use try-with-resources on SafetensorsFile.",
                        file);
            }
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warn("closing {} failed: {}", file, e.toString());
            }
        }
    }

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
        this.handle = new Handle(channel, file);
        this.cleanable = CLEANER.register(this, handle);
    }

    /**
     * Opens and checks a file.
     *
     * @throws SafetensorsFormatException when the header or the layout is malformed
     * @throws IOException                when the file cannot be read (or is not a regular file)
     */
    public static SafetensorsFile open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        FileChecks.checkInput(file, file.toString());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        boolean ok = false;
        try {
            SafetensorsFile f = parse(file, ch);
            ok = true;
            return f;
        } finally {
            if (!ok) {
                ch.close();
            }
        }
    }

    private static SafetensorsFile parse(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafetensorsFormatException(file, "file has " + size + " bytes, fewer than the 8 of the header "
                    + "length");
        }
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, 0);
        long n = len.flip().getLong();
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(file, "header length " + Long.toUnsignedString(n)
                    + " is outside [2, " + MAX_HEADER_BYTES + "]");
        }
        if (n > size - 8) {
            throw new SafetensorsFormatException(file, "header length " + n + " runs past the end of the file ("
                    + size + " bytes)");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8);
        String json;
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb.flip());
            json = cb.toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(file, "header is not valid UTF-8");
        }
        Object root;
        try {
            root = JsonValue.parse(json);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(file, "header: " + e.getMessage());
        }
        if (!(root instanceof Map)) {
            throw new SafetensorsFormatException(file, "header is not a JSON object");
        }
        long dataSize = size - 8 - n;
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> meta = Map.of();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) root).entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                meta = metadata(file, e.getValue());
                continue;
            }
            entries.put(name, entry(file, name, e.getValue(), dataSize));
        }
        checkTiling(file, entries.values(), dataSize);
        return new SafetensorsFile(file, ch, 8 + n, Collections.unmodifiableMap(entries), meta);
    }

    private static Map<String, String> metadata(Path file, Object v) throws SafetensorsFormatException {
        if (!(v instanceof Map)) {
            throw new SafetensorsFormatException(file, "__metadata__ is not an object of strings");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            if (!(e.getValue() instanceof String)) {
                throw new SafetensorsFormatException(file, "__metadata__ \"" + JsonValue.printable((String) e.getKey())
                        + "\" is not a string");
            }
            m.put((String) e.getKey(), (String) e.getValue());
        }
        return Collections.unmodifiableMap(m);
    }

    private static Entry entry(Path file, String name, Object v, long dataSize) throws SafetensorsFormatException {
        String what = "tensor \"" + JsonValue.printable(name) + "\"";
        if (!(v instanceof Map)) {
            throw new SafetensorsFormatException(file, what + " is not an object");
        }
        Map<?, ?> m = (Map<?, ?>) v;
        if (!m.keySet().equals(Set.of("dtype", "shape", "data_offsets"))) {
            throw new SafetensorsFormatException(file, what + " must have exactly dtype, shape and data_offsets, got "
                    + JsonValue.printable(m.keySet().toString()));
        }
        if (!(m.get("dtype") instanceof String) || !DTYPE_BYTES.containsKey(m.get("dtype"))) {
            throw new SafetensorsFormatException(file, what + " has dtype " + JsonValue.printable(String.valueOf(
                    m.get("dtype"))) + ", not one of " + new java.util.TreeSet<>(DTYPE_BYTES.keySet()));
        }
        String dtype = (String) m.get("dtype");
        long[] shapeL = integers(file, what + " shape", m.get("shape"), -1);
        int[] shape = new int[shapeL.length];
        long count = 1;
        for (int k = 0; k < shape.length; k++) {
            if (shapeL[k] > Integer.MAX_VALUE) {
                throw new SafetensorsFormatException(file, what + " has dimension " + shapeL[k] + " > 2^31 - 1");
            }
            shape[k] = (int) shapeL[k];
            try {
                count = Math.multiplyExact(count, shapeL[k]);
            } catch (ArithmeticException ex) {
                throw new SafetensorsFormatException(file, what + " shape " + Arrays.toString(shapeL) + " overflows");
            }
        }
        long[] off = integers(file, what + " data_offsets", m.get("data_offsets"), 2);
        if (off[0] > off[1] || off[1] > dataSize) {
            throw new SafetensorsFormatException(file, what + " data_offsets [" + off[0] + ", " + off[1]
                    + "] are not inside the " + dataSize + " data bytes");
        }
        long bytes = count > Long.MAX_VALUE / 8 ? -1 : count * DTYPE_BYTES.get(dtype);
        if (off[1] - off[0] != bytes) {
            throw new SafetensorsFormatException(file, what + " of shape " + Arrays.toString(shape) + " and dtype "
                    + dtype + " needs " + bytes + " bytes, data_offsets give " + (off[1] - off[0]));
        }
        return new Entry(name, dtype, shape, off[0], off[1]);
    }

    private static long[] integers(Path file, String what, Object v, int length) throws SafetensorsFormatException {
        if (!(v instanceof List)) {
            throw new SafetensorsFormatException(file, what + " is not an array");
        }
        List<?> a = (List<?>) v;
        if (length >= 0 && a.size() != length) {
            throw new SafetensorsFormatException(file, what + " must have " + length + " values, got " + a.size());
        }
        long[] out = new long[a.size()];
        for (int k = 0; k < out.length; k++) {
            if (!(a.get(k) instanceof Long) || (Long) a.get(k) < 0) {
                throw new SafetensorsFormatException(file, what + " holds " + JsonValue.printable(String.valueOf(
                        a.get(k))) + ", not a non-negative integer");
            }
            out[k] = (Long) a.get(k);
        }
        return out;
    }

    /** The byte ranges must cover the data exactly once, in any order: no overlap, no hole, nothing after. */
    private static void checkTiling(Path file, java.util.Collection<Entry> all, long dataSize)
            throws SafetensorsFormatException {
        List<Entry> sorted = new ArrayList<>(all);
        sorted.sort((a, b) -> a.begin != b.begin ? Long.compare(a.begin, b.begin) : Long.compare(a.end, b.end));
        long at = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin < at) {
                throw new SafetensorsFormatException(file, "tensors \"" + JsonValue.printable(prev.name) + "\" and \""
                        + JsonValue.printable(e.name) + "\" overlap (bytes " + e.begin + " .. " + at + ")");
            }
            if (e.begin > at) {
                throw new SafetensorsFormatException(file, "bytes " + at + " .. " + e.begin + " of the data belong "
                        + "to no tensor");
            }
            at = e.end;
            prev = e;
        }
        if (at != dataSize) {
            throw new SafetensorsFormatException(file, "bytes " + at + " .. " + dataSize + " at the end belong to no "
                    + "tensor");
        }
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** Tensor names, in header order. */
    public Set<String> names() {
        return entries.keySet();
    }

    /** The header entry of {@code name}. */
    public Entry entry(String name) {
        Entry e = entries.get(Objects.requireNonNull(name, "name"));
        if (e == null) {
            throw new IllegalArgumentException(file + " has no tensor \"" + JsonValue.printable(name) + "\""
                    + nearby(name));
        }
        return e;
    }

    /** The {@code __metadata__} strings (empty when there are none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads {@code name} as float32.
     *
     * @throws IllegalArgumentException when there is no such tensor or its dtype is not F32, F16 or BF16
     * @throws IOException              when the bytes cannot be read
     */
    public Tensor tensor(String name) throws IOException {
        Entry e = entry(name);
        if (handle.closed) {
            throw new IllegalStateException(file + " is closed");
        }
        long count = (e.end - e.begin) / DTYPE_BYTES.get(e.dtype);
        if (count > Tensor.MAX_ELEMENTS) {
            throw new IllegalArgumentException("tensor \"" + name + "\" has " + count + " elements, more than a Java "
                    + "array holds");
        }
        float[] out = new float[(int) count];
        int width = DTYPE_BYTES.get(e.dtype);
        if (!e.dtype.equals("F32") && !e.dtype.equals("F16") && !e.dtype.equals("BF16")) {
            throw new IllegalArgumentException("tensor \"" + name + "\" of " + file + " has dtype " + e.dtype
                    + "; attention4j reads F32, F16 and BF16");
        }
        // Mapped in pieces: one mapping holds at most 2^31 - 1 bytes.
        long chunkElems = (1L << 30) / width;
        for (long first = 0; first < count; first += chunkElems) {
            int n = (int) Math.min(chunkElems, count - first);
            MappedByteBuffer b = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin + first * width,
                    (long) n * width);
            b.order(ByteOrder.LITTLE_ENDIAN);
            int o = (int) first;
            if (width == 4) {
                b.asFloatBuffer().get(out, o, n);
            } else if (e.dtype.equals("F16")) {
                for (int k = 0; k < n; k++) {
                    out[o + k] = Float16.halfToFloat(b.getShort(2 * k));
                }
            } else {
                for (int k = 0; k < n; k++) {
                    out[o + k] = Float16.bfloat16ToFloat(b.getShort(2 * k));
                }
            }
        }
        return Tensor.of(out, e.shape);
    }

    /**
     * Reads {@code name} and checks its shape, for loading a layer's parameters.
     *
     * @throws IllegalArgumentException naming the tensor, its shape and the expected one when they differ
     */
    public Tensor tensor(String name, int... expectedShape) throws IOException {
        Entry e = entry(name);
        if (!Arrays.equals(e.shape, expectedShape)) {
            throw new IllegalArgumentException("tensor \"" + name + "\" of " + file + " has shape "
                    + Tensor.shapeString(e.shape) + ", expected " + Tensor.shapeString(expectedShape));
        }
        return tensor(name);
    }

    /** The names sharing the longest dotted prefix with {@code name} (a few), to point at a misspelt parameter. */
    private String nearby(String name) {
        String prefix = name;
        while (prefix.contains(".")) {
            prefix = prefix.substring(0, prefix.lastIndexOf('.'));
            List<String> like = new ArrayList<>();
            for (String n : entries.keySet()) {
                if (n.startsWith(prefix + ".") && like.size() < 5) {
                    like.add(JsonValue.printable(n));
                }
            }
            if (!like.isEmpty()) {
                return "; under \"" + JsonValue.printable(prefix) + ".\" it has " + like;
            }
        }
        return " (" + entries.size() + " tensors)";
    }

    /** Closes the file; idempotent. Tensors already read stay valid (they are copies). */
    @Override
    public void close() {
        handle.byClose = true;
        cleanable.clean();   // runs the Handle once, whoever calls first
    }

    /**
     * Writes float32 tensors as a {@code .safetensors} file (F32, in the given order), atomically: a temporary
     * file beside the target is moved over it when complete, and the output rules of {@link FileChecks} apply.
     *
     * @throws IllegalArgumentException when a name is empty or {@code __metadata__}
     * @throws IOException              when the file cannot be written
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        StringBuilder h = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            h.append("\"__metadata__\":{");
            String sep = "";
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                h.append(sep).append(quote(m.getKey())).append(':').append(quote(m.getValue()));
                sep = ",";
            }
            h.append('}');
        }
        long at = 0;
        for (Map.Entry<String, Tensor> t : tensors.entrySet()) {
            String name = Objects.requireNonNull(t.getKey(), "tensor name");
            if (name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("tensor name must not be empty or __metadata__, got '" + name
                        + "'");
            }
            long bytes = 4L * t.getValue().size();
            h.append(h.length() > 1 ? "," : "").append(quote(name)).append(":{\"dtype\":\"F32\",\"shape\":")
                    .append(Arrays.toString(t.getValue().shape()).replace(" ", "")).append(",\"data_offsets\":[")
                    .append(at).append(',').append(at + bytes).append("]}");
            at += bytes;
        }
        h.append('}');
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        // Padded with spaces to a multiple of 8, as the reference writer does, so the data starts aligned.
        int padded = (header.length + 7) / 8 * 8;
        byte[] hdr = Arrays.copyOf(header, padded);
        Arrays.fill(hdr, header.length, padded, (byte) ' ');
        FileChecks.checkOutputs(Map.of(file.toString(), file), Map.of());
        Path target = file.toAbsolutePath();
        Path tmp = FileChecks.createTempBeside(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                writeFully(ch, len.flip());
                writeFully(ch, ByteBuffer.wrap(hdr));
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Tensor t : tensors.values()) {
                    float[] d = t.data();
                    for (int k = 0; k < d.length; ) {
                        int n = Math.min(buf.capacity() / 4, d.length - k);
                        buf.clear();
                        buf.asFloatBuffer().put(d, k, n);
                        buf.limit(4 * n);
                        writeFully(ch, buf);
                        k += n;
                    }
                }
            }
            FileChecks.moveIntoPlace(tmp, target);
        } finally {
            java.nio.file.Files.deleteIfExists(tmp);
        }
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long pos = at;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += r;
        }
    }
}

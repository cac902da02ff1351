package org.attention4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NpyTest {
    @TempDir
    Path dir;

    static Stream<int[]> shapes() {
        return Stream.of(new int[] {}, new int[] {0}, new int[] {1}, new int[] {7}, new int[] {2, 0, 3},
                new int[] {3, 5}, new int[] {2, 3, 4}, new int[] {2, 3, 4, 5}, new int[] {1, 1, 97, 13});
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void floatRoundTripKeepsEveryBit(int[] shape) throws IOException {
        Tensor t = Tensor.zeros(shape);
        Random rnd = new Random(shape.length * 31L + t.size());
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rnd.nextGaussian() * 100f;
        }
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.0f, Float.MIN_VALUE,
            Float.MAX_VALUE};
        for (int i = 0; i < Math.min(d.length, specials.length); i++) {
            d[i] = specials[i];
        }
        Path f = dir.resolve("t.npy");
        Npy.write(f, t);
        Tensor back = Npy.readTensor(f);
        assertArrayEquals(shape, back.shape());
        for (int i = 0; i < d.length; i++) {
            assertEquals(Float.floatToRawIntBits(d[i]), Float.floatToRawIntBits(back.data()[i]), "element " + i);
        }
        long size = Files.size(f);
        assertEquals(size - 4L * d.length, headerSize(f));
        assertEquals(0, headerSize(f) % 64, "header padded to 64 bytes");
        assertEquals(1, Files.readAllBytes(f)[6], "version 1.0");
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void boolRoundTrip(int[] shape) throws IOException {
        int n = (int) Tensor.elementCount(shape, "shape");
        boolean[] b = new boolean[n];
        Random rnd = new Random(n);
        for (int i = 0; i < n; i++) {
            b[i] = rnd.nextBoolean();
        }
        Path f = dir.resolve("m.npy");
        Npy.writeBoolean(f, b, shape);
        NpyArray a = Npy.read(f);
        assertEquals(NpyArray.DType.BOOL, a.dtype());
        assertTrue(a.isBoolean());
        assertArrayEquals(shape, a.shape());
        assertArrayEquals(b, a.booleanData());
        assertThrows(IllegalStateException.class, a::floatData);
    }

    @Test
    void largeTensorRoundTripsAcrossChunks() throws IOException {
        int n = 3 * (1 << 18) + 5; // several 1 MiB chunks plus a ragged tail
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = i * 0.25f - 7;
        }
        Path f = dir.resolve("big.npy");
        Npy.writeFloat(f, d, n);
        assertArrayEquals(d, Npy.read(f).floatData());
        boolean[] b = new boolean[(1 << 20) + 3];
        for (int i = 0; i < b.length; i++) {
            b[i] = i % 3 == 0;
        }
        Npy.writeBoolean(f, b, 1, b.length);
        assertArrayEquals(b, Npy.read(f).booleanData());
    }

    @Test
    void readsVersions2And3BigEndianAndOneDimFortran() throws IOException {
        float[] v = {1.5f, -2f, 3.25f, 0f, 1e-3f, 7f};
        Path f2 = write("v2.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", le(v));
        assertArrayEquals(v, Npy.read(f2).floatData());
        Path f3 = write("v3.npy", 3, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (6,)}", le(v));
        assertArrayEquals(v, Npy.read(f3).floatData());
        assertArrayEquals(new int[] {6}, Npy.read(f3).shape());
        ByteBuffer be = ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN);
        for (float x : v) {
            be.putFloat(x);
        }
        Path fb = write("be.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 2), }", be.array());
        assertArrayEquals(v, Npy.read(fb).floatData());
        Path ff = write("f1.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 6, 1), }", le(v));
        assertArrayEquals(v, Npy.read(ff).floatData());
        Path fl = write("long.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", le(v));
        assertArrayEquals(new int[] {2, 3}, Npy.read(fl).shape());
    }

    @Test
    void writesVersion2WhenTheHeaderNeedsIt() throws IOException {
        int[] shape = new int[25000]; // a header longer than 65535 bytes
        java.util.Arrays.fill(shape, 1);
        Path f = dir.resolve("deep.npy");
        Npy.writeFloat(f, new float[] {42f}, shape);
        assertEquals(2, Files.readAllBytes(f)[6]);
        NpyArray a = Npy.read(f);
        assertEquals(25000, a.rank());
        assertEquals(42f, a.floatData()[0]);
    }

    // ---- malformed files: each refused with a message naming the file and the problem

    @Test
    void refusesBadMagicAndTinyFiles() throws IOException {
        assertRefused(raw("empty.npy", new byte[0]), "bad magic");
        assertRefused(raw("text.npy", "hello world, not numpy".getBytes(StandardCharsets.US_ASCII)), "bad magic");
        assertRefused(raw("short.npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1}), "truncated");
        assertRefused(raw("short2.npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 1, 0}), "truncated");
    }

    @Test
    void refusesUnknownVersion() throws IOException {
        assertRefused(write("v4.npy", 4, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", le(1f)),
                "version 4.0");
    }

    @Test
    void refusesTruncatedHeader() throws IOException {
        byte[] full = bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", le(1f));
        assertRefused(raw("cut.npy", java.util.Arrays.copyOf(full, 30)), "truncated .npy header");
        // A header length far beyond the file, and beyond any sane size: refused before allocating.
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(0x7FFFFFF0).putInt(0);
        assertRefused(raw("huge-header.npy", b.array()), "header declares");
    }

    @Test
    void refusesHeadersThatAreNotTheNumpyDict() throws IOException {
        assertRefused(write("list.npy", 1, "[1, 2, 3]", new byte[0]), "not a dict");
        assertRefused(write("nokey.npy", 1, "{'descr': '<f4', 'shape': (1,), }", le(1f)), "no 'fortran_order'");
        assertRefused(write("extra.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                le(1f)), "unexpected key 'x'");
        assertRefused(write("unterminated.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,", le(1f)),
                "malformed header");
        assertRefused(write("trailing.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", le(1f)),
                "after the header dict");
        assertRefused(write("shapeint.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1), }", le(1f)),
                "not a tuple");
        assertRefused(write("shapestr.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (a, b), }",
                le(1f)), "malformed header");
        assertRefused(write("shapelist.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': [1], }",
                le(1f)), "'shape' must be a tuple");
        assertRefused(write("fo.npy", 1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", le(1f)),
                "'fortran_order' must be True or False");
        assertRefused(write("struct.npy", 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                le(1f)), "structured dtype");
        assertRefused(write("dup.npy", 1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
                le(1f)), "duplicate key");
        byte[] badUtf8 = bytes(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", le(1f));
        badUtf8[14] = (byte) 0xC3; // a lone lead byte inside the header
        assertRefused(raw("badutf8.npy", badUtf8), "UTF-8");
    }

    @Test
    void refusesBadShapes() throws IOException {
        assertRefused(write("neg.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", le(1f)),
                "negative dimension");
        assertRefused(write("many.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }",
                le(1f)), "more than 2147483639 elements");
        assertRefused(write("dim.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }",
                le(1f)), "more than 2147483639 elements");
        assertRefused(write("digits.npy", 1,
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", le(1f)),
                "too large");
        // Declares ~2 GB of floats in a tiny file: refused on size, before allocating.
        assertRefused(write("lying.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (500000000,), }",
                le(1f)), "truncated data");
    }

    @Test
    void refusesDataOfTheWrongLength() throws IOException {
        assertRefused(write("shortdata.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                le(1f, 2f, 3f)), "needs 16 bytes, the file has 12");
        assertRefused(write("longdata.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                le(1f, 2f, 3f)), "4 unexpected bytes");
        assertRefused(write("partial.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                new byte[7]), "truncated data");
    }

    @Test
    void refusesOtherDtypesAndFortranOrder() throws IOException {
        NpyFormatException e = assertRefused(write("f8.npy", 1,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", new byte[48]), "dtype '<f8'");
        assertTrue(e.getMessage().contains("(2, 3)") && e.getMessage().contains("'<f4'"), e.getMessage());
        assertRefused(write("i4.npy", 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", le(1f)),
                "dtype '<i4'");
        assertRefused(write("fort.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                new byte[24]), "Fortran order");
        Path b = dir.resolve("mask.npy");
        Npy.writeBoolean(b, new boolean[] {true, false}, 2);
        NpyFormatException e2 = assertThrows(NpyFormatException.class, () -> Npy.readTensor(b));
        assertTrue(e2.getMessage().contains(b.toString()) && e2.getMessage().contains("bool"), e2.getMessage());
    }

    @Test
    void refusesMissingFilesAndDirectories() {
        Path missing = dir.resolve("nope.npy");
        IOException e = assertThrows(IOException.class, () -> Npy.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"),
                e.getMessage());
        IOException d = assertThrows(IOException.class, () -> Npy.read(dir));
        assertTrue(d.getMessage().contains("directory"), d.getMessage());
    }

    // ---- atomic writes

    @Test
    void failedWriteLeavesNoFile() throws IOException {
        Path target = dir.resolve("no-such-dir").resolve("out.npy");
        IOException e = assertThrows(IOException.class, () -> Npy.write(target, Tensor.zeros(2)));
        assertTrue(e.getMessage().contains("out.npy"), e.getMessage());
        assertFalse(Files.exists(target));
        assertThrows(IOException.class, () -> Npy.write(dir, Tensor.zeros(2)));
        assertEquals(List.of(), listing());
    }

    @Test
    void writeAllIsAllOrNothing() throws IOException {
        Map<Path, NpyArray> files = new LinkedHashMap<>();
        files.put(dir.resolve("a.npy"), NpyArray.of(Tensor.zeros(3)));
        files.put(dir.resolve("missing").resolve("b.npy"), NpyArray.of(Tensor.zeros(3)));
        assertThrows(IOException.class, () -> Npy.writeAll(files));
        assertEquals(List.of(), listing(), "neither the first target nor a temporary file remains");

        Map<Path, NpyArray> dup = new LinkedHashMap<>();
        dup.put(dir.resolve("a.npy"), NpyArray.of(Tensor.zeros(3)));
        dup.put(dir.resolve(".").resolve("a.npy"), NpyArray.of(Tensor.zeros(3)));
        assertThrows(IllegalArgumentException.class, () -> Npy.writeAll(dup));
        assertEquals(List.of(), listing());
    }

    @Test
    void overwriteReplacesAndLeavesNoTemporaryFiles() throws IOException {
        Path f = dir.resolve("o.npy");
        Npy.writeFloat(f, new float[] {1, 2, 3}, 3);
        Npy.writeFloat(f, new float[] {4, 5}, 1, 2);
        assertArrayEquals(new float[] {4, 5}, Npy.read(f).floatData());
        assertEquals(List.of("o.npy"), listing());
    }

    @Test
    void outputFollowsTheUmaskLikeAnyNewFile() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "needs a POSIX file system");
        Path plain = Files.createFile(dir.resolve("plain"));
        Path f = dir.resolve("p.npy");
        Npy.write(f, Tensor.zeros(1));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f));
    }

    // ---- helpers

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static NpyFormatException assertRefused(Path f, String fragment) {
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains(f.toString()), "message names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        return e;
    }

    // ---- hostile headers: deep nesting, terminal escapes, non-ASCII digits (issue 8)

    @Test
    void deeplyNestedHeadersAreRefusedNotAStackOverflow() throws IOException {
        String deep = "(".repeat(20000) + ")".repeat(20000);
        for (int major : new int[] {2, 3}) {
            assertRefused(write("deep" + major + ".npy", major, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                    + deep + ", }", le(1f)), "nested more than " + NpyHeader.MAX_DEPTH + " deep");
            assertRefused(write("deepl" + major + ".npy", major, "{'descr': " + "[".repeat(20000)
                    + ", 'fortran_order': False, 'shape': (1,), }", le(1f)), "nested more than");
        }
        // Nesting within the bound still reaches the ordinary message.
        assertRefused(write("structured.npy", 1, "{'descr': [('a', '<f4', (2, (3,)))], 'fortran_order': False, "
                + "'shape': (1,), }", le(1f)), "structured dtype");
    }

    @Test
    void messagesEscapeWhatAHeaderCouldDoToATerminal() throws IOException {
        String esc = "\u001b[2J\u001b]0;pwned\u0007\u0000";
        for (String header : new String[] {
            "{'descr': '" + esc + "', 'fortran_order': False, 'shape': (1,), }",
            "{'" + esc + "': '<f4', 'fortran_order': False, 'shape': (1,), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1," + esc + "), }",
            "{'descr': '<f4', 'fortran_order': " + esc + ", 'shape': (1,), }"}) {
            Path f = write("esc.npy", 3, header, le(1f));
            NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
            String m = e.getMessage();
            for (int i = 0; i < m.length(); i++) {
                char c = m.charAt(i);
                assertTrue(c >= 0x20 && c < 0x7f, "character " + (int) c + " at " + i + " of '" + m + "'");
            }
            assertTrue(m.contains("\\x1b"), "the escape is shown escaped: " + m);
        }
    }

    @Test
    void onlyAsciiDigitsMakeAShape() throws IOException {
        // U+0661 ARABIC-INDIC DIGIT ONE and U+FF12 FULLWIDTH DIGIT TWO: NumPy refuses them, so must we.
        assertRefused(write("arabic.npy", 3, "{'descr': '<f4', 'fortran_order': False, 'shape': (\u0661,2), }",
                le(1f, 2f)), "\\u0661");
        assertRefused(write("wide.npy", 3, "{'descr': '<f4', 'fortran_order': False, 'shape': (\uff12,), }",
                le(1f, 2f)), "unsupported value");
    }

    private static long headerSize(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        return 10 + ((b[8] & 0xFF) | (b[9] & 0xFF) << 8);
    }

    static byte[] le(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    /** A file with the given major version and header text (padded with spaces and a newline) and data. */
    static byte[] bytes(int major, String header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        byte[] h = (header + "   \n").getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        if (major == 1) {
            out.write(h.length & 0xFF);
            out.write(h.length >>> 8);
        } else {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(h.length).array());
        }
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private Path write(String name, int major, String header, byte[] data) throws IOException {
        return raw(name, bytes(major, header, data));
    }

    private Path raw(String name, byte[] content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        return f;
    }
}

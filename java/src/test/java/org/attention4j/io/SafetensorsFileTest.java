package org.attention4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.attention4j.Float16;
import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code .safetensors}: bytes laid out by hand as the format describes, a round trip, and every malformation. */
class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** A file from a header string and data bytes, exactly as the format lays them out. */
    private Path file(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return Files.write(dir.resolve(name), b.array());
    }

    private static byte[] le(float... x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static byte[] le16(short... x) {
        ByteBuffer b = ByteBuffer.allocate(2 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : x) {
            b.putShort(v);
        }
        return b.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    @Test
    void readsF32F16AndBf16FromAHandMadeFile() throws IOException {
        byte[] data = concat(le(1f, -2f, 0.5f, 3f, 4f, 5f), le16(Float16.toHalf(1.5f), Float16.toHalf(-0.25f)),
                le16(Float16.toBfloat16(2f), Float16.toBfloat16(-8f), Float16.toBfloat16(0.125f)));
        Path f = file("m.safetensors", "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[24,28]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[28,34]}}", data);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(List.of("w", "h", "b"), List.copyOf(s.names()));
            assertEquals(Map.of("format", "pt"), s.metadata());
            Tensor w = s.tensor("w", 2, 3);
            assertArrayEquals(new int[] {2, 3}, w.shape());
            assertArrayEquals(new float[] {1f, -2f, 0.5f, 3f, 4f, 5f}, w.data());
            assertArrayEquals(new float[] {1.5f, -0.25f}, s.tensor("h").data());
            assertArrayEquals(new float[] {2f, -8f, 0.125f}, s.tensor("b").data());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> s.tensor("w", 3, 2));
            assertTrue(shape.getMessage().contains("has shape [2, 3], expected [3, 2]"), shape.getMessage());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> s.tensor("x"));
            assertTrue(missing.getMessage().contains("has no tensor \"x\""), missing.getMessage());
        }
    }

    @Test
    void writesWhatItReads() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("encoder.layer.0.attention.query.weight", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        t.put("encoder.layer.0.attention.query.bias", Tensor.of(new float[] {7, 8}, 2));
        t.put("empty", Tensor.zeros(0, 4));
        Path f = dir.resolve("w.safetensors");
        SafetensorsFile.write(f, t, Map.of("note", "quote \" and backslash \\"));
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(t.keySet(), s.names());
            for (Map.Entry<String, Tensor> e : t.entrySet()) {
                assertArrayEquals(e.getValue().shape(), s.tensor(e.getKey()).shape());
                assertArrayEquals(e.getValue().data(), s.tensor(e.getKey()).data());
            }
            assertEquals("quote \" and backslash \\", s.metadata().get("note"));
            IllegalArgumentException near = assertThrows(IllegalArgumentException.class,
                    () -> s.tensor("encoder.layer.0.attention.key.weight"));
            assertTrue(near.getMessage().contains("encoder.layer.0.attention.query.weight"), near.getMessage());
        }
        assertEquals(0, Files.size(f) % 8 == 0 ? 0 : 1, "header padded so the data starts aligned");
    }

    private void refused(String header, byte[] data, String fragment) throws IOException {
        Path f = file("bad.safetensors", header, data);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(fragment),
                "'" + e.getMessage() + "' lacks '" + fragment + "'");
        assertTrue(e.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7f), "printable: " + e.getMessage());
    }

    @Test
    void malformedHeadersAndLayoutsAreOneClearError() throws IOException {
        byte[] d8 = le(1f, 2f);
        String ok = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        refused("[1]", d8, "not a JSON object");
        refused("{" + ok + ",}", d8, "malformed JSON");
        refused("{" + ok + "," + ok + "}", new byte[16], "duplicate key \"a\"");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", d8, "exactly dtype");
        refused("{\"a\":{\"dtype\":\"F9\",\"shape\":[2],\"data_offsets\":[0,8]}}", d8, "has dtype F9");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", d8, "not a non-negative integer");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", d8, "not a non-negative integer");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d8, "needs 12 bytes");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", d8, "not inside the 8 data bytes");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}",
                d8, "overflows");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d8, "overlap");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d8, "belong to no tensor");
        refused("{" + ok + "}", new byte[12], "at the end belong to no tensor");
        refused("{\"__metadata__\":{\"k\":1}," + ok + "}", d8, "is not a string");
        refused("{\"\u001b[31m\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", d8, "\\u001b");
        refused("[".repeat(100000), d8, "nested more than");
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f));
        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).putLong(0);
        Path g = Files.write(dir.resolve("huge.safetensors"), huge.array());
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(g));
        assertTrue(e.getMessage().contains("outside [2, "), e.getMessage());
        ByteBuffer past = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100).putLong(0);
        Path p = Files.write(dir.resolve("past.safetensors"), past.array());
        e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(p));
        assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
        byte[] bad = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        ByteBuffer nu = ByteBuffer.allocate(8 + bad.length).order(ByteOrder.LITTLE_ENDIAN).putLong(bad.length).put(bad);
        Path u = Files.write(dir.resolve("utf.safetensors"), nu.array());
        e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(u));
        assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
    }

    @Test
    void closeIsIdempotentAndAClosedFileRefusesReads() throws IOException {
        Path f = dir.resolve("c.safetensors");
        SafetensorsFile.write(f, Map.of("x", Tensor.of(new float[] {1, 2}, 2)), null);
        SafetensorsFile s = SafetensorsFile.open(f);
        Tensor x = s.tensor("x");
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.tensor("x"));
        assertArrayEquals(new float[] {1, 2}, x.data(), "tensors read before close stay valid");
    }

    @Test
    void otherDtypesAreListedButNotRead() throws IOException {
        Path f = file("i.safetensors", "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                new byte[8]);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals("I64", s.entry("ids").dtype());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.tensor("ids"));
            assertTrue(e.getMessage().contains("reads F32, F16 and BF16"), e.getMessage());
        }
    }
}

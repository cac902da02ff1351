package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import org.junit.jupiter.api.Test;

/** Host inputs besides {@code float[]}: FloatBuffers (wrapped when they can be), fp16 and bf16 bits. */
class TensorInputsTest {
    @Test
    void anArrayBackedBufferIsWrappedAndADirectOneCopied() {
        float[] a = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.of(FloatBuffer.wrap(a), 2, 3);
        assertSame(a, t.data(), "no copy of an array-backed buffer");
        FloatBuffer direct = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.put(a).flip();
        Tensor d = Tensor.of(direct, 3, 2);
        assertArrayEquals(a, d.data());
        assertEquals(0, direct.position(), "the buffer's position is left alone");
        FloatBuffer slice = FloatBuffer.wrap(a, 2, 4).slice();
        Tensor s = Tensor.of(slice, 4);
        assertNotSame(a, s.data());
        assertArrayEquals(new float[] {3, 4, 5, 6}, s.data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.of(FloatBuffer.wrap(a), 2, 2));
        assertTrue(e.getMessage().contains("6 elements remaining") && e.getMessage().contains("[2, 2]"),
                e.getMessage());
    }

    @Test
    void halfAndBfloat16BitsWidenExactly() {
        short[] h = {0x3C00, (short) 0xC000, 0x7C00, 0x0001, 0x7BFF, (short) 0x8000};
        assertArrayEquals(new float[] {1f, -2f, Float.POSITIVE_INFINITY, 0x1p-24f, 65504f, -0f},
                Tensor.fromFloat16(h, 2, 3).data());
        assertTrue(Float.isNaN(Tensor.fromFloat16(new short[] {0x7E00}, 1).data()[0]));
        short[] b = {0x3F80, (short) 0xC040, 0x7F80};
        assertArrayEquals(new float[] {1f, -3f, Float.POSITIVE_INFINITY}, Tensor.fromBfloat16(b, 3).data());
        assertThrows(IllegalArgumentException.class, () -> Tensor.fromFloat16(h, 7));
        // Round trip through the rounding direction of Float16.
        for (float x : new float[] {0.1f, 1e-5f, 3.14159f, -1234.5f, 6e-8f}) {
            assertEquals(Float16.halfToFloat(Float16.toHalf(x)), Tensor.fromFloat16(new short[] {Float16.toHalf(x)},
                    1).data()[0]);
        }
    }
}

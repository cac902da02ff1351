package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    /** The exact value of half bits, from the IEEE definition, independent of the code under test. */
    private static double halfValue(int bits) {
        int sign = (bits >> 15) & 1;
        int exp = (bits >> 10) & 0x1f;
        int mant = bits & 0x3ff;
        double v = exp == 0 ? Math.scalb((double) mant, -24) : Math.scalb(1024.0 + mant, exp - 25);
        return sign == 1 ? -v : v;
    }

    @Test
    void everyFiniteHalfDecodesExactlyAndRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            int exp = (h >> 10) & 0x1f;
            float f = HalfFloats.halfToFloat((short) h);
            if (exp == 0x1f) {
                assertTrue((h & 0x3ff) == 0 ? Float.isInfinite(f) : Float.isNaN(f), "bits " + h);
                continue;
            }
            assertEquals(halfValue(h), f, 0.0, "bits " + h);
            assertEquals((short) h, HalfFloats.toHalf(f), "round trip of bits " + h);
        }
    }

    @Test
    void halfRoundsToNearestEven() {
        for (int h = 0; h < 0x7bff; h++) {
            double lo = halfValue(h), hi = halfValue(h + 1);
            float mid = (float) ((lo + hi) / 2);          // exact in float: halves have 11-bit mantissas
            int even = (h & 1) == 0 ? h : h + 1;
            assertEquals((short) even, HalfFloats.toHalf(mid), "midpoint above bits " + h);
            assertEquals((short) h, HalfFloats.toHalf(Math.nextDown(mid)));
            assertEquals((short) (h + 1), HalfFloats.toHalf(Math.nextUp(mid)));
            assertEquals((short) (h | 0x8000), HalfFloats.toHalf(-Math.nextDown(mid)));
        }
    }

    @Test
    void halfEdges() {
        assertEquals((short) 0x7c00, HalfFloats.toHalf(65520f), "rounds up to infinity");
        assertEquals((short) 0x7bff, HalfFloats.toHalf(65519f));
        assertEquals((short) 0xfc00, HalfFloats.toHalf(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(HalfFloats.halfToFloat(HalfFloats.toHalf(Float.NaN))));
        assertEquals((short) 0, HalfFloats.toHalf(0x1p-25f), "exact tie to even zero");
        assertEquals((short) 1, HalfFloats.toHalf(Math.nextUp(0x1p-25f)));
        assertEquals((short) 0x8000, HalfFloats.toHalf(-0f));
        assertEquals((short) 0, HalfFloats.toHalf(Float.MIN_VALUE));
    }

    @Test
    void bfloat16RoundsToNearestEvenAndKeepsNaN() {
        for (int hi = 0; hi < 0x7f7f; hi += 7) {
            float lo = Float.intBitsToFloat(hi << 16);
            float up = Float.intBitsToFloat((hi + 1) << 16);
            float mid = Float.intBitsToFloat((hi << 16) | 0x8000);
            assertEquals(lo, HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(lo)), 0f);
            int even = (hi & 1) == 0 ? hi : hi + 1;
            assertEquals((short) even, HalfFloats.toBfloat16(mid));
            assertEquals(up, HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(Math.nextUp(mid))), 0f);
        }
        assertTrue(Float.isNaN(HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(Float.NaN))));
        assertTrue(Float.isNaN(HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(Float.intBitsToFloat(0x7f800001)))));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(Float.MAX_VALUE)));
    }

    @Test
    void encodeDecodeBuffers() {
        float[] x = {1f, -2.5f, 3.14159f, 1e-3f};
        for (DType t : DType.values()) {
            ByteBuffer bytes = ByteBuffer.allocate(x.length * t.bytes()).order(ByteOrder.nativeOrder());
            HalfFloats.encode(FloatBuffer.wrap(x), bytes, t, x.length);
            assertEquals(bytes.capacity(), bytes.position());
            bytes.flip();
            float[] y = new float[x.length];
            HalfFloats.decode(bytes, FloatBuffer.wrap(y), t, x.length);
            for (int i = 0; i < x.length; i++) {
                double tol = t == DType.FP32 ? 0 : t == DType.FP16 ? 0x1p-11 : 0x1p-8;
                assertEquals(x[i], y[i], tol * Math.abs(x[i]), t + " element " + i);
            }
        }
    }
}

package org.attention4j.cuda;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

import org.attention4j.Float16;

/**
 * Buffer conversions between float32 and IEEE half or bfloat16 for uploads and downloads; the scalar rules live
 * in {@link Float16} (shared with the host API), so an upload gives the same bits whether it is converted here
 * or on the device.
 */
final class HalfFloats {
    private HalfFloats() {
    }

    /** See {@link Float16#toHalf}. */
    static short toHalf(float f) {
        return Float16.toHalf(f);
    }

    /** See {@link Float16#halfToFloat}. */
    static float halfToFloat(short h) {
        return Float16.halfToFloat(h);
    }

    /** See {@link Float16#toBfloat16}. */
    static short toBfloat16(float f) {
        return Float16.toBfloat16(f);
    }

    /** See {@link Float16#bfloat16ToFloat}. */
    static float bfloat16ToFloat(short b) {
        return Float16.bfloat16ToFloat(b);
    }

    /** Encodes {@code n} floats from {@code src} into {@code dst} (native order) as {@code type}. */
    static void encode(FloatBuffer src, ByteBuffer dst, DType type, long n) {
        for (long i = 0; i < n; i++) {
            float f = src.get();
            switch (type) {
                case FP32:
                    dst.putFloat(f);
                    break;
                case FP16:
                    dst.putShort(toHalf(f));
                    break;
                case BF16:
                    dst.putShort(toBfloat16(f));
                    break;
                default:
                    throw new AssertionError(type);
            }
        }
    }

    /** Decodes {@code n} elements of {@code type} from {@code src} (native order) into floats. */
    static void decode(ByteBuffer src, FloatBuffer dst, DType type, long n) {
        for (long i = 0; i < n; i++) {
            switch (type) {
                case FP32:
                    dst.put(src.getFloat());
                    break;
                case FP16:
                    dst.put(halfToFloat(src.getShort()));
                    break;
                case BF16:
                    dst.put(bfloat16ToFloat(src.getShort()));
                    break;
                default:
                    throw new AssertionError(type);
            }
        }
    }
}

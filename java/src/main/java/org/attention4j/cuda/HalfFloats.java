package org.attention4j.cuda;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * float32 to and from IEEE half and bfloat16 on the host, rounding to nearest even as the GPU's conversion
 * instructions do, so that an upload gives the same bits whether it is converted here or on the device.
 * JDK 17 has no {@code Float.floatToFloat16}, hence these.
 */
final class HalfFloats {
    private HalfFloats() {
    }

    /** float32 to IEEE half bits, round to nearest even; overflow gives infinity, NaN stays NaN. */
    static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            // Keep a NaN quiet and non-zero in its 10 mantissa bits.
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            // Subnormal half: the value is m * 2^-24 with m = (1.mant) * 2^(e-1+10).
            int full = mant | 0x800000;
            int shift = 14 - e;
            int m = full >>> shift;
            int rem = full & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (m & 1) != 0)) {
                m++;
            }
            return (short) (sign | m);
        }
        int h = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        // A carry out of the mantissa correctly bumps the exponent, up to infinity.
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
            h++;
        }
        return (short) (sign | h);
    }

    /** IEEE half bits to float32 (exact). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** float32 to bfloat16 bits, round to nearest even; NaN stays NaN. */
    static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** bfloat16 bits to float32 (exact). */
    static float bfloat16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
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

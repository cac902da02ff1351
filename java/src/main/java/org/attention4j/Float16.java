package org.attention4j;

/**
 * float32 to and from IEEE half (fp16) and bfloat16 bits, rounding to nearest even as GPUs' conversion
 * instructions do, so that a value converted on the host has the bits the device would give it. JDK 17 has no
 * {@code Float.floatToFloat16}, hence these. Used by {@link Tensor#fromFloat16} and {@link Tensor#fromBfloat16}
 * and by the CUDA backend's uploads.
 */
public final class Float16 {
    private Float16() {
    }

    /** float32 to IEEE half bits, round to nearest even; overflow gives infinity, NaN stays NaN. */
    public static short toHalf(float f) {
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
    public static float halfToFloat(short h) {
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
    public static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** bfloat16 bits to float32 (exact). */
    public static float bfloat16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }
}

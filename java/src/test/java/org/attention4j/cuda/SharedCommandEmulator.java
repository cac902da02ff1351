package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.Map;
import java.util.function.ToIntFunction;

import org.attention4j.testing.NaiveAttention;

/**
 * The CPU emulation of the commands both device paths share ({@link SharedCommand}), as cuda/README.md specifies
 * them, over buffers held as floats (values already rounded to their storage type) and int arrays: the one twin that
 * both paths' program tests run.
 */
final class SharedCommandEmulator {
    private SharedCommandEmulator() {
    }

    /**
     * Runs {@code c} on {@code f} (float buffers) and {@code ints} (uploaded int buffers).
     *
     * @param storage      the element type of Q and K (what a RoPE pass rounds to)
     * @param elementBytes bytes per element of each buffer, to check that a copy moves all of its source
     */
    static void run(SharedCommand c, Map<Buf, float[]> f, Map<Buf, int[]> ints, DType storage,
            ToIntFunction<Buf> elementBytes) {
        if (c instanceof SharedCommand.Copy) {
            SharedCommand.Copy x = (SharedCommand.Copy) c;
            float[] src = f.get(x.src());
            assertEquals((long) src.length * elementBytes.applyAsInt(x.src()), x.bytes(), "copy of all of " + x.src());
            System.arraycopy(src, 0, f.get(x.dst()), 0, src.length);
            return;
        }
        SharedCommand.Rope r = (SharedCommand.Rope) c;
        assertEquals(storage, r.type());
        int[] positions = r.positions() == null ? null : ints.get(r.positions());
        if (r.positions() != null) {
            assertNotNull(positions, "positions " + r.positions() + " not uploaded");
        }
        float[] freq = f.get(r.freq());
        assertNotNull(freq, "frequencies " + r.freq() + " not uploaded");
        rope(f.get(r.x()), r, freq, positions, storage);
    }

    /** {@code pos = posOffset + (positions ? positions[b * stride + n] : n)}; cos and sin in fp32, as the kernel. */
    private static void rope(float[] x, SharedCommand.Rope r, float[] freq, int[] positions, DType t) {
        int half = r.rotaryDim() / 2;
        assertEquals(2 * half, freq.length, "frequency table");
        Precision p = t == DType.FP16 ? Precision.FP16 : t == DType.BF16 ? Precision.BF16 : Precision.FP32;
        for (int b = 0; b < r.batch(); b++) {
            for (int h = 0; h < r.heads(); h++) {
                for (int n = 0; n < r.n(); n++) {
                    int base = ((b * r.heads() + h) * r.n() + n) * r.dim();
                    long pos = r.posOffset() + (positions == null ? n : positions[b * r.positionsBatchStride() + n]);
                    for (int i = 0; i < half; i++) {
                        double angle = pos * RopeFrequencies.unpack(freq, i);
                        float cos = (float) Math.cos(angle) * r.factor(), sin = (float) Math.sin(angle) * r.factor();
                        int ia = r.style() == 0 ? i : 2 * i;
                        int ib = r.style() == 0 ? i + half : 2 * i + 1;
                        float xa = x[base + ia], xb = x[base + ib];
                        x[base + ia] = NaiveAttention.round(xa * cos - xb * sin, p);
                        x[base + ib] = NaiveAttention.round(xb * cos + xa * sin, p);
                    }
                }
            }
        }
    }
}

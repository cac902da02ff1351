package org.attention4j.cuda;

import org.attention4j.testing.Visibility;

/**
 * The fused softmax kernel's documented semantics (cuda/README.md, softmax.cu) on the CPU, including how it
 * decomposes row {@code r} into {@code (b, h, i)} from its own B, Hq, Nq and how every per-batch or per-head
 * argument is addressed; the host passes offset pointers for a chunk, emulated here by the offsets.
 */
final class SoftmaxKernelEmulator {
    private SoftmaxKernelEmulator() {
    }

    /** Arguments as the kernel sees them; {@code *Off} are the element offsets of the host's offset pointers. */
    record Args(int batch, int heads, int nq, int nk, float scale, int causal, int windowLeft, int windowRight,
                int[] kvLengths, int kvOff, int[] diagonals, int diagOff, boolean[] boolMask, float[] floatMask,
                long maskOff, long[] strides, float[] slopes, int slopesOff, float[] lse, long lseOff) {
    }

    static void run(float[] s, float[] p, Args a) {
        long rows = (long) a.batch() * a.heads() * a.nq();
        double[] v = new double[a.nk()];
        boolean[] kept = new boolean[a.nk()];
        for (long r = 0; r < rows; r++) {
            int i = (int) (r % a.nq());
            int h = (int) (r / a.nq() % a.heads());
            int b = (int) (r / a.nq() / a.heads());
            int kvLen = a.kvLengths() == null ? a.nk() : a.kvLengths()[a.kvOff() + b];
            long off = a.diagonals() == null ? a.nk() - a.nq() : a.diagonals()[a.diagOff() + b];
            double m = Double.NEGATIVE_INFINITY;
            boolean any = false;
            for (int j = 0; j < a.nk(); j++) {
                boolean vis = Visibility.visible(a.causal(), a.windowLeft(), a.windowRight(), kvLen, i, j, off);
                long mi = a.strides() == null ? 0 : a.maskOff() + b * a.strides()[0] + h * a.strides()[1]
                        + i * a.strides()[2] + j * a.strides()[3];
                if (a.boolMask() != null) {
                    vis &= a.boolMask()[(int) mi];
                }
                double x = (double) a.scale() * s[(int) (r * a.nk() + j)];
                if (a.floatMask() != null) {
                    x += a.floatMask()[(int) mi];
                }
                if (a.slopes() != null) {
                    x -= a.slopes()[a.slopesOff() + h] * (double) Visibility.distance(i, j, off);
                }
                kept[j] = vis && x != Double.NEGATIVE_INFINITY;
                v[j] = x;
                if (kept[j]) {
                    any = true;
                    m = Math.max(m, x);
                }
            }
            double l = 0;
            for (int j = 0; j < a.nk(); j++) {
                l += kept[j] ? Math.exp(v[j] - m) : 0;
            }
            for (int j = 0; j < a.nk(); j++) {
                p[(int) (r * a.nk() + j)] = kept[j] ? (float) (Math.exp(v[j] - m) / l) : 0f;
            }
            if (a.lse() != null) {
                a.lse()[(int) (a.lseOff() + r)] = any ? (float) (m + Math.log(l)) : Float.NEGATIVE_INFINITY;
            }
        }
    }
}

package org.attention4j.nn;

/**
 * The layout changes between a projection's output {@code [B, N, H*hd]} (PyTorch's {@code batch_first}) and the
 * engine's {@code [B, H, N, hd]}. They are copies rather than strided views because the engine takes dense
 * tensors; each costs {@code O(B N H hd)}, small next to the projections around it.
 */
final class Heads {
    private Heads() {
    }

    /** {@code [B, N, H*hd] -> [B, H, N, hd]}. */
    static float[] split(float[] src, int batch, int n, int heads, int hd) {
        float[] dst = new float[src.length];
        int width = heads * hd;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < n; i++) {
                int s = (b * n + i) * width;
                for (int h = 0; h < heads; h++) {
                    System.arraycopy(src, s + h * hd, dst, ((b * heads + h) * n + i) * hd, hd);
                }
            }
        }
        return dst;
    }

    /** {@code [B, H, N, hd] -> [B, N, H*hd]}. */
    static float[] merge(float[] src, int batch, int n, int heads, int hd) {
        float[] dst = new float[src.length];
        int width = heads * hd;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    System.arraycopy(src, ((b * heads + h) * n + i) * hd, dst, (b * n + i) * width + h * hd, hd);
                }
            }
        }
        return dst;
    }
}

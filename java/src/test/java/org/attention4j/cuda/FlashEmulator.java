package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

import org.attention4j.testing.NaiveAttention;
import org.attention4j.testing.Visibility;

/**
 * Runs a {@link FlashProgram} on the CPU: every buffer an array sized from the program's own scratch sizes (or
 * given by the test), every kernel emulated from its contract in cuda/README.md ("Fused attention (issue 4)"),
 * in float64, with values stored in the buffer's element type (FP16/BF16 rounding where the GPU stores in that
 * type). Out-of-bounds reads and writes fail through Java's bounds checks, so a wrong size or offset in a program
 * fails here without a GPU. The numerics of the real kernels are the GPU tests' concern; this checks the wiring.
 */
final class FlashEmulator {
    final Map<Buf, float[]> f = new EnumMap<>(Buf.class);
    final Map<Buf, int[]> ints = new EnumMap<>(Buf.class);
    private final DType st;
    private final DType outType;

    /**
     * @param prog   the program
     * @param st     the storage type of Q, K, V (and the caches)
     * @param out    OUT's element type
     * @param given  the caller's buffers (copied)
     */
    FlashEmulator(FlashProgram prog, DType st, DType out, Map<Buf, float[]> given) {
        this.st = st;
        this.outType = out;
        given.forEach((b, a) -> f.put(b, a.clone()));
        for (Map.Entry<Buf, Long> e : prog.scratchBytes().entrySet()) {
            Buf b = e.getKey();
            if (prog.ints().containsKey(b)) {
                int[] a = prog.ints().get(b);
                assertEquals(4L * Math.max(1, a.length), e.getValue(), "bytes of " + b);
                ints.put(b, a.clone());
            } else if (prog.floats().containsKey(b)) {
                float[] a = prog.floats().get(b);
                assertEquals(4L * Math.max(1, a.length), e.getValue(), "bytes of " + b);
                f.put(b, a.clone());
            } else {
                int size = bytes(b);
                assertEquals(0, e.getValue() % size, b + " bytes not a multiple of its element size");
                float[] a = new float[(int) (e.getValue() / size)];
                Arrays.fill(a, Float.NaN);       // scratch starts as garbage
                f.put(b, a);
            }
        }
    }

    /** Bytes per element of a buffer in this program. */
    int bytes(Buf b) {
        switch (b) {
            case Q: case K: case V: case QR: case KR: case O_T: case K_CACHE: case V_CACHE: case K_ROT: case K_NEW:
            case V_NEW:
                return st.bytes();
            case OUT:
                return outType.bytes();
            default:
                return 4;
        }
    }

    void run(FlashProgram prog) {
        for (FlashProgram.Command c : prog.commands()) {
            if (c instanceof SharedCommand) {
                SharedCommandEmulator.run((SharedCommand) c, f, ints, st, this::bytes);
            } else if (c instanceof FlashProgram.Forward) {
                forward((FlashProgram.Forward) c);
            } else if (c instanceof FlashProgram.Weights) {
                weights((FlashProgram.Weights) c);
            } else if (c instanceof FlashProgram.DecodeSplit) {
                decodeSplit((FlashProgram.DecodeSplit) c);
            } else if (c instanceof FlashProgram.Combine) {
                combine((FlashProgram.Combine) c);
            } else if (c instanceof FlashProgram.Append) {
                append((FlashProgram.Append) c);
            } else if (c instanceof FlashProgram.ToF32) {
                FlashProgram.ToF32 t = (FlashProgram.ToF32) c;
                assertEquals(st, t.from());
                System.arraycopy(f.get(t.src()), 0, f.get(t.dst()), 0, (int) t.count());
            } else {
                throw new AssertionError(c);
            }
        }
    }

    private float store(double x, DType t) {
        return NaiveAttention.round((float) x, t == DType.FP16 ? Precision.FP16 : t == DType.BF16
                ? Precision.BF16 : Precision.FP32);
    }

    /**
     * Whether key j is visible to query i (sequence-local indices), and its bias; the diagonal at
     * {@code diagonals[b]}, or {@code Nk - Nq} of the sequence without them.
     */
    private static double bias(FlashProgram.FlashArgs a, float[] slopes, int h, int i, int j, int nqs, int nks,
                               int kvLen, int[] diagonals, int b) {
        long off = diagonals == null ? nks - nqs : diagonals[b];
        if (!Visibility.visible(a.causal(), a.windowLeft(), a.windowRight(), kvLen, i, j, off)) {
            return Double.NaN;
        }
        return slopes == null ? 0 : -slopes[h] * (double) Visibility.distance(i, j, off);
    }

    private void forward(FlashProgram.Forward c) {
        FlashProgram.FlashArgs a = c.args();
        assertEquals(st, c.type());
        boolean varlen = a.cuSeqlensQ() != null;
        int[] cuQ = varlen ? ints.get(a.cuSeqlensQ()) : null;
        int[] cuK = varlen ? ints.get(a.cuSeqlensK()) : null;
        int[] kvLen = a.kvLengths() == null ? null : ints.get(a.kvLengths());
        int[] diagonals = a.diagonals() == null ? null : ints.get(a.diagonals());
        float[] slopes = a.alibiSlopes() == null ? null : f.get(a.alibiSlopes());
        float[] q = f.get(c.q()), k = f.get(c.k()), v = f.get(c.v()), o = f.get(c.out());
        float[] lse = c.lse() == null ? null : f.get(c.lse());
        DType ot = c.out() == Buf.OUT ? outType : st;
        int d = a.dim(), g = a.heads() / a.kvHeads();
        for (int b = 0; b < a.batch(); b++) {
            int nqs = varlen ? cuQ[b + 1] - cuQ[b] : a.nq();
            int nks = varlen ? cuK[b + 1] - cuK[b] : a.nk();
            assertTrue(nqs <= a.nq() && nks <= a.nk(), "Nq/Nk must be the maxima in varlen mode");
            int len = kvLen == null ? nks : kvLen[b];
            for (int h = 0; h < a.heads(); h++) {
                int hk = h / g;
                for (int i = 0; i < nqs; i++) {
                    int qi = varlen ? ((cuQ[b] + i) * a.heads() + h) * d : ((b * a.heads() + h) * a.nq() + i) * d;
                    double[] s = new double[nks];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < nks; j++) {
                        double bias = bias(a, slopes, h, i, j, nqs, nks, len, diagonals, b);
                        if (Double.isNaN(bias)) {
                            s[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        int kj = kIndex(varlen, cuK, a, b, hk, j);
                        double dot = 0;
                        for (int x = 0; x < d; x++) {
                            dot += (double) q[qi + x] * k[kj + x];
                        }
                        s[j] = a.scale() * dot + bias;
                        max = Math.max(max, s[j]);
                    }
                    int row = varlen ? (cuQ[b] + i) * a.heads() + h : (b * a.heads() + h) * a.nq() + i;
                    double sum = 0;
                    double[] acc = new double[d];
                    if (max != Double.NEGATIVE_INFINITY) {
                        for (int j = 0; j < nks; j++) {
                            if (s[j] == Double.NEGATIVE_INFINITY) {
                                continue;
                            }
                            double p = Math.exp(s[j] - max);
                            sum += p;
                            int vj = kIndex(varlen, cuK, a, b, hk, j);
                            for (int x = 0; x < d; x++) {
                                acc[x] += p * v[vj + x];
                            }
                        }
                    }
                    for (int x = 0; x < d; x++) {
                        o[row * d + x] = store(sum == 0 ? 0 : acc[x] / sum, ot);
                    }
                    if (lse != null) {
                        lse[row] = sum == 0 ? Float.NEGATIVE_INFINITY : (float) (max + Math.log(sum));
                    }
                }
            }
        }
    }

    private static int kIndex(boolean varlen, int[] cuK, FlashProgram.FlashArgs a, int b, int hk, int j) {
        return varlen ? ((cuK[b] + j) * a.kvHeads() + hk) * a.dim() : ((b * a.kvHeads() + hk) * a.nk() + j) * a.dim();
    }

    private void weights(FlashProgram.Weights c) {
        FlashProgram.FlashArgs a = c.args();
        assertTrue(a.cuSeqlensQ() == null, "weights are dense only");
        int[] kvLen = a.kvLengths() == null ? null : ints.get(a.kvLengths());
        int[] diagonals = a.diagonals() == null ? null : ints.get(a.diagonals());
        float[] slopes = a.alibiSlopes() == null ? null : f.get(a.alibiSlopes());
        float[] q = f.get(c.q()), k = f.get(c.k()), lse = f.get(c.lse()), p = f.get(c.p());
        int d = a.dim(), g = a.heads() / a.kvHeads();
        for (int b = 0; b < a.batch(); b++) {
            for (int h = 0; h < a.heads(); h++) {
                for (int i = 0; i < a.nq(); i++) {
                    int row = (b * a.heads() + h) * a.nq() + i;
                    for (int j = 0; j < a.nk(); j++) {
                        double bias = bias(a, slopes, h, i, j, a.nq(), a.nk(), kvLen == null ? a.nk() : kvLen[b],
                                diagonals, b);
                        double w = 0;
                        if (!Double.isNaN(bias) && lse[row] != Float.NEGATIVE_INFINITY) {
                            int qi = row * d, kj = ((b * a.kvHeads() + h / g) * a.nk() + j) * d;
                            double dot = 0;
                            for (int x = 0; x < d; x++) {
                                dot += (double) q[qi + x] * k[kj + x];
                            }
                            w = Math.exp(a.scale() * dot + bias - lse[row]);
                        }
                        p[(int) ((long) row * a.nk() + j)] = (float) w;
                    }
                }
            }
        }
    }

    /** Each split takes a contiguous share of [0, L_b); the ABI leaves the exact cut to the kernel. */
    private void decodeSplit(FlashProgram.DecodeSplit c) {
        FlashProgram.DecodeArgs a = c.args();
        assertEquals(st, c.type());
        int[] lens = ints.get(a.cacheSeqlens());
        float[] slopes = a.alibiSlopes() == null ? null : f.get(a.alibiSlopes());
        float[] q = f.get(c.q()), kc = f.get(c.kCache()), vc = f.get(c.vCache());
        float[] po = f.get(c.partO()), pl = f.get(c.partLse());
        int d = a.dim(), g = a.heads() / a.kvHeads(), n = a.numSplits();
        long rows = (long) a.batch() * a.heads() * a.nq();
        FlashProgram.FlashArgs fa = new FlashProgram.FlashArgs(a.batch(), a.heads(), a.kvHeads(), a.nq(), 0, d,
                a.scale(), a.causal(), a.windowLeft(), a.windowRight(), null, null, null, null, null);
        for (int b = 0; b < a.batch(); b++) {
            int len = lens[b];
            assertTrue(len <= a.capacity());
            for (int h = 0; h < a.heads(); h++) {
                int hk = h / g;
                for (int i = 0; i < a.nq(); i++) {
                    int row = (b * a.heads() + h) * a.nq() + i;
                    for (int s = 0; s < n; s++) {
                        int from = (int) ((long) len * s / n), to = (int) ((long) len * (s + 1) / n);
                        double max = Double.NEGATIVE_INFINITY;
                        double[] sc = new double[to - from];
                        for (int j = from; j < to; j++) {
                            double bias = bias(fa, slopes, h, i, j, a.nq(), len, len, null, b);
                            if (Double.isNaN(bias)) {
                                sc[j - from] = Double.NEGATIVE_INFINITY;
                                continue;
                            }
                            int kj = ((b * a.kvHeads() + hk) * a.capacity() + j) * d;
                            double dot = 0;
                            for (int x = 0; x < d; x++) {
                                dot += (double) q[row * d + x] * kc[kj + x];
                            }
                            sc[j - from] = a.scale() * dot + bias;
                            max = Math.max(max, sc[j - from]);
                        }
                        double sum = 0;
                        double[] acc = new double[d];
                        for (int j = from; j < to && max != Double.NEGATIVE_INFINITY; j++) {
                            if (sc[j - from] == Double.NEGATIVE_INFINITY) {
                                continue;
                            }
                            double p = Math.exp(sc[j - from] - max);
                            sum += p;
                            int vj = ((b * a.kvHeads() + hk) * a.capacity() + j) * d;
                            for (int x = 0; x < d; x++) {
                                acc[x] += p * vc[vj + x];
                            }
                        }
                        long base = (s * rows + row) * d;
                        for (int x = 0; x < d; x++) {
                            po[(int) (base + x)] = sum == 0 ? 0 : (float) (acc[x] / sum);
                        }
                        pl[(int) (s * rows + row)] = sum == 0 ? Float.NEGATIVE_INFINITY : (float) (max + Math.log(sum));
                    }
                }
            }
        }
    }

    /** Row n of (b, h) goes to row {@code cacheLens[b] + n} for {@code n < newLens[b]}, inside the capacity. */
    private void append(FlashProgram.Append c) {
        assertEquals(st, c.type());
        int[] at = ints.get(c.cacheLens());
        int[] news = ints.get(c.newLens());
        float[] kn = f.get(c.kNew()), vn = f.get(c.vNew()), kc = f.get(c.kCache()), vc = f.get(c.vCache());
        int d = c.dim();
        for (int b = 0; b < c.batch(); b++) {
            for (int h = 0; h < c.kvHeads(); h++) {
                for (int n = 0; n < news[b]; n++) {
                    int row = at[b] + n;
                    if (row < 0 || row >= c.capacity()) {
                        continue;
                    }
                    int src = ((b * c.kvHeads() + h) * c.nNew() + n) * d;
                    int dst = ((b * c.kvHeads() + h) * c.capacity() + row) * d;
                    System.arraycopy(kn, src, kc, dst, d);
                    System.arraycopy(vn, src, vc, dst, d);
                }
            }
        }
    }

    private void combine(FlashProgram.Combine c) {
        float[] po = f.get(c.partO()), pl = f.get(c.partLse()), o = f.get(c.out());
        float[] lse = c.lse() == null ? null : f.get(c.lse());
        int d = c.dim();
        for (long r = 0; r < c.rows(); r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int s = 0; s < c.numSplits(); s++) {
                max = Math.max(max, pl[(int) (s * c.rows() + r)]);
            }
            double sum = 0;
            double[] acc = new double[d];
            for (int s = 0; s < c.numSplits() && max != Double.NEGATIVE_INFINITY; s++) {
                double l = pl[(int) (s * c.rows() + r)];
                if (l == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                double w = Math.exp(l - max);
                sum += w;
                for (int x = 0; x < d; x++) {
                    acc[x] += w * po[(int) ((s * c.rows() + r) * d + x)];
                }
            }
            for (int x = 0; x < d; x++) {
                o[(int) (r * d + x)] = store(sum == 0 ? 0 : acc[x] / sum, c.outType());
            }
            if (lse != null) {
                lse[(int) r] = sum == 0 ? Float.NEGATIVE_INFINITY : (float) (max + Math.log(sum));
            }
        }
    }
}

package org.attention4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast kind of {@link TileOps}: register-blocked micro-kernels on the Java Vector API. Loaded only when
 * {@code jdk.incubator.vector} is readable ({@link SimdSupport}); nothing else refers to this class directly.
 *
 * <p>Rows run along the vector lanes ({@code L} of them: 16 with AVX-512, 8 with AVX2). The two GEMM-like steps
 * are register-blocked ({@link VectorScoreKernels}, {@link VectorValueKernels}): up to four row vectors by six keys
 * or value columns stay in registers for the whole reduction, instead of the scalar kind's load and store of a
 * score row after every six FMAs. The softmax statistics and the exponential are element-wise over rows, so they
 * vectorise with no horizontal reduction at all. Tiles of few rows go to {@link VectorRowKernels}.
 */
final class VectorTileOps extends TileOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float MAGIC = 0x1.8p23f;
    private static final float LN2 = 0.6931471805599453f;

    @Override
    int lanes() {
        return L;
    }

    @Override
    String describe() {
        return "vector (" + S.vectorBitSize() + "-bit, " + L + " float lanes)";
    }

    // ---- S = Qi Kj^T and O += P Vj: block shapes by register count -------------------------------------------
    // Blocks of R row vectors by K keys (scoresRxK) or C value columns (accumulateRxC): R*K accumulators live in
    // registers for the whole reduction. The 4-row blocks (16 to 24 accumulators) and 2 x 8 need AVX-512's 32
    // registers; with 16 registers (AVX2) 2 x 4 is the widest that does not spill. A 4 x 6 accumulate block
    // (24 accumulators plus 4 loaded rows) was sometimes compiled into far slower code by JDK 17's C2, so the
    // value side stops at 4 x 4; the score side's 4 x 6 (4 loaded rows, 1 broadcast live) was stable.

    /** Widest key/column block: 8 where the machine has 32 vector registers (512-bit species), else 4. */
    private static final int WIDE = L >= 16 ? 8 : 4;

    @Override
    void scores(float[][] qt, float[] k, int[] ko, float[][] p, int cnt, int n, int d) {
        int r = 0;
        if (WIDE == 8) {
            for (; r + 4 * L <= n; r += 4 * L) {
                int jj = 0;
                for (; jj + 6 <= cnt; jj += 6) {
                    VectorScoreKernels.scores4x6(qt, k, ko, p, jj, r, d);
                }
                for (; jj + 4 <= cnt; jj += 4) {
                    VectorScoreKernels.scores4x4(qt, k, ko, p, jj, r, d);
                }
                for (; jj < cnt; jj++) {
                    VectorScoreKernels.scores2x1(qt, k, ko, p, jj, r, d);
                    VectorScoreKernels.scores2x1(qt, k, ko, p, jj, r + 2 * L, d);
                }
            }
        }
        for (; r + 2 * L <= n; r += 2 * L) {
            int jj = 0;
            if (WIDE == 8) {
                for (; jj + 8 <= cnt; jj += 8) {
                    VectorScoreKernels.scores2x8(qt, k, ko, p, jj, r, d);
                }
            }
            for (; jj + 4 <= cnt; jj += 4) {
                VectorScoreKernels.scores2x4(qt, k, ko, p, jj, r, d);
            }
            for (; jj < cnt; jj++) {
                VectorScoreKernels.scores2x1(qt, k, ko, p, jj, r, d);
            }
        }
        for (; r < n; r += L) {
            int jj = 0;
            for (; jj + 8 <= cnt; jj += 8) {
                VectorScoreKernels.scores1x8(qt, k, ko, p, jj, r, d);
            }
            for (; jj + 4 <= cnt; jj += 4) {
                VectorScoreKernels.scores1x4(qt, k, ko, p, jj, r, d);
            }
            for (; jj < cnt; jj++) {
                VectorScoreKernels.scores1x1(qt, k, ko, p, jj, r, d);
            }
        }
    }

    // ---- O += P Vj ---------------------------------------------------------------------------------------------

    @Override
    void accumulate(float[][] p, int[] keys, int[] vo, int count, float[] v, float[][] ot, int n, int dv) {
        if (count == 0) {
            return;
        }
        int r = 0;
        if (WIDE == 8) {
            for (; r + 4 * L <= n; r += 4 * L) {
                int c = 0;
                for (; c + 4 <= dv; c += 4) {
                    VectorValueKernels.accumulate4x4(p, keys, vo, count, v, ot, r, c);
                }
                for (; c < dv; c++) {
                    VectorValueKernels.accumulate2x1(p, keys, vo, count, v, ot, r, c);
                    VectorValueKernels.accumulate2x1(p, keys, vo, count, v, ot, r + 2 * L, c);
                }
            }
        }
        for (; r + 2 * L <= n; r += 2 * L) {
            int c = 0;
            if (WIDE == 8) {
                for (; c + 8 <= dv; c += 8) {
                    VectorValueKernels.accumulate2x8(p, keys, vo, count, v, ot, r, c);
                }
            }
            for (; c + 4 <= dv; c += 4) {
                VectorValueKernels.accumulate2x4(p, keys, vo, count, v, ot, r, c);
            }
            for (; c < dv; c++) {
                VectorValueKernels.accumulate2x1(p, keys, vo, count, v, ot, r, c);
            }
        }
        for (; r < n; r += L) {
            int c = 0;
            for (; c + 8 <= dv; c += 8) {
                VectorValueKernels.accumulate1x8(p, keys, vo, count, v, ot, r, c);
            }
            for (; c + 4 <= dv; c += 4) {
                VectorValueKernels.accumulate1x4(p, keys, vo, count, v, ot, r, c);
            }
            for (; c < dv; c++) {
                VectorValueKernels.accumulate1x1(p, keys, vo, count, v, ot, r, c);
            }
        }
    }

    // ---- online softmax ----------------------------------------------------------------------------------------

    @Override
    void rowMax(float[][] p, int cnt, float[] tileMax, int n) {
        for (int r = 0; r < n; r += L) {
            FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int jj = 0; jj < cnt; jj++) {
                mx = mx.max(FloatVector.fromArray(S, p[jj], r));
            }
            mx.intoArray(tileMax, r);
        }
    }

    @Override
    void rescale(float[] m, float[] tileMax, float[] shift, float[] alpha, float[] scratch, float[] l,
            float[][] ot, int n, int dv) {
        for (int r = 0; r < n; r += L) {
            FloatVector old = FloatVector.fromArray(S, m, r);
            FloatVector mNew = old.max(FloatVector.fromArray(S, tileMax, r));
            FloatVector sh = mNew.max(-Float.MAX_VALUE);
            FloatVector a = exp2(old.sub(sh));
            sh.intoArray(shift, r);
            mNew.intoArray(m, r);
            a.intoArray(alpha, r);
            FloatVector.fromArray(S, l, r).mul(a).intoArray(l, r);
            for (int c = 0; c < dv; c++) {
                FloatVector.fromArray(S, ot[c], r).mul(a).intoArray(ot[c], r);
            }
        }
    }

    @Override
    void expAndSum(float[][] p, int cnt, float[] shift, float[] l, float[] scratch, int n) {
        for (int r = 0; r < n; r += L) {
            FloatVector sh = FloatVector.fromArray(S, shift, r);
            FloatVector sum = FloatVector.fromArray(S, l, r);
            for (int jj = 0; jj < cnt; jj++) {
                FloatVector e = exp2(FloatVector.fromArray(S, p[jj], r).sub(sh));
                e.intoArray(p[jj], r);
                sum = sum.add(e);
            }
            sum.intoArray(l, r);
        }
    }

    @Override
    void exp2Shifted(float[] s, float[] shift, float[] scratch, int n) {
        for (int r = 0; r < n; r += L) {
            exp2(FloatVector.fromArray(S, s, r).sub(FloatVector.fromArray(S, shift, r))).intoArray(s, r);
        }
    }

    @Override
    void multiplyInto(float[] x, float[] f, int n) {
        for (int r = 0; r < n; r += L) {
            FloatVector.fromArray(S, x, r).mul(FloatVector.fromArray(S, f, r)).intoArray(x, r);
        }
    }

    /** {@code {0, s, 2s, ..}}: lane offsets of a column of a row-major block with rows of {@code s} floats. */
    private static int[] strideMap(int s) {
        int[] map = new int[L];
        for (int i = 0; i < L; i++) {
            map[i] = i * s;
        }
        return map;
    }

    @Override
    void transposeIn(float[] st, int n, int d, double scale, float[][] qt) {
        // Gathers, one column of L rows each: the scalar transpose was among the hottest lines of short-key calls
        // in profiles. The scale is applied as hi + lo (float), which rounds like the double product but for a
        // last-bit tie.
        float hi = (float) scale;
        float lo = (float) (scale - hi);
        int[] map = strideMap(d);
        int r = 0;
        for (; r + L <= n; r += L) {
            for (int c = 0; c < d; c++) {
                FloatVector x = FloatVector.fromArray(S, st, r * d + c, map, 0);
                x.fma(FloatVector.broadcast(S, hi), x.mul(lo)).intoArray(qt[c], r);
            }
        }
        for (; r < n; r++) {
            for (int c = 0; c < d; c++) {
                qt[c][r] = (float) (st[r * d + c] * scale);
            }
        }
        int np = (n + L - 1) / L * L;
        for (int c = 0; c < d; c++) {
            java.util.Arrays.fill(qt[c], n, np, 0f);
        }
    }

    @Override
    void transposeOut(float[][] ot, float[] inv, int n, int dv, float[] st) {
        int[] map = strideMap(dv);
        int r = 0;
        for (; r + L <= n; r += L) {
            FloatVector f = FloatVector.fromArray(S, inv, r);
            for (int c = 0; c < dv; c++) {
                FloatVector.fromArray(S, ot[c], r).mul(f).intoArray(st, r * dv + c, map, 0);
            }
        }
        for (; r < n; r++) {
            for (int c = 0; c < dv; c++) {
                st[r * dv + c] = ot[c][r] * inv[r];
            }
        }
    }

    @Override
    int maxRowMajorRows() {
        return VectorRowKernels.MAX_ROWS;
    }

    @Override
    void scoresByRow(float[] q, int rows, float[] k, int[] ko, int cnt, int d, float[][] p) {
        VectorRowKernels.scores(q, rows, k, ko, cnt, d, p);
    }

    @Override
    void accumulateByRow(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o, int rows, int dv) {
        VectorRowKernels.accumulate(p, keys, vo, count, v, o, rows, dv);
    }

    @Override
    boolean allFinite(float[] x, int from, int to) {
        // x * 0 is 0 for every finite x and NaN for NaN or an infinity; NaN survives the sums.
        FloatVector acc = FloatVector.zero(S);
        int i = from;
        for (; i + L <= to; i += L) {
            acc = acc.add(FloatVector.fromArray(S, x, i).mul(0f));
        }
        float tail = 0f;
        for (; i < to; i++) {
            tail += x[i] * 0f;
        }
        return acc.reduceLanes(VectorOperators.ADD) + tail == 0f;
    }

    @Override
    void addInto(float[] l, float[] s, int n) {
        for (int r = 0; r < n; r += L) {
            FloatVector.fromArray(S, l, r).add(FloatVector.fromArray(S, s, r)).intoArray(l, r);
        }
    }

    /**
     * {@code 2^x} for {@code x <= 0} (softmax exponents): {@code x = k + f} with {@code k} rounded to nearest and
     * {@code |f| <= 1/2}, the Cephes minimax polynomial for {@code e^(f ln2)} (relative error about 1e-7), and
     * {@code 2^k} built in the exponent bits. Arguments below -126.5 (the normal range ends at 2^-126) give 0,
     * so {@code -inf} gives exactly 0; NaN gives NaN.
     */
    static FloatVector exp2(FloatVector x) {
        FloatVector xc = x.max(-127f);
        // Adding 1.5*2^23 rounds to an integer and leaves it in the low mantissa bits: k without a float-to-int
        // conversion, which JDK 17 does not intrinsify (it cost more than the whole polynomial in a profile).
        FloatVector km = xc.add(MAGIC);
        FloatVector k = km.sub(MAGIC);
        FloatVector t = xc.sub(k).mul(LN2);
        FloatVector p = t.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(t, FloatVector.broadcast(S, 8.3334519073e-3f));
        p = p.fma(t, FloatVector.broadcast(S, 4.1665795894e-2f));
        p = p.fma(t, FloatVector.broadcast(S, 1.6666665459e-1f));
        p = p.fma(t, FloatVector.broadcast(S, 5.0000001201e-1f));
        p = p.mul(t).fma(t, t).add(1f);
        // The low 9 bits of km's pattern are k mod 512; shifted into the exponent field and biased by 127 they
        // make 2^k for k in [-126, 0], and 0 for k = -127.
        IntVector bits = km.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(127 << 23);
        return p.mul(bits.reinterpretAsFloats());
    }
}

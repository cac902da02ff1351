package org.attention4j.cpu;

import static org.attention4j.cpu.Spans.from;
import static org.attention4j.cpu.Spans.to;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast kind of {@link TileOps}: register-blocked micro-kernels on the Java Vector API. Loaded only when
 * {@code jdk.incubator.vector} is readable ({@link SimdSupport}); nothing else refers to this class directly.
 *
 * <p>Rows run along the vector lanes ({@code L} of them: 16 with AVX-512, 8 with AVX2). The two GEMM-like steps
 * are register-blocked ({@link VectorScoreKernels}; for {@code O += P Vj} {@link VectorValueRowKernels} with a
 * row-major accumulator on AVX-512, else {@link VectorValueKernels}): up to 24 accumulators stay in registers for
 * the whole reduction, instead of the scalar kind's load and store of a
 * score row after every six FMAs. The softmax statistics and the exponential are element-wise over rows, so they
 * vectorise with no horizontal reduction at all. Tiles of few rows go to {@link VectorRowKernels}.
 */
final class VectorTileOps extends TileOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    private static final float MAGIC_BIASED = 0x1.8p23f + 127f;
    private static final float LOG2E = 1.4426950408889634f;
    /** ln 2 in two parts: the first with few enough bits that {@code k * LN2_HI} is exact for any |k| <= 2^15. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** {@code -127 ln2}: rounds to k = -127, whose exponent field is 0, so the result is exactly 0. */
    private static final float MIN_EXP_ARG = -88.02969193111305f;

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
    void scores(float[][] qt, float[] k, int[] ko, float[][] p, int cnt, int n, int d, int[] lo, int[] hi) {
        if (lo == null) {
            VectorScoreKernels.block(qt, k, ko, p, 0, cnt, 0, n, d);
            return;
        }
        // Blocks of two row vectors over the keys their rows can see (2 x 8 keeps the FMA units as busy as 4 x 6);
        // two neighbours that see the same keys run as one block of four.
        int r = 0;
        while (r < n) {
            int rows = Math.min(2 * L, n - r);
            long s = Spans.union(lo, hi, r, rows, cnt);
            if (rows == 2 * L && r + 4 * L <= n && Spans.union(lo, hi, r + 2 * L, 2 * L, cnt) == s) {
                rows = 4 * L;
            }
            if (from(s) < to(s)) {
                VectorScoreKernels.block(qt, k, ko, p, from(s), to(s), r, r + rows, d);
            }
            r += rows;
        }
    }

    @Override
    void maskOutside(float[][] p, int cnt, int[] lo, int[] hi, int n) {
        // Spans as floats (exact: tiles hold far fewer than 2^24 keys), so the compares make float masks directly.
        FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < n; r += L) {
            FloatVector a = (FloatVector) IntVector.fromArray(IS, lo, r).castShape(S, 0);
            FloatVector z = (FloatVector) IntVector.fromArray(IS, hi, r).castShape(S, 0);
            for (int jj = 0; jj < cnt; jj++) {
                FloatVector j = FloatVector.broadcast(S, jj);
                VectorMask<Float> out = j.lt(a).or(j.compare(VectorOperators.GE, z));
                float[] pj = p[jj];
                FloatVector.fromArray(S, pj, r).blend(ninf, out).intoArray(pj, r);
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

    @Override
    boolean rowMajorAccumulator(int dv) {
        // The row-major blocks need the 32 registers of AVX-512 and at least one full vector of columns.
        return WIDE == 8 && dv >= L;
    }

    @Override
    void accumulateRows(float[][] p, int[] keys, int[] vo, int count, float[] v, float[] o, int n, int dv,
            int[] lo, int[] hi, boolean fresh) {
        if (!rowMajorAccumulator(dv) || count == 0) {
            if (fresh) {
                java.util.Arrays.fill(o, 0, n * dv, 0f);
            }
            VectorRowKernels.accumulate(p, keys, vo, count, v, o, n, dv);   // correct for any shape, not tuned
            return;
        }
        int nv = (dv + L - 1) / L;
        int g = 0;
        while (g < nv) {
            int rem = nv - g;
            // Blocks of 4 or 3 vectors (24 accumulators with 6 or 8 rows); the split keeps the last two vectors,
            // which overlap when L does not divide dv, in one block (see VectorValueRowKernels).
            int w = rem == 4 || rem >= 7 ? 4 : Math.min(rem, 3);
            int c0 = column(g, dv);
            int c1 = column(g + 1, dv);
            int c2 = column(g + 2, dv);
            int c3 = column(g + 3, dv);
            int r = 0;
            // Each block of rows runs over the keys its rows can see only ("span"): the others weigh exactly 0.
            switch (w) {
                case 4 -> {
                    for (; r + 6 <= n; r += 6) {
                        long s = Spans.union(lo, hi, r, 6, count);
                        VectorValueRowKernels.rows6x4(p, keys, vo, from(s), to(s), fresh, v, o, r, dv, c0, c1, c2, c3);
                    }
                    for (; r + 4 <= n; r += 4) {
                        long s = Spans.union(lo, hi, r, 4, count);
                        VectorValueRowKernels.rows4x4(p, keys, vo, from(s), to(s), fresh, v, o, r, dv, c0, c1, c2, c3);
                    }
                    for (; r < n; r += 2) {   // n is a multiple of L, so even
                        long s = Spans.union(lo, hi, r, 2, count);
                        VectorValueRowKernels.rows2x4(p, keys, vo, from(s), to(s), fresh, v, o, r, dv, c0, c1, c2, c3);
                    }
                }
                case 3 -> {
                    for (; r < n; r += 8) {   // n is a multiple of L = 16
                        long s = Spans.union(lo, hi, r, 8, count);
                        VectorValueRowKernels.rows8x3(p, keys, vo, from(s), to(s), fresh, v, o, r, dv, c0, c1, c2);
                    }
                }
                case 2 -> {
                    for (; r < n; r += 8) {
                        long s = Spans.union(lo, hi, r, 8, count);
                        VectorValueRowKernels.rows8x2(p, keys, vo, from(s), to(s), fresh, v, o, r, dv, c0, c1);
                    }
                }
                default -> {
                    for (; r < n; r += 8) {
                        long s = Spans.union(lo, hi, r, 8, count);
                        VectorValueRowKernels.rows8x1(p, keys, vo, from(s), to(s), fresh, v, o, r, dv, c0);
                    }
                }
            }
            g += w;
        }
    }

    /** Where vector {@code i} of a row of {@code dv} columns starts: the last one ends at {@code dv}. */
    private static int column(int i, int dv) {
        return Math.max(Math.min(i * L, dv - L), 0);
    }

    @Override
    void scaleRows(float[] o, float[] f, int n, int dv) {
        // In place, so no overlapping last vector here (it would scale its columns twice): a scalar tail instead.
        int full = dv - dv % L;
        for (int r = 0; r < n; r++) {
            float a = f[r];
            if (a == 1f) {
                continue;
            }
            int b = r * dv;
            FloatVector av = FloatVector.broadcast(S, a);
            for (int c = 0; c < full; c += L) {
                FloatVector.fromArray(S, o, b + c).mul(av).intoArray(o, b + c);
            }
            for (int c = full; c < dv; c++) {
                o[b + c] *= a;
            }
        }
    }

    @Override
    void writeRows(float[] o, float[] inv, int n, int dv, float[] out, int[] base) {
        if (dv < L) {
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < dv; c++) {
                    out[base[r] + c] = o[r * dv + c] * inv[r];
                }
            }
            return;
        }
        // Source and destination differ, so the last vector may overlap the one before it: both write the same.
        for (int r = 0; r < n; r++) {
            FloatVector f = FloatVector.broadcast(S, inv[r]);
            int src = r * dv;
            int dst = base[r];
            for (int c = 0; c < dv; c += L) {
                int at = Math.min(c, dv - L);
                FloatVector.fromArray(S, o, src + at).mul(f).intoArray(out, dst + at);
            }
        }
    }

    // ---- online softmax ----------------------------------------------------------------------------------------

    @Override
    void rowMax(float[][] p, int cnt, float[] tileMax, int n) {
        // Four row vectors at a time: one running max per vector chains every MAX on the one before (4 cycles
        // each), which made this pass cost a third of the scores it follows.
        int r = 0;
        for (; r + 4 * L <= n; r += 4 * L) {
            FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            FloatVector m1 = m0;
            FloatVector m2 = m0;
            FloatVector m3 = m0;
            for (int jj = 0; jj < cnt; jj++) {
                float[] row = p[jj];
                m0 = m0.max(FloatVector.fromArray(S, row, r));
                m1 = m1.max(FloatVector.fromArray(S, row, r + L));
                m2 = m2.max(FloatVector.fromArray(S, row, r + 2 * L));
                m3 = m3.max(FloatVector.fromArray(S, row, r + 3 * L));
            }
            m0.intoArray(tileMax, r);
            m1.intoArray(tileMax, r + L);
            m2.intoArray(tileMax, r + 2 * L);
            m3.intoArray(tileMax, r + 3 * L);
        }
        for (; r < n; r += L) {
            FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            FloatVector m1 = m0;
            int jj = 0;
            for (; jj + 2 <= cnt; jj += 2) {
                m0 = m0.max(FloatVector.fromArray(S, p[jj], r));
                m1 = m1.max(FloatVector.fromArray(S, p[jj + 1], r));
            }
            if (jj < cnt) {
                m0 = m0.max(FloatVector.fromArray(S, p[jj], r));
            }
            m0.max(m1).intoArray(tileMax, r);
        }
    }

    /**
     * How far a row's scores may rise above its reference max {@code m} before the accumulator is rescaled: up to
     * this, the exponentials are computed against the old {@code m} and reach at most {@code e^5.5} (about 2^8),
     * which float holds with room to spare, and the pass over the accumulator is skipped (the
     * lazy rescaling of FlashAttention-4). Once the first tiles have set the max, most tiles then rescale nothing.
     */
    static final float LAZY = 5.5f;

    /**
     * One method for both steps, on purpose: its body is over C2's {@code FreqInlineSize} (325 bytecodes), so it is
     * compiled on its own rather than inlined into {@code QueryTile.keyTiles}, where its exponential loop ran
     * slower (docs/DESIGN.md; whole calls before and after: docs/benchmarks/cpu_inlining.txt).
     */
    @Override
    void rescaleAndExp(float[] m, float[] tileMax, float[] shift, float[] alpha, float[] scratch, float[] l,
            float[][] ot, int n, int dv, float[][] p, int cnt, int[] lo, int[] hi) {
        FloatVector zero = FloatVector.zero(S);
        for (int r = 0; r < n; r += L) {
            boolean needed = false;
            for (int i = r; i < r + L; i++) {
                // Written so that NaN and +inf among the scores always take the exact update.
                if (!(tileMax[i] <= m[i] + LAZY)) {
                    needed = true;
                    break;
                }
            }
            if (!needed) {
                FloatVector.broadcast(S, 1f).intoArray(alpha, r);
            } else {
                FloatVector old = FloatVector.fromArray(S, m, r);
                FloatVector mNew = old.max(FloatVector.fromArray(S, tileMax, r));
                FloatVector sh = mNew.max(-Float.MAX_VALUE);
                FloatVector a = exp(old.sub(sh));
                sh.intoArray(shift, r);
                mNew.intoArray(m, r);
                a.intoArray(alpha, r);
                FloatVector.fromArray(S, l, r).mul(a).intoArray(l, r);
                for (int c = 0; c < dv; c++) {
                    FloatVector.fromArray(S, ot[c], r).mul(a).intoArray(ot[c], r);
                }
            }
            if (cnt == 0) {
                continue;
            }
            FloatVector sh = FloatVector.fromArray(S, shift, r);
            FloatVector sum = FloatVector.fromArray(S, l, r);
            // Outside the span of this vector's rows every score is -inf, so e^s is 0 without computing it.
            long s = Spans.union(lo, hi, r, L, cnt);
            int a = Math.min(from(s), to(s));
            int z = to(s);
            for (int jj = 0; jj < a; jj++) {
                zero.intoArray(p[jj], r);
            }
            for (int jj = a; jj < z; jj++) {
                FloatVector e = exp(FloatVector.fromArray(S, p[jj], r).sub(sh));
                e.intoArray(p[jj], r);
                sum = sum.add(e);
            }
            for (int jj = Math.max(z, a); jj < cnt; jj++) {
                zero.intoArray(p[jj], r);
            }
            sum.intoArray(l, r);
        }
    }

    @Override
    void expShifted(float[] s, float[] shift, float[] scratch, int n) {
        for (int r = 0; r < n; r += L) {
            exp(FloatVector.fromArray(S, s, r).sub(FloatVector.fromArray(S, shift, r))).intoArray(s, r);
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
        int np = (n + L - 1) / L * L;
        // The last, partial vector of rows is gathered whole too: the staging holds np rows (past row n whatever
        // an earlier tile left, finite or not), and those lanes are zeroed below. A scalar loop over the last
        // rows cost about as much as the gathers of all the others (bench/cpu_profile.sh on a 77-query call).
        for (int r = 0; r < np; r += L) {
            for (int c = 0; c < d; c++) {
                FloatVector x = FloatVector.fromArray(S, st, r * d + c, map, 0);
                x.fma(FloatVector.broadcast(S, hi), x.mul(lo)).intoArray(qt[c], r);
            }
        }
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
        // x * 0 is 0 for every finite x and NaN for NaN or an infinity; NaN survives the sums. Four sums, so
        // that the adds do not wait on one another (one chain of adds cannot keep up with the loads).
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = from;
        for (; i + 4 * L <= to; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(S, x, i).mul(0f));
            a1 = a1.add(FloatVector.fromArray(S, x, i + L).mul(0f));
            a2 = a2.add(FloatVector.fromArray(S, x, i + 2 * L).mul(0f));
            a3 = a3.add(FloatVector.fromArray(S, x, i + 3 * L).mul(0f));
        }
        FloatVector acc = a0.add(a1).add(a2.add(a3));
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
     * {@code e^x} for softmax exponents ({@code x <= LAZY}): {@code k = round(x log2 e)}, {@code r = x - k ln2} in
     * two steps (Cody and Waite: {@code k * LN2_HI} is exact, so {@code r} keeps the accuracy of {@code x} itself,
     * which is why scores are not carried in base 2), a degree-5 polynomial for {@code e^r} on
     * {@code |r| <= ln2/2} (a least-maximum-relative-error fit of {@code 2^f}, its coefficients divided by
     * {@code ln2^i}: 1.8e-7 in float arithmetic), and {@code 2^k} built in the exponent bits. Arguments below
     * {@code -126.5 ln2} give 0 (float's normal range ends at 2^-126), so {@code -inf} gives exactly 0; NaN gives
     * NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(MIN_EXP_ARG);
        // x log2(e) + 1.5*2^23 + 127 rounds to an integer and leaves k + 127 in the low mantissa bits: k without a
        // float-to-int conversion, which JDK 17 does not intrinsify (it cost more than the whole polynomial in a
        // profile), and with the exponent bias already added.
        FloatVector km = xc.fma(LOG2E, MAGIC_BIASED);
        FloatVector k = km.sub(MAGIC_BIASED);
        FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(8.290315046906471e-3f, 4.189793020486832e-2f);
        p = p.fma(r, FloatVector.broadcast(S, 1.666763573884964e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 4.999915063381195e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 9.999997615814209e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));   // constant term exactly 1: e^0 is exactly 1
        // The low bits of km's pattern are k + 127, in [0, 127 + 8]: shifted into the exponent field they make
        // 2^k, and 0 for k = -127.
        IntVector bits = km.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }
}

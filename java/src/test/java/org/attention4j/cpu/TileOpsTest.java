package org.attention4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The kernel kind this JVM runs ({@link TileOps#active()}: Vector API or portable, one per surefire execution)
 * against plain double-precision loops, on awkward sizes (lane tails, head-dim tails), outputs poisoned first.
 */
class TileOpsTest {
    private static final TileOps OPS = TileOps.active();
    private static final int L = OPS.lanes();

    private static int padded(int n) {
        return (n + L - 1) / L * L;
    }

    @Test
    void expIsAccurateOverTheSoftmaxDomainAndExactAtTheEdges() {
        int n = padded(4099);
        float[] s = new float[n];
        float[] want = new float[n];
        float[] shift = new float[n];
        float[] scratch = new float[n];
        Random r = new Random(5);
        for (int i = 0; i < n; i++) {
            // -87 reaches e^-87 = 2^-125.5, near float's smallest normal.
            s[i] = i < 4000 ? -87f * r.nextFloat() : -r.nextFloat();
            shift[i] = r.nextFloat();
            // The kernels subtract in float (as the engine does); the exponential itself is what is checked here.
            want[i] = (float) Math.exp(s[i] - shift[i]);
        }
        s[0] = Float.NEGATIVE_INFINITY;
        want[0] = 0f;
        s[1] = Float.NaN;
        s[2] = 0f;
        shift[2] = 0f;
        want[2] = 1f;
        OPS.expShifted(s, shift, scratch, n);
        assertEquals(0f, s[0], "e^-inf");
        assertTrue(Float.isNaN(s[1]), "e^NaN");
        assertEquals(1f, s[2], "e^0");
        for (int i = 3; i < n; i++) {
            if (want[i] < 0x1p-126f) {
                continue;    // shifted below the normal range: each kind's own flush, checked elsewhere
            }
            double rel = Math.abs(s[i] - want[i]) / want[i];
            assertTrue(rel <= 5e-7, "e^x = " + s[i] + " rel error " + rel + " at " + i);
        }
    }

    @Test
    void vectorExpCoversTheLazyRescalingHeadroom() {
        assumeTrue(SimdSupport.vectorActive(), "only the vector kind rescales lazily; the portable kind's exponents"
                + " stay <= 0");
        int n = padded(1000);
        float[] s = new float[n];
        float[] shift = new float[n];
        float[] scratch = new float[n];
        float[] want = new float[n];
        Random r = new Random(6);
        for (int i = 0; i < n; i++) {
            s[i] = VectorTileOps.LAZY * r.nextFloat();   // up to LAZY above the reference max
            want[i] = (float) Math.exp(s[i]);
        }
        s[0] = VectorTileOps.LAZY;
        want[0] = (float) Math.exp(VectorTileOps.LAZY);
        OPS.expShifted(s, shift, scratch, n);
        for (int i = 0; i < n; i++) {
            double rel = Math.abs(s[i] - want[i]) / want[i];
            assertTrue(rel <= 5e-7, "e^x = " + want[i] + " rel error " + rel + " at " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "15, 59", "16, 64", "17, 3", "33, 111", "70, 40"})
    void transposesRoundTripOnAwkwardSizes(int n, int d) {
        Random r = new Random(n * 31L + d);
        // The staging holds padded(n) rows, as the tile's does; the rows past n hold garbage that must not leak.
        float[] st = new float[padded(n) * d];
        for (int i = 0; i < st.length; i++) {
            st[i] = i < n * d ? (float) r.nextGaussian() : Float.NaN;
        }
        float[][] qt = new float[d][padded(n) + 3];
        for (float[] row : qt) {
            java.util.Arrays.fill(row, Float.NaN);
        }
        double scale = 0.125;
        OPS.transposeIn(st, n, d, scale, qt);
        for (int c = 0; c < d; c++) {
            for (int i = 0; i < n; i++) {
                assertEquals((float) (st[i * d + c] * scale), qt[c][i], Math.ulp(qt[c][i]), "qt[" + c + "][" + i + "]");
            }
            for (int i = n; i < padded(n); i++) {
                assertEquals(0f, qt[c][i], "padding row " + i + " is 0");
            }
        }
        float[] inv = new float[padded(n)];
        for (int i = 0; i < n; i++) {
            inv[i] = 1f / (1 + i);
        }
        float[] out = new float[n * d];
        java.util.Arrays.fill(out, Float.NaN);
        OPS.transposeOut(qt, inv, n, d, out);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < d; c++) {
                assertEquals(qt[c][i] * inv[i], out[i * d + c], "out[" + i + "][" + c + "]");
            }
        }
    }

    @Test
    void allFiniteFindsNaNAndInfinityAnywhere() {
        float[] x = new float[301];
        assertTrue(OPS.allFinite(x, 0, x.length));
        // Every position: the vector kind sums in four interleaved accumulators, then single vectors, then scalars.
        for (int at = 0; at < x.length; at++) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[] y = x.clone();
                y[at] = bad;
                assertFalse(OPS.allFinite(y, 0, y.length), bad + " at " + at);
                assertTrue(OPS.allFinite(y, at + 1, y.length), "outside the range");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 1, 1, 1", "3, 59, 17, 7", "4, 64, 64, 120", "8, 128, 128, 33", "5, 16, 33, 9"})
    void rowMajorKernelsMatchPlainLoops(int rows, int d, int dv, int cnt) {
        // Checked for every kind and row count, used or not (the portable kind keeps them for its contract).
        Random r = new Random(rows * 7L + d + dv + cnt);
        float[] q = new float[rows * d];
        float[] k = new float[(cnt + 2) * d];
        float[] v = new float[(cnt + 2) * dv];
        for (float[] a : new float[][] {q, k, v}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
        }
        int[] ko = new int[cnt];
        int[] vo = new int[cnt];
        int[] keys = new int[cnt];
        for (int j = 0; j < cnt; j++) {
            ko[j] = (j + 2) * d;      // keys read at an offset, as from a cache or a head's slice
            vo[j] = (j + 2) * dv;
            keys[j] = j;
        }
        float[][] p = new float[cnt][padded(rows)];
        OPS.scoresByRow(q, rows, k, ko, cnt, d, p);
        float[] o = new float[rows * dv];
        OPS.accumulateByRow(p, keys, vo, cnt, v, o, rows, dv);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cnt; j++) {
                double s = 0;
                for (int c = 0; c < d; c++) {
                    s += (double) q[i * d + c] * k[ko[j] + c];
                }
                assertEquals(s, p[j][i], 1e-5 * Math.sqrt(d) + 1e-6, "score row " + i + " key " + j);
            }
            for (int c = 0; c < dv; c++) {
                double acc = 0;
                for (int j = 0; j < cnt; j++) {
                    acc += (double) p[j][i] * v[vo[j] + c];
                }
                assertEquals(acc, o[i * dv + c], 1e-4 * Math.sqrt(cnt * d), "output row " + i + " col " + c);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"16, 16, 7", "16, 20, 120", "32, 40, 33", "48, 59, 120", "64, 64, 120", "64, 80, 1", "16, 111, 9",
        "80, 128, 64", "32, 256, 17", "16, 5, 3"})
    void rowMajorAccumulatorMatchesPlainLoops(int rows, int dv, int cnt) {
        // Every block split of accumulateRows (4, 3, 2 and 1 vectors, overlapping last vectors), on a tile whose
        // keys come in a shuffled order and whose accumulator starts from non-zero values.
        Random r = new Random(rows * 31L + dv * 7L + cnt);
        int np = padded(rows);
        float[][] p = new float[cnt][np];
        for (float[] row : p) {
            for (int i = 0; i < np; i++) {
                row[i] = r.nextFloat();
            }
        }
        float[] v = new float[(cnt + 3) * dv];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        int[] keys = new int[cnt];
        int[] vo = new int[cnt];
        for (int x = 0; x < cnt; x++) {
            keys[x] = (x * 5 + 3) % cnt;
            vo[x] = (cnt + 2 - x) * dv;   // the last key row of v is read too: no vector may run past it
        }
        float[] o = new float[np * dv];
        for (int i = 0; i < o.length; i++) {
            o[i] = (float) r.nextGaussian();
        }
        float[] o0 = o.clone();
        OPS.accumulateRows(p, keys, vo, cnt, v, o, np, dv, null, null, false);
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < dv; c++) {
                double acc = o0[i * dv + c];
                for (int x = 0; x < cnt; x++) {
                    acc += (double) p[keys[x]][i] * v[vo[x] + c];
                }
                assertEquals(acc, o[i * dv + c], 1e-5 * Math.sqrt(cnt) * 4, "row " + i + " col " + c);
            }
        }
        float[] f = new float[np];
        for (int i = 0; i < np; i++) {
            f[i] = i % 3 == 0 ? 1f : r.nextFloat();
        }
        float[] scaled = o.clone();
        OPS.scaleRows(scaled, f, np, dv);
        int[] base = new int[rows];
        for (int i = 0; i < rows; i++) {
            base[i] = (rows - 1 - i) * (dv + 1) + 1;   // rows land reversed, one float apart
        }
        float[] out = new float[rows * (dv + 1) + 1];
        java.util.Arrays.fill(out, Float.NaN);
        OPS.writeRows(o, f, rows, dv, out, base);
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < dv; c++) {
                assertEquals(o[i * dv + c] * f[i], scaled[i * dv + c], "scaleRows row " + i + " col " + c);
                assertEquals(o[i * dv + c] * f[i], out[base[i] + c], "writeRows row " + i + " col " + c);
            }
            assertTrue(Float.isNaN(out[base[i] - 1]), "writeRows wrote outside row " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"77, 64, 77", "80, 40, 120", "64, 64, 120", "97, 59, 33", "16, 128, 7", "200, 80, 102"})
    void spansSkipOnlyWhatTheMaskRemoves(int rows, int d, int cnt) {
        // Per-row spans as causal, sliding-window and fully masked rows make them; the span-limited scores and
        // values, after maskOutside, must equal the full computation masked. Skipped entries start as NaN.
        Random r = new Random(rows * 131L + d * 17L + cnt);
        int np = padded(rows);
        int[] lo = new int[np];
        int[] hi = new int[np];
        for (int i = 0; i < rows; i++) {
            int diag = i * cnt / rows + 1;                      // causal: keys up to the row's diagonal
            lo[i] = i % 5 == 4 ? Math.max(0, diag - 9) : 0;     // some rows a window of 9 keys
            hi[i] = Math.min(diag, cnt);
            if (i % 11 == 10) {
                lo[i] = 0;                                      // a row that sees nothing in this tile
                hi[i] = 0;
            }
        }
        float[][] qt = new float[d][np];
        for (float[] row : qt) {
            for (int i = 0; i < rows; i++) {
                row[i] = (float) r.nextGaussian();
            }
        }
        float[] k = new float[cnt * d];
        int[] ko = new int[cnt];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) r.nextGaussian();
        }
        for (int j = 0; j < cnt; j++) {
            ko[j] = (cnt - 1 - j) * d;
        }
        float[][] p = new float[cnt][np];
        float[][] full = new float[cnt][np];
        for (float[] row : p) {
            java.util.Arrays.fill(row, Float.NaN);
        }
        OPS.scores(qt, k, ko, full, cnt, np, d, null, null);
        OPS.scores(qt, k, ko, p, cnt, np, d, lo, hi);
        OPS.maskOutside(p, cnt, lo, hi, np);
        for (int j = 0; j < cnt; j++) {
            for (int i = 0; i < np; i++) {
                boolean seen = j >= lo[i] && j < hi[i];
                float want = seen ? full[j][i] : Float.NEGATIVE_INFINITY;
                assertEquals(want, p[j][i], "score of key " + j + " row " + i);
            }
        }
        // The exponentials and row sums equal those of the full pass, masked keys included (0): the value kernels'
        // blocks of rows straddle the blocks a kind skips by.
        float[][] e = new float[cnt][];
        float[][] eFull = new float[cnt][];
        for (int j = 0; j < cnt; j++) {
            e[j] = p[j].clone();
            eFull[j] = p[j].clone();
        }
        // A reference max of 2 that the tile max does not pass: both kinds keep shift 2 and alpha 1.
        float[] two = new float[np];
        java.util.Arrays.fill(two, 2f);
        float[] l = new float[np];
        float[] lFull = new float[np];
        OPS.rescaleAndExp(two.clone(), two, two.clone(), new float[np], new float[np], lFull, new float[0][], np,
                0, eFull, cnt, null, null);
        OPS.rescaleAndExp(two.clone(), two, two.clone(), new float[np], new float[np], l, new float[0][], np, 0,
                e, cnt, lo, hi);
        for (int i = 0; i < rows; i++) {
            assertEquals(lFull[i], l[i], 1e-6f * lFull[i], "row sum " + i);
            for (int j = 0; j < cnt; j++) {
                assertEquals(eFull[j][i], e[j][i], "e^s of key " + j + " row " + i);
            }
        }
        // Weights 0 outside the spans (as e^-inf), values accumulated with and without the spans.
        int dv = d;
        float[] v = new float[cnt * dv];
        int[] keys = new int[cnt];
        int[] vo = new int[cnt];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        for (int x = 0; x < cnt; x++) {
            keys[x] = x;
            vo[x] = x * dv;
            for (int i = 0; i < np; i++) {
                p[x][i] = p[x][i] == Float.NEGATIVE_INFINITY ? 0f : r.nextFloat();
            }
        }
        float[] o = new float[np * dv];
        float[] oFull = new float[np * dv];
        OPS.accumulateRows(p, keys, vo, cnt, v, oFull, np, dv, null, null, false);
        OPS.accumulateRows(p, keys, vo, cnt, v, o, np, dv, lo, hi, false);
        // fresh: an accumulator full of NaN is written as if it held 0 (every row, those with no key too).
        float[] oFresh = new float[np * dv];
        java.util.Arrays.fill(oFresh, Float.NaN);
        OPS.accumulateRows(p, keys, vo, cnt, v, oFresh, np, dv, lo, hi, true);
        for (int i = 0; i < rows * dv; i++) {
            assertEquals(oFull[i], o[i], 1e-6f * (1 + Math.abs(oFull[i])), "accumulator element " + i);
            assertEquals(o[i], oFresh[i], "fresh accumulator element " + i);
        }
    }
}

package org.attention4j.cpu;

/**
 * Spans of keys per row within a tile, as {@link TileOps#scores} takes them ({@code lo[r] <= jj < hi[r]}), merged
 * over a block of rows: the keys a kernel over those rows must cover. A union packs into one {@code long}, so the
 * kernels' dispatch loops allocate nothing.
 */
final class Spans {
    private Spans() {
    }

    /**
     * The union of the spans {@code [lo[i], hi[i])} of rows {@code r .. r+rows)}, within {@code [0, count)}, as
     * {@code from << 32 | to}; rows with an empty span add nothing; {@code lo} null: all of {@code [0, count)}.
     * Read with {@link #from} and {@link #to} (an empty union reads as {@code from >= to}).
     */
    static long union(int[] lo, int[] hi, int r, int rows, int count) {
        if (lo == null) {
            return count;
        }
        int a = count;
        int z = 0;
        for (int i = r; i < r + rows; i++) {
            if (lo[i] < hi[i]) {
                a = Math.min(a, lo[i]);
                z = Math.max(z, hi[i]);
            }
        }
        return (long) a << 32 | Math.min(z, count);
    }

    static int from(long span) {
        return (int) (span >>> 32);
    }

    static int to(long span) {
        return (int) span;
    }
}

package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SoftmaxLaunchTest {
    @Test
    void oneBlockPerRowForManyOrShortRows() {
        SoftmaxLaunch a = SoftmaxLaunch.of(1000, 131072, 132);
        assertFalse(a.split());
        assertEquals(1000, a.gridX());
        SoftmaxLaunch b = SoftmaxLaunch.of(1, 8000, 132, false);
        assertFalse(b.split());
        assertFalse(b.cached());
        assertEquals(256, b.block());
        assertEquals(512, SoftmaxLaunch.of(1, 8192, 132).block());
        assertEquals(8 * 256 / 32, b.sharedMem());
    }

    @Test
    void rowsThatFitSharedMemoryAreCached() {
        // Version 3 where 16 * ceil(block / 64) + 4 * (Nk + 3) bytes fit 48 KiB (cuda/README.md).
        SoftmaxLaunch c = SoftmaxLaunch.of(1, 8000, 132);
        assertTrue(c.cached());
        assertFalse(c.split());
        assertEquals(16 * 4 + 4 * 8003, c.sharedMem());
        SoftmaxLaunch one = SoftmaxLaunch.of(5, 1, 132);
        assertTrue(one.cached());
        assertEquals(16 * 4 + 4 * 4, one.sharedMem());
        // Long rows in many rows: version 1 at block 512 up to 48 KiB of row, then not cached.
        int fits = (SoftmaxLaunch.DEFAULT_SHARED_LIMIT - 16 * 8) / 4 - 3;
        assertTrue(SoftmaxLaunch.of(1000, fits, 132).cached());
        SoftmaxLaunch big = SoftmaxLaunch.of(1000, fits + 1, 132);
        assertFalse(big.cached());
        assertEquals(8 * 512 / 32, big.sharedMem());
        // Split rows never are.
        assertFalse(SoftmaxLaunch.of(8, 131072, 132).cached());
    }

    @Test
    void longRowsFewRowsAreSplit() {
        SoftmaxLaunch s = SoftmaxLaunch.of(8, 131072, 132);
        assertTrue(s.split());
        assertEquals(0, s.chunkLen() % 4);
        assertTrue(s.chunkLen() >= 2048);
        assertEquals((131072 + s.chunkLen() - 1) / s.chunkLen(), s.numChunks());
        assertEquals(s.numChunks(), s.gridX());
        assertEquals(8, s.gridY());
        assertEquals(8L * 8 * s.numChunks(), s.partialBytes(8));
        // about four blocks per SM (4 x 132 / 8 rows = 66 per row), chunks at least 2048 keys: 64
        assertEquals(64, s.numChunks());
        assertEquals(38, SoftmaxLaunch.of(14, 131072, 132).numChunks(), "ceil(528/14)=38 chunks of 3452 keys");
        SoftmaxLaunch odd = SoftmaxLaunch.of(1, 10001, 132);
        assertTrue(odd.split());
        assertEquals(2048, odd.chunkLen());
        assertEquals(5, odd.numChunks());
    }
}

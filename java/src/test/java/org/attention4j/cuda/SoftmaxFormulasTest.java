package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The softmax kernels' dynamic shared memory is computed by the kernels' header ({@code cuda/softmax_math.h}, which
 * the native tests launch with) and by {@link SoftmaxLaunch} (what Java launches with): this prints the header's
 * numbers for every block size and awkward row lengths (compiled with g++, no GPU) and requires the Java ones, and
 * the version-3 choice at the 48 KiB limit, to follow them.
 */
class SoftmaxFormulasTest {
    private static final int[] ROWS = {1, 2, 3, 77, 1000, 8191, 12253, 12254, 131072};

    @Test
    void sharedMemoryIsTheHeadersOwn(@TempDir Path tmp) throws IOException, InterruptedException {
        StringBuilder nks = new StringBuilder();
        for (int nk : ROWS) {
            nks.append(nks.length() == 0 ? "" : ", ").append(nk);
        }
        String out = HeaderProgram.run(tmp, "softmax_math.h", String.join("\n",
                "    const int nks[] = {" + nks + "};",
                "    for (int t = 32; t <= 1024; t += 32) {",
                "        std::printf(\"stats %d %d\\n\", t, a4j_softmax_smem(t));",
                "        for (int nk : nks) std::printf(\"cached %d %d %lld\\n\", t, nk, a4j_softmax_cached_smem(t, nk));",
                "    }"));
        int stats = 0;
        int cached = 0;
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            int threads = Integer.parseInt(f[1]);
            if (f[0].equals("stats")) {
                assertEquals(Integer.parseInt(f[2]), SoftmaxLaunch.statsSharedMem(threads), "block " + threads);
                stats++;
            } else {
                int nk = Integer.parseInt(f[2]);
                assertEquals(Long.parseLong(f[3]), SoftmaxLaunch.cachedSharedMem(threads, nk),
                        "block " + threads + ", Nk " + nk);
                cached++;
            }
        }
        assertEquals(32, stats, "every block size checked");
        assertEquals(32 * ROWS.length, cached, "every block size and row length checked");
        // The launches themselves: version 3 exactly where the header's number fits 48 KiB.
        for (int nk : ROWS) {
            SoftmaxLaunch l = SoftmaxLaunch.of(1000, nk, 132);
            boolean fits = SoftmaxLaunch.cachedSharedMem(l.block(), nk) <= SoftmaxLaunch.DEFAULT_SHARED_LIMIT;
            assertEquals(fits, l.cached(), "Nk " + nk);
            assertEquals(fits ? SoftmaxLaunch.cachedSharedMem(l.block(), nk) : SoftmaxLaunch.statsSharedMem(l.block()),
                    l.sharedMem(), "Nk " + nk);
        }
    }
}

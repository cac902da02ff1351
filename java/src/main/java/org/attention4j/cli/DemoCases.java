package org.attention4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.attention4j.AttentionOptions;
import org.attention4j.Causal;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;

/**
 * The problems that {@code demo} runs: random self-, cross- and grouped-query decode attention, plus two whose
 * attention maps mean something without trained weights (RoPE position similarity, causal ALiBi decay).
 */
final class DemoCases {
    private DemoCases() {
    }

    /**
     * One heatmap to draw from a case's weights.
     *
     * @param file  file name inside the output directory
     * @param batch batch index of the slice
     * @param head  query head of the slice
     * @param log   whether to use a log colour scale
     * @param what  one line saying what the map shows
     */
    record Map(String file, int batch, int head, boolean log, String what) {
    }

    /**
     * One demo problem.
     *
     * @param name    short name for the table
     * @param q       queries
     * @param k       keys
     * @param v       values
     * @param options options; the demo adds {@code returnWeights} for the checked run
     * @param notes   masks and encodings, for the table
     * @param maps    heatmaps to write
     */
    record Case(String name, Tensor q, Tensor k, Tensor v, AttentionOptions options, String notes, List<Map> maps) {

        /**
         * Floating-point operations of the two matrix products, counting only the (query, key) pairs the causal mask
         * leaves: {@code 2 * B * Hq * pairs * (D + Dv)}, which is {@code 4*B*H*N*N*D} for plain self-attention and
         * about half of it for a square causal one.
         */
        double flops() {
            int b = q.dim(0), h = q.dim(1), nq = q.dim(2), d = q.dim(3), nk = k.dim(2), dv = v.dim(3);
            long pairs = 0;
            for (int i = 0; i < nq; i++) {
                long last;
                if (options.causal() == Causal.BOTTOM_RIGHT) {
                    last = (long) i + nk - nq;
                } else if (options.causal() == Causal.TOP_LEFT) {
                    last = i;
                } else {
                    last = nk - 1L;
                }
                pairs += Math.max(0, Math.min(nk - 1L, last) + 1);
            }
            return 2.0 * b * h * pairs * (d + dv);
        }

        String shapes() {
            return "q" + compact(q) + " k" + compact(k) + " v" + compact(v);
        }
    }

    private static String compact(Tensor t) {
        return Tensor.shapeString(t.shape()).replace(" ", "");
    }

    /** All cases, with inputs drawn from {@code seed}. */
    static List<Case> all(long seed) {
        Random rnd = new Random(seed);
        List<Case> cases = new ArrayList<>();

        cases.add(new Case("self",
                gaussian(rnd, 2, 8, 256, 64), gaussian(rnd, 2, 8, 256, 64), gaussian(rnd, 2, 8, 256, 64),
                AttentionOptions.DEFAULTS, "-",
                List.of(new Map("self_b0_h0.png", 0, 0, true, "self-attention, random Q/K, batch 0 head 0, log"))));

        cases.add(new Case("cross",
                gaussian(rnd, 2, 8, 128, 64), gaussian(rnd, 2, 8, 300, 64), gaussian(rnd, 2, 8, 300, 48),
                AttentionOptions.DEFAULTS, "Nq!=Nk, Dv!=D",
                List.of(new Map("cross_b0_h0.png", 0, 0, true, "cross-attention 128 queries x 300 keys, head 0, log"))));

        // Decoding 4 new tokens against a 1024-entry KV cache: bottom-right causal, so the last new query sees the
        // whole cache and the first sees all but the 3 newest keys; 8 query heads share 2 KV heads.
        cases.add(new Case("decode-gqa",
                gaussian(rnd, 1, 8, 4, 64), gaussian(rnd, 1, 2, 1024, 64), gaussian(rnd, 1, 2, 1024, 64),
                AttentionOptions.builder().causal().rope(Rope.DEFAULT_BASE, RopeStyle.HALF).build(),
                "causal(br), rope half, Hq/Hkv=4",
                List.of(new Map("decode_b0_h0.png", 0, 0, true, "decode: 4 new queries x 1024 cached keys, head 0, log"))));

        // Queries and keys without content (all ones): RoPE alone makes score(m, n) = scale * 2 * sum_t
        // cos((m - n) theta_t), so the map is pure position similarity, a bright band along the diagonal.
        int np = 256, dp = 64;
        cases.add(new Case("rope-position",
                ones(1, 1, np, dp), ones(1, 1, np, dp), positionValues(1, np),
                AttentionOptions.builder().rope(Rope.DEFAULT_BASE, RopeStyle.INTERLEAVED).build(),
                "rope interleaved, Q=K=1",
                List.of(new Map("rope_position_similarity.png", 0, 0, false,
                        "RoPE position similarity: band around the diagonal (content-free Q=K)"),
                        new Map("rope_position_similarity_log.png", 0, 0, true,
                        "the same on a log scale: RoPE's decay with distance |m - n|"))));

        // Zero queries: every score is 0 before the bias, so the weights are pure ALiBi decay under the causal mask.
        int na = 128;
        cases.add(new Case("alibi-causal",
                Tensor.zeros(1, 8, na, 16), Tensor.zeros(1, 8, na, 16), positionValues(8, na),
                AttentionOptions.builder().causal().alibi().build(),
                "causal, alibi 8 heads",
                List.of(new Map("alibi_causal_h0.png", 0, 0, true, "ALiBi slope 1/2 under causal mask, log scale"),
                        new Map("alibi_causal_h7.png", 0, 7, true, "ALiBi slope 1/256 under causal mask, log scale"))));
        return cases;
    }

    private static Tensor gaussian(Random rnd, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rnd.nextGaussian();
        }
        return t;
    }

    private static Tensor ones(int... shape) {
        Tensor t = Tensor.zeros(shape);
        java.util.Arrays.fill(t.data(), 1f);
        return t;
    }

    /** Values that carry the key's position (and its square): the output is the mean attended position. */
    private static Tensor positionValues(int heads, int n) {
        Tensor v = Tensor.zeros(1, heads, n, 2);
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < n; j++) {
                v.set(j, 0, h, j, 0);
                v.set((float) j * j / n, 0, h, j, 1);
            }
        }
        return v;
    }
}

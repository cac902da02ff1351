package org.attention4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link AttentionEngine#decode} with a {@link KvCache}: prefilling the cache and decoding token by token (and a
 * few tokens at a time) gives, for every new token, the row of full causal attention over the whole sequence,
 * with RoPE, ALiBi, windows and grouped heads, for batch entries of different lengths.
 */
class DecodeTest {

    @ParameterizedTest(name = "{0} Hq={1} Hkv={2} D={3} options #{4}")
    @CsvSource({
            "REFERENCE, 4, 2, 8, 0",
            "REFERENCE, 2, 1, 6, 1",
            "REFERENCE, 3, 3, 4, 2",
            "CPU, 4, 2, 8, 0",
            "CPU, 8, 2, 16, 1",
            "CPU, 4, 1, 10, 2",
    })
    void stepByStepEqualsFullCausalAttention(Backend backend, int hq, int hkv, int d, int which) {
        int bN = 3, dv = d + 1;
        int[] prefill = {9, 4, 0};
        int[] steps = {1, 3, 1, 16, 2, 1};       // new tokens per decode step (the same for every entry)
        int[] total = new int[bN];
        int added = 0;
        for (int s : steps) {
            added += s;
        }
        for (int b = 0; b < bN; b++) {
            total[b] = prefill[b] + added;
        }
        long seed = 7L * which + hq + d;
        Tensor[] q = new Tensor[bN];
        Tensor[] k = new Tensor[bN];
        Tensor[] v = new Tensor[bN];
        for (int b = 0; b < bN; b++) {
            q[b] = Ref.random(seed + 10 * b, 1, hq, total[b], d);
            k[b] = Ref.random(seed + 10 * b + 1, 1, hkv, total[b], d);
            v[b] = Ref.random(seed + 10 * b + 2, 1, hkv, total[b], dv);
        }
        AttentionOptions.Builder o = AttentionOptions.builder().causal().returnLse(true);
        switch (which) {
            case 0:
                o.rope(10000, RopeStyle.HALF);
                break;
            case 1:
                o.rope(500, RopeStyle.INTERLEAVED).alibi().scale(0.3);
                break;
            default:
                o.window(4, -1).alibi();
        }
        AttentionOptions opts = o.build();
        try (AttentionEngine e = AttentionEngine.create(backend);
             KvCache cache = e.newKvCache(bN, hkv, 40, d, dv)) {
            assertTrue(cache instanceof HostKvCache, "CPU backends keep the cache on the host");
            Tensor[] full = new Tensor[bN];
            Tensor[] fullLse = new Tensor[bN];
            for (int b = 0; b < bN; b++) {
                AttentionResult r = e.attention(q[b], k[b], v[b], opts);
                full[b] = r.output();
                fullLse[b] = r.logSumExp().orElseThrow();
            }
            int maxPrefill = 9;
            cache.append(tokens(k, 0, maxPrefill), tokens(v, 0, maxPrefill), prefill);
            assertArrayEquals(prefill, cache.lengths());
            int[] pos = prefill.clone();
            for (int n : steps) {
                cache.append(tokens(k, pos, n), tokens(v, pos, n));
                AttentionResult r = e.decode(tokens(q, pos, n), cache, opts);
                for (int b = 0; b < bN; b++) {
                    assertEquals(pos[b] + n, cache.length(b));
                    for (int h = 0; h < hq; h++) {
                        for (int i = 0; i < n; i++) {
                            String what = backend + " " + opts + " entry " + b + " head " + h + " token " + (pos[b] + i);
                            for (int c = 0; c < dv; c++) {
                                float want = full[b].get(0, h, pos[b] + i, c);
                                float got = r.output().get(b, h, i, c);
                                assertTrue(Math.abs(want - got) <= 1e-5, what + " out[" + c + "] " + got + " vs "
                                        + want);
                            }
                            float wl = fullLse[b].get(0, h, pos[b] + i);
                            float gl = r.logSumExp().orElseThrow().get(b, h, i);
                            assertTrue(Math.abs(wl - gl) <= 1e-5 * (1 + Math.abs(wl)), what + " lse " + gl + " vs "
                                    + wl);
                        }
                    }
                    pos[b] += n;
                }
            }
            assertArrayEquals(total, cache.lengths());
        }
    }

    /** Tokens {@code from[b] .. from[b]+n-1} of every entry as {@code [B, H, n, X]}. */
    static Tensor tokens(Tensor[] perEntry, int[] from, int n) {
        int bN = perEntry.length, h = perEntry[0].dim(1), x = perEntry[0].dim(3);
        Tensor t = Tensor.zeros(bN, h, n, x);
        for (int b = 0; b < bN; b++) {
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < n; i++) {
                    int src = from[b] + i;
                    for (int c = 0; c < x; c++) {
                        t.set(src < perEntry[b].dim(2) ? perEntry[b].get(0, hh, src, c) : Float.NaN, b, hh, i, c);
                    }
                }
            }
        }
        return t;
    }

    static Tensor tokens(Tensor[] perEntry, int from, int n) {
        return tokens(perEntry, new int[] {from, from, from}, n);
    }

    @Test
    void decodeOfOneTokenOverItsOwnKeyIsItsValue() {
        try (AttentionEngine e = AttentionEngine.create(Backend.CPU);
             KvCache cache = e.newKvCache(1, 1, 4, 2, 3)) {
            cache.append(Tensor.of(new float[] {1, 2}, 1, 1, 1, 2), Tensor.of(new float[] {5, 6, 7}, 1, 1, 1, 3));
            AttentionResult r = e.decode(Tensor.of(new float[] {0.5f, -1}, 1, 1, 1, 2), cache,
                    AttentionOptions.builder().causal().rope(10000, RopeStyle.HALF).returnLse(true).build());
            Ref.assertClose(new double[] {5, 6, 7}, r.output().data(), 1e-6, "output");
            // One key at position 0, one query at position 0: the score is q.k / sqrt(2) unrotated.
            Ref.assertClose(new double[] {(0.5 - 2) / Math.sqrt(2)}, r.logSumExp().orElseThrow().data(), 1e-6, "lse");
            cache.clear();
            assertEquals(0, cache.length(0));
            AttentionResult empty = e.decode(Tensor.of(new float[] {0.5f, -1}, 1, 1, 1, 2), cache,
                    AttentionOptions.builder().returnLse(true).build());
            Ref.assertClose(new double[] {0, 0, 0}, empty.output().data(), 0, "no keys: output 0");
            assertEquals(Float.NEGATIVE_INFINITY, empty.logSumExp().orElseThrow().data()[0]);
        }
    }

    @Test
    void overflowAndBadInputNameTheSizes() {
        SplittableRandom rnd = new SplittableRandom(3);
        try (AttentionEngine e = AttentionEngine.create(Backend.REFERENCE);
             KvCache cache = e.newKvCache(2, 2, 5, 4, 4)) {
            cache.append(Tensor.zeros(2, 2, 4, 4), Tensor.zeros(2, 2, 4, 4), new int[] {4, 1});
            bad(() -> cache.append(Tensor.zeros(2, 2, 2, 4), Tensor.zeros(2, 2, 2, 4)),
                    "appending 2 tokens to batch entry 0 at length 4 exceeds the KV cache capacity 5");
            assertArrayEquals(new int[] {4, 1}, cache.lengths(), "a refused append changes nothing");
            bad(() -> cache.append(Tensor.zeros(2, 1, 1, 4), Tensor.zeros(2, 1, 1, 4)), "kNew must be [B=2, Hkv=2");
            bad(() -> cache.append(Tensor.zeros(2, 2, 1, 4), Tensor.zeros(2, 2, 2, 4)), "vNew must be");
            bad(() -> cache.append(Tensor.zeros(2, 2, 1, 4), Tensor.zeros(2, 2, 1, 4), new int[] {2, 0}),
                    "counts[0]=2 is outside [0, Nnew=1]");
            bad(() -> cache.append(Tensor.zeros(2, 2, 1, 4), Tensor.zeros(2, 2, 1, 4), new int[] {1}), "counts has 1");
            Tensor q = Ref.random(rnd.nextLong(), 2, 4, 1, 4);
            AttentionOptions none = AttentionOptions.DEFAULTS;
            bad(() -> e.decode(Ref.random(1, 2, 4, 17, 4), cache, none), "1 to 16 new queries, got Nq=17");
            bad(() -> e.decode(Ref.random(1, 3, 4, 1, 4), cache, none), "batch B of q (3)");
            bad(() -> e.decode(Ref.random(1, 2, 4, 1, 6), cache, none), "head dim D of q (6)");
            bad(() -> e.decode(Ref.random(1, 2, 3, 1, 4), cache, none), "Hkv=2");
            bad(() -> e.decode(q, cache, AttentionOptions.builder().kvLengths(1, 1).build()), "kvLengths");
            bad(() -> e.decode(q, cache, AttentionOptions.builder().returnWeights(true).build()), "weights");
            bad(() -> e.decode(q, cache, AttentionOptions.builder()
                    .mask(AttentionMask.ofBoolean(new boolean[] {true}, 1)).build()), "mask");
            bad(() -> e.decode(q, cache, AttentionOptions.builder()
                    .rope(new Rope(1e4, RopeStyle.HALF, new int[] {3}, null)).build()), "explicit positions");
            assertEquals(2, e.decode(q, cache, none).output().dim(0));
            bad(() -> e.newKvCache(1, 0, 5, 4, 4), "every dimension must be >= 1");
        }
        KvCache closed = new HostKvCache(1, 1, 1, 1, 1);
        closed.close();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.append(Tensor.zeros(1, 1, 1, 1),
                Tensor.zeros(1, 1, 1, 1)));
        try (AttentionEngine e = AttentionEngine.create(Backend.CPU)) {
            bad(() -> e.decode(Tensor.zeros(1, 1, 1, 1), closed, null), "cache is closed");
        }
    }

    private static void bad(Executable call, String fragment) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, call);
        assertTrue(x.getMessage().contains(fragment), "message '" + x.getMessage() + "' lacks '" + fragment + "'");
    }
}

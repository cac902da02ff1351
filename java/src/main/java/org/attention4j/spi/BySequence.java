package org.attention4j.spi;

import java.util.Arrays;

import org.attention4j.AttentionResult;
import org.attention4j.HostKvCache;
import org.attention4j.Tensor;

/**
 * Packed-sequence and decode calls computed exactly by any backend, one ordinary problem per sequence or batch
 * entry: the default of {@link AttentionBackend#computeVarlen} and {@link AttentionBackend#decode}, and the
 * fallback of backends whose fused kernels do not cover an option.
 */
public final class BySequence {
    private BySequence() {
    }

    /** Packed sequences: each sequence sliced out, computed by {@code backend}, and written back packed. */
    public static AttentionResult varlen(AttentionBackend backend, VarlenProblem p) {
        int hq = p.heads(), dv = p.valueDim();
        float[] out = new float[p.totalQ() * hq * dv];
        float[] lse = p.options().returnLse() ? new float[p.totalQ() * hq] : null;
        int[] cuQ = p.cuSeqlensQ();
        for (int b = 0; b < p.batch(); b++) {
            int nq = p.nq(b);
            if (nq == 0) {
                continue;
            }
            AttentionResult r = backend.compute(p.sequence(b));
            VarlenProblem.pack(r.output().data(), hq, nq, dv, out, cuQ[b]);
            if (lse != null) {
                VarlenProblem.pack(r.logSumExp().orElseThrow().data(), hq, nq, 1, lse, cuQ[b]);
            }
        }
        return new AttentionResult(Tensor.of(out, p.totalQ(), hq, dv), null,
                lse == null ? null : Tensor.of(lse, p.totalQ(), hq), backend.kind());
    }

    /**
     * A decode step over a {@link HostKvCache}: batch entry {@code b} as the problem of its queries over its
     * {@code L_b} cached keys.
     *
     * @throws IllegalArgumentException when the cache is not a host cache
     */
    public static AttentionResult decode(AttentionBackend backend, DecodeProblem p) {
        if (!(p.cache() instanceof HostKvCache)) {
            throw new IllegalArgumentException("cache " + p.cache() + " does not live on the host; decode it with the "
                    + "engine that made it");
        }
        HostKvCache cache = (HostKvCache) p.cache();
        int bN = p.batch(), hq = p.heads(), nq = p.nq(), d = p.dim(), dv = cache.valueDim();
        float[] out = new float[bN * hq * nq * dv];
        float[] lse = p.options().returnLse() ? new float[bN * hq * nq] : null;
        float[] q = p.q().data();
        int per = hq * nq * d;
        for (int b = 0; b < bN; b++) {
            Tensor qb = Tensor.of(Arrays.copyOfRange(q, b * per, (b + 1) * per), 1, hq, nq, d);
            Tensor kb = keys(cache, b, p.length(b), true);
            Tensor vb = keys(cache, b, p.length(b), false);
            AttentionResult r = backend.compute(AttentionProblem.of(qb, kb, vb, p.options()));
            System.arraycopy(r.output().data(), 0, out, b * hq * nq * dv, hq * nq * dv);
            if (lse != null) {
                System.arraycopy(r.logSumExp().orElseThrow().data(), 0, lse, b * hq * nq, hq * nq);
            }
        }
        return new AttentionResult(Tensor.of(out, bN, hq, nq, dv), null,
                lse == null ? null : Tensor.of(lse, bN, hq, nq), backend.kind());
    }

    /** The cached keys (or values) of entry {@code b}, cut to the length the problem saw. */
    private static Tensor keys(HostKvCache cache, int b, int length, boolean keys) {
        Tensor t = keys ? cache.keys(b) : cache.values(b);
        if (t.dim(2) == length) {
            return t;
        }
        // Another thread appended since validation: attend to what the call was validated against.
        int x = t.dim(3), h = t.dim(1), now = t.dim(2);
        if (now < length) {
            throw new IllegalStateException("cache " + cache + " was cleared while a decode step read it");
        }
        Tensor cut = Tensor.zeros(1, h, length, x);
        for (int hh = 0; hh < h; hh++) {
            System.arraycopy(t.data(), hh * now * x, cut.data(), hh * length * x, length * x);
        }
        return cut;
    }
}

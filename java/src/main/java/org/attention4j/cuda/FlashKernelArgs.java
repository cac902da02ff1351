package org.attention4j.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * The parameter lists of the fused kernels (cuda/README.md, "Fused attention (issue 4)"), typed and in the
 * order of their C signatures, built by name here so that {@code FlashKernelAbiTest} can compare them with the
 * compiled PTX.
 */
final class FlashKernelArgs {
    private FlashKernelArgs() {
    }

    /**
     * The common tail {@code FLASHARGS} of the forward and weights kernels; pointers may be null (absent).
     */
    record Flash(int batch, int heads, int kvHeads, int nq, int nk, int dim, float scale, int causal, int windowLeft,
                 int windowRight, CUdeviceptr kvLengths, CUdeviceptr diagonals, CUdeviceptr alibiSlopes,
                 CUdeviceptr cuSeqlensQ, CUdeviceptr cuSeqlensK) {

        KernelArgs appendTo(KernelArgs a) {
            return a.i32(batch).i32(heads).i32(kvHeads).i32(nq).i32(nk).i32(dim).f32(scale).i32(causal)
                    .i32(windowLeft).i32(windowRight).ptr(kvLengths).ptr(diagonals).ptr(alibiSlopes).ptr(cuSeqlensQ)
                    .ptr(cuSeqlensK);
        }
    }

    /** The tail {@code DECODEARGS} of the decode split kernel. */
    record Decode(CUdeviceptr cacheSeqlens, int batch, int heads, int kvHeads, int nq, int capacity, int dim,
                  float scale, int causal, int windowLeft, int windowRight, CUdeviceptr alibiSlopes, int numSplits) {

        KernelArgs appendTo(KernelArgs a) {
            return a.ptr(cacheSeqlens).i32(batch).i32(heads).i32(kvHeads).i32(nq).i32(capacity).i32(dim).f32(scale)
                    .i32(causal).i32(windowLeft).i32(windowRight).ptr(alibiSlopes).i32(numSplits);
        }
    }

    /** {@code a4j_flash_fwd_v1_<T>} and {@code a4j_flash_fwd_v2_<T>_d<DP>(Q, K, V, O, lse, FLASHARGS)}. */
    static KernelArgs forward(CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr o, CUdeviceptr lse, Flash f) {
        return f.appendTo(new KernelArgs().ptr(q).ptr(k).ptr(v).ptr(o).ptr(lse));
    }

    /** {@code a4j_flash_weights_<T>(Q, K, lse, P, FLASHARGS)}. */
    static KernelArgs weights(CUdeviceptr q, CUdeviceptr k, CUdeviceptr lse, CUdeviceptr p, Flash f) {
        return f.appendTo(new KernelArgs().ptr(q).ptr(k).ptr(lse).ptr(p));
    }

    /** {@code a4j_flash_decode_split_<T>(Q, Kcache, Vcache, partO, partLse, DECODEARGS)}. */
    static KernelArgs decodeSplit(CUdeviceptr q, CUdeviceptr kCache, CUdeviceptr vCache, CUdeviceptr partO,
                                  CUdeviceptr partLse, Decode d) {
        return d.appendTo(new KernelArgs().ptr(q).ptr(kCache).ptr(vCache).ptr(partO).ptr(partLse));
    }

    /** {@code a4j_flash_decode_combine_<T>(partO, partLse, O, lse, rows, numSplits, D)}. */
    static KernelArgs combine(CUdeviceptr partO, CUdeviceptr partLse, CUdeviceptr o, CUdeviceptr lse, long rows,
                              int numSplits, int dim) {
        return new KernelArgs().ptr(partO).ptr(partLse).ptr(o).ptr(lse).i64(rows).i32(numSplits).i32(dim);
    }

    /** {@code a4j_lse_merge_<T>(partO, partLse, O, lse, rows, S, Dv)}. */
    static KernelArgs merge(CUdeviceptr partO, CUdeviceptr partLse, CUdeviceptr o, CUdeviceptr lse, long rows,
                            int shards, int valueDim) {
        return new KernelArgs().ptr(partO).ptr(partLse).ptr(o).ptr(lse).i64(rows).i32(shards).i32(valueDim);
    }

    /** {@code a4j_kv_append_<T>(Knew, Vnew, Kcache, Vcache, cacheSeqlens, newLens, B, Hkv, Nnew, capacity, D)}. */
    static KernelArgs append(CUdeviceptr kNew, CUdeviceptr vNew, CUdeviceptr kCache, CUdeviceptr vCache,
                             CUdeviceptr cacheSeqlens, CUdeviceptr newLens, int batch, int kvHeads, int nNew,
                             int capacity, int dim) {
        return new KernelArgs().ptr(kNew).ptr(vNew).ptr(kCache).ptr(vCache).ptr(cacheSeqlens).ptr(newLens)
                .i32(batch).i32(kvHeads).i32(nNew).i32(capacity).i32(dim);
    }

    /** {@code a4j_kv_advance(cacheSeqlens, newLens, B, Nnew, capacity)}. */
    static KernelArgs advance(CUdeviceptr cacheSeqlens, CUdeviceptr newLens, int batch, int nNew, int capacity) {
        return new KernelArgs().ptr(cacheSeqlens).ptr(newLens).i32(batch).i32(nNew).i32(capacity);
    }
}

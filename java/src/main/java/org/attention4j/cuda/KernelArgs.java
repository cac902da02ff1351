package org.attention4j.cuda;

import java.util.ArrayList;
import java.util.List;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * The parameter list of one kernel launch, typed, in the order of the kernel's C signature (cuda/README.md), for
 * both paths' kernels. Building the lists here, by name, keeps them in one place and lets a test
 * ({@code KernelAbiTest}, {@code FlashKernelAbiTest}) compare their types with the {@code .param} lists of the
 * compiled PTX, so that a change of ABI on either side fails on the CPU.
 */
final class KernelArgs {
    /** The PTX type of each parameter: u32 (int), u64 (long long or pointer), f32. */
    private final List<String> types = new ArrayList<>();
    private final List<Pointer> values = new ArrayList<>();

    KernelArgs ptr(CUdeviceptr p) {
        types.add("u64");
        values.add(Pointer.to(p == null ? new CUdeviceptr() : p));
        return this;
    }

    KernelArgs i32(int v) {
        types.add("u32");
        values.add(Pointer.to(new int[] {v}));
        return this;
    }

    KernelArgs i64(long v) {
        types.add("u64");
        values.add(Pointer.to(new long[] {v}));
        return this;
    }

    KernelArgs f32(float v) {
        types.add("f32");
        values.add(Pointer.to(new float[] {v}));
        return this;
    }

    /** The PTX parameter types, for the ABI test. */
    List<String> types() {
        return List.copyOf(types);
    }

    /** The values as cuLaunchKernel's kernelParams entries. */
    Pointer[] values() {
        return values.toArray(new Pointer[0]);
    }

    /**
     * The softmax kernels' common tail (MASKARGS); pointers may be null (absent).
     *
     * @param strides the mask's four element strides (ignored without a mask)
     */
    record Mask(int batch, int heads, int nq, int nk, float scale, int causal, int windowLeft, int windowRight,
                CUdeviceptr kvLengths, CUdeviceptr diagonals, CUdeviceptr boolMask, CUdeviceptr floatMask,
                long[] strides, CUdeviceptr alibiSlopes) {

        KernelArgs appendTo(KernelArgs a) {
            a.i32(batch).i32(heads).i32(nq).i32(nk).f32(scale).i32(causal).i32(windowLeft).i32(windowRight)
                    .ptr(kvLengths).ptr(diagonals).ptr(boolMask).ptr(floatMask);
            for (int i = 0; i < 4; i++) {
                a.i64(strides == null ? 0 : strides[i]);
            }
            return a.ptr(alibiSlopes);
        }
    }

    /** {@code a4j_softmax_<T>(S, P, lse, MASKARGS)}. */
    static KernelArgs softmax(CUdeviceptr s, CUdeviceptr p, CUdeviceptr lse, Mask m) {
        return m.appendTo(new KernelArgs().ptr(s).ptr(p).ptr(lse));
    }

    /** {@code a4j_softmax_split_stats(S, partial, chunkLen, MASKARGS)}. */
    static KernelArgs splitStats(CUdeviceptr s, CUdeviceptr partial, int chunkLen, Mask m) {
        return m.appendTo(new KernelArgs().ptr(s).ptr(partial).i32(chunkLen));
    }

    /** {@code a4j_softmax_split_finish_<T>(S, P, lse, partial, chunkLen, MASKARGS)}. */
    static KernelArgs splitFinish(CUdeviceptr s, CUdeviceptr p, CUdeviceptr lse, CUdeviceptr partial, int chunkLen,
                                  Mask m) {
        return m.appendTo(new KernelArgs().ptr(s).ptr(p).ptr(lse).ptr(partial).i32(chunkLen));
    }

    /**
     * {@code a4j_rope_<T>(x, B, H, N, D, R, style, freq, factor, posOffset, positions, positionsBatchStride)};
     * {@code freq} is {@link RopeFrequencies#packed}.
     */
    static KernelArgs rope(CUdeviceptr x, int b, int h, int n, int d, int r, int style, CUdeviceptr freq,
                           float factor, int posOffset, CUdeviceptr positions, int positionsBatchStride) {
        return new KernelArgs().ptr(x).i32(b).i32(h).i32(n).i32(d).i32(r).i32(style).ptr(freq).f32(factor)
                .i32(posOffset).ptr(positions).i32(positionsBatchStride);
    }

    /** {@code a4j_<from>_to_<to>(in, out, n)}. */
    static KernelArgs convert(CUdeviceptr in, CUdeviceptr out, long n) {
        return new KernelArgs().ptr(in).ptr(out).i64(n);
    }

    // ---- the fused kernels (cuda/README.md, "Fused attention (issue 4)") ----

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

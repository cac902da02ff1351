package org.attention4j.cuda;

import java.util.ArrayList;
import java.util.List;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * The parameter list of one kernel launch, typed, in the order of the kernel's C signature (cuda/README.md).
 * Building the lists here, by name, keeps them in one place and lets a test compare their types with the
 * {@code .param} lists of the compiled PTX, so that a change of ABI on either side fails on the CPU.
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
}

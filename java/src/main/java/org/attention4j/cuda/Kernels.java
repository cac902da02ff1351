package org.attention4j.cuda;

import java.util.EnumMap;
import java.util.Map;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The kernels this backend launches, resolved by name from the loaded fatbin (names and signatures:
 * cuda/README.md). CUfunction handles belong to the primary context, which every worker thread makes current,
 * so one set serves all threads.
 */
final class Kernels {
    private final Map<DType, CUfunction> softmax = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> softmaxCached = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> splitFinish = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> rope = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> fromF32 = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> toF32 = new EnumMap<>(DType.class);
    final CUfunction splitStats;

    Kernels(CUmodule module) {
        for (DType t : DType.values()) {
            String s = suffix(t);
            softmax.put(t, function(module, "a4j_softmax_" + s));
            softmaxCached.put(t, function(module, "a4j_softmax_cached_" + s));
            splitFinish.put(t, function(module, "a4j_softmax_split_finish_" + s));
            rope.put(t, function(module, "a4j_rope_" + s));
            if (t != DType.FP32) {
                fromF32.put(t, function(module, "a4j_f32_to_" + s));
                toF32.put(t, function(module, "a4j_" + s + "_to_f32"));
            }
        }
        splitStats = function(module, "a4j_softmax_split_stats");
    }

    static String suffix(DType t) {
        switch (t) {
            case FP32:
                return "f32";
            case FP16:
                return "f16";
            case BF16:
                return "bf16";
            default:
                throw new AssertionError(t);
        }
    }

    private static CUfunction function(CUmodule module, String name) {
        CUfunction f = new CUfunction();
        JCudaDriver.cuModuleGetFunction(f, module, name);
        return f;
    }

    /** Version 1 or, where the launch says so, version 3 (the row cached in shared memory). */
    CUfunction softmax(DType p, SoftmaxLaunch l) {
        return l.cached() ? softmaxCached.get(p) : softmax.get(p);
    }

    CUfunction splitFinish(DType p) {
        return splitFinish.get(p);
    }

    CUfunction rope(DType x) {
        return rope.get(x);
    }

    /** fp32 to {@code t} (not for FP32). */
    CUfunction fromF32(DType t) {
        return fromF32.get(t);
    }

    /** {@code t} to fp32 (not for FP32). */
    CUfunction toF32(DType t) {
        return toF32.get(t);
    }

    /** Launches {@code f} on {@code stream} with the given kernel arguments (each a {@code Pointer.to(...)}). */
    static void launch(CUfunction f, int gridX, int gridY, int block, int sharedMem, CUstream stream,
                       Pointer... args) {
        JCudaDriver.cuLaunchKernel(f, gridX, gridY, 1, block, 1, 1, sharedMem, stream, Pointer.to(args), null);
    }

    /** Grid x for an elementwise kernel of 256-thread blocks over {@code n} items (grid-strided beyond 2^31-1). */
    static int elementwiseGrid(long n) {
        return (int) Math.max(1, Math.min((n + 255) / 256, Integer.MAX_VALUE));
    }
}

package org.attention4j.cuda;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jcuda.CudaException;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The one table of the kernels this backend launches, resolved by name from the loaded fatbin (names and
 * signatures: cuda/README.md): the cuBLAS path's softmax, RoPE and conversion kernels when the module loads, the
 * fused kernels (issue 4) on first use. A fatbin built before the fused kernels existed simply lacks them:
 * {@link #fusedPresent()} is then false and the cuBLAS path serves every call. Fused functions that need more than
 * 48 KiB of dynamic shared memory get the opt-in attribute once, at the largest size launched so far. CUfunction
 * handles belong to the primary context, which every worker thread makes current, so one set serves all threads.
 */
final class Kernels {
    /** A fused kernel every build with the fused kernels has. */
    static final String FUSED_PROBE = "a4j_flash_fwd_v1_f32";

    private final CUmodule module;
    private final boolean fusedPresent;
    private final Map<String, CUfunction> byName = new ConcurrentHashMap<>();
    private final Map<CUfunction, Integer> sharedOptIn = new ConcurrentHashMap<>();
    private final Map<DType, CUfunction> softmax = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> softmaxCached = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> splitFinish = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> rope = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> fromF32 = new EnumMap<>(DType.class);
    private final Map<DType, CUfunction> toF32 = new EnumMap<>(DType.class);
    final CUfunction splitStats;

    Kernels(CUmodule module) {
        this.module = module;
        for (DType t : DType.values()) {
            String s = suffix(t);
            softmax.put(t, required(module, "a4j_softmax_" + s));
            splitFinish.put(t, required(module, "a4j_softmax_split_finish_" + s));
            rope.put(t, required(module, "a4j_rope_" + s));
            if (t != DType.FP32) {
                fromF32.put(t, required(module, "a4j_f32_to_" + s));
                toF32.put(t, required(module, "a4j_" + s + "_to_f32"));
            }
        }
        splitStats = required(module, "a4j_softmax_split_stats");
        fusedPresent = find(FUSED_PROBE) != null;
        for (DType t : DType.values()) {
            CUfunction cached = find("a4j_softmax_cached_" + suffix(t));   // optional: added after the first ABI
            if (cached != null) {
                softmaxCached.put(t, cached);
            }
        }
    }

    /** Whether the fatbin has the fused kernels. */
    boolean fusedPresent() {
        return fusedPresent;
    }

    /** The function {@code name}, or null when the fatbin lacks it. */
    CUfunction find(String name) {
        CUfunction f = byName.get(name);
        if (f != null) {
            return f;
        }
        CUfunction g = new CUfunction();
        try {
            JCudaDriver.cuModuleGetFunction(g, module, name);
        } catch (CudaException e) {
            return null;
        }
        byName.put(name, g);
        return g;
    }

    /** The fused function of {@code launch}, with its shared-memory opt-in applied. */
    CUfunction function(FlashLaunch launch) {
        CUfunction f = find(launch.function());
        if (f == null) {
            throw new IllegalStateException("kernel " + launch.function() + " is not in the fatbin; rebuild the "
                    + "kernels (cuda/build.sh)");
        }
        if (launch.needsSharedOptIn()) {
            sharedOptIn.compute(f, (fn, had) -> {
                if (had == null || had < launch.sharedMem()) {
                    JCudaDriver.cuFuncSetAttribute(fn,
                            CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, launch.sharedMem());
                    return launch.sharedMem();
                }
                return had;
            });
        }
        return f;
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

    /** A kernel the fatbin must have. */
    private static CUfunction required(CUmodule module, String name) {
        CUfunction f = new CUfunction();
        JCudaDriver.cuModuleGetFunction(f, module, name);
        return f;
    }

    /**
     * Version 1 or, where the launch says so, version 3 (the row cached in shared memory); version 1 where the
     * fatbin predates version 3 (the launch's larger shared memory is then merely unused).
     */
    CUfunction softmax(DType p, SoftmaxLaunch l) {
        return l.cached() ? softmaxCached.getOrDefault(p, softmax.get(p)) : softmax.get(p);
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

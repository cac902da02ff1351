package org.attention4j.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jcuda.CudaException;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The fused kernels of the loaded fatbin, resolved by name on first use (cuda/README.md, "Fused attention (issue
 * 4)"). A fatbin built before they existed simply lacks them: {@link #present()} is then false and the cuBLAS path
 * serves every call. Functions that need more than 48 KiB of dynamic shared memory get the opt-in attribute once,
 * at the largest size launched so far.
 */
final class FlashKernels {
    /** A kernel every build with the fused kernels has. */
    static final String PROBE = "a4j_flash_fwd_v1_f32";

    private final CUmodule module;
    private final boolean present;
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final Map<CUfunction, Integer> sharedOptIn = new ConcurrentHashMap<>();

    FlashKernels(CUmodule module) {
        this.module = module;
        this.present = find(PROBE) != null;
    }

    /** Whether the fatbin has the fused kernels. */
    boolean present() {
        return present;
    }

    /** The function {@code name}, or null when the fatbin lacks it. */
    CUfunction find(String name) {
        CUfunction f = functions.get(name);
        if (f != null) {
            return f;
        }
        CUfunction g = new CUfunction();
        try {
            JCudaDriver.cuModuleGetFunction(g, module, name);
        } catch (CudaException e) {
            return null;
        }
        functions.put(name, g);
        return g;
    }

    /** The function of {@code launch}, with its shared-memory opt-in applied. */
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
}

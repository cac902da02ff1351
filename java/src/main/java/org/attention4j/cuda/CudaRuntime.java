package org.attention4j.cuda;

import org.attention4j.AttentionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jcuda.CudaException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.runtime.JCuda;

/**
 * The process-wide CUDA state of one device: its primary context (retained once and kept for the life of the
 * JVM, so that device tensors stay valid whichever engine made them), the loaded kernels, the caching allocator
 * and the pool of workers. Created on first use, after {@link CudaSupport#probe()} said yes.
 */
final class CudaRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(CudaRuntime.class);
    private static CudaRuntime instance;

    final CUcontext context = new CUcontext();
    /** Every kernel of the fatbin, the fused ones (possibly absent from an older fatbin) included. */
    final Kernels kernels;
    final int multiprocessors;
    /** Null when cuBLAS loaded, else why not: then the fused path alone runs ({@link PathChoice}). */
    final String cublasMissing;
    /** The compute capability's major version (fused v2 needs 8 or more). */
    final int computeMajor;
    final CachingAllocator<CUdeviceptr> allocator;
    final WorkerPool workers;
    final Transfers transfers;

    /** The runtime, started on first call. */
    static synchronized CudaRuntime get() {
        if (instance == null) {
            CudaSupport.requireUsable();
            instance = new CudaRuntime(CudaProbe.deviceOrdinal());
        }
        return instance;
    }

    private CudaRuntime(int ordinal) {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            cublasMissing = CudaSupport.cublasMissing();
            if (cublasMissing == null) {
                // Touching a JCuda class whose initialisation failed would throw NoClassDefFoundError.
                JCuda.setExceptionsEnabled(true);
                JCublas2.setExceptionsEnabled(true);
            }
            JCudaDriver.cuInit(0);
            CUdevice device = new CUdevice();
            JCudaDriver.cuDeviceGet(device, ordinal);
            JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
            JCudaDriver.cuCtxSetCurrent(context);
            CUmodule module = new CUmodule();
            JCudaDriver.cuModuleLoadData(module, KernelResources.fatbin());
            kernels = new Kernels(module);
            int[] sms = {0};
            JCudaDriver.cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
            multiprocessors = sms[0];
            int[] major = {0};
            JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                    device);
            computeMajor = major[0];
        } catch (CudaException e) {
            throw new AttentionException("CUDA backend failed to start on device " + ordinal + ": " + e.getMessage()
                    + (e.getMessage() != null && e.getMessage().contains("NO_BINARY")
                    ? " (the fatbin has no code for this GPU: rebuild the kernels with its sm_ target)" : ""), e);
        }
        allocator = new CachingAllocator<>(new CudaDeviceMemory(context));
        long staging = CudaSettings.stagingBytes();
        workers = new WorkerPool(context, staging, cublasMissing == null);
        transfers = new Transfers(staging);
        LOG.info("CUDA backend started: {}", CudaSupport.probe().detail());
    }
}

package org.attention4j.cuda;

import jcuda.CudaException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * {@code cuMemAlloc}/{@code cuMemFree} in the backend's context. The context is made current first because the
 * caller may be any thread, including the Cleaner's.
 */
final class CudaDeviceMemory implements DeviceMemory<CUdeviceptr> {
    private final CUcontext context;

    CudaDeviceMemory(CUcontext context) {
        this.context = context;
    }

    @Override
    public CUdeviceptr allocate(long bytes) {
        JCudaDriver.cuCtxSetCurrent(context);
        CUdeviceptr p = new CUdeviceptr();
        try {
            JCudaDriver.cuMemAlloc(p, bytes);
        } catch (CudaException e) {
            if (CudaErrors.isOutOfMemory(e)) {
                throw new DeviceOutOfMemoryException("cuMemAlloc(" + bytes + ")", e);
            }
            throw e;
        }
        return p;
    }

    @Override
    public void free(CUdeviceptr block) {
        JCudaDriver.cuCtxSetCurrent(context);
        JCudaDriver.cuMemFree(block);
    }

    @Override
    public long[] deviceMemoryInfo() {
        JCudaDriver.cuCtxSetCurrent(context);
        long[] free = {0};
        long[] total = {0};
        JCudaDriver.cuMemGetInfo(free, total);
        return new long[] {free[0], total[0]};
    }
}

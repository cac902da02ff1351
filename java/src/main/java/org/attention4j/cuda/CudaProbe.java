package org.attention4j.cuda;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import jcuda.CudaException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.JCuda;

/**
 * Finds out whether the CUDA backend can run here: the JCuda driver binding and {@code libcuda.so.1}, a device,
 * the packaged kernels, and (for the cuBLAS path only) the JCublas binding and {@code libcublas.so.12}. Every
 * check runs, so the detail names everything that is missing at once. Without cuBLAS the backend still runs,
 * on the fused kernels alone ({@link PathChoice}): calls they cannot take (masks, {@code Dv != D}, D over 256)
 * then fail with the reason. Loading a JCuda binding whose system library is absent raises
 * {@link UnsatisfiedLinkError}; that and {@link CudaException} are the only failures caught.
 */
final class CudaProbe {
    /** The oldest compute capability the fatbin has code for (sm_75). */
    static final int MIN_CC = 75;

    private CudaProbe() {
    }

    /** The device ordinal, from {@code attention4j.cuda.device} (default 0). */
    static int deviceOrdinal() {
        String s = System.getProperty("attention4j.cuda.device", "0").trim();
        try {
            int d = Integer.parseInt(s);
            if (d < 0) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property attention4j.cuda.device must be an integer >= 0, got '"
                    + s + "'");
        }
    }

    /**
     * What the probe found.
     *
     * @param availability  whether the backend can run, and the detail
     * @param cublasMissing null when cuBLAS loaded, else why not (the backend then runs the fused path alone)
     */
    record Result(CudaSupport.Availability availability, String cublasMissing) {
    }

    /**
     * The verdict from what the checks found (a pure function, tested without a GPU).
     *
     * @param missing       what the backend cannot run without (driver, device, kernels, a failed start)
     * @param cublasMissing null when cuBLAS loaded, else why not
     * @param found         the device and the kernels' nvcc, for a usable verdict
     */
    static Result verdict(List<String> missing, String cublasMissing, String found) {
        if (!missing.isEmpty()) {
            List<String> all = new ArrayList<>(missing);
            if (cublasMissing != null) {
                all.add(cublasMissing);
            }
            return new Result(new CudaSupport.Availability(false, String.join("; ", all), false), cublasMissing);
        }
        String detail = cublasMissing == null ? found : found + "; without cuBLAS (" + cublasMissing
                + "): the fused kernels only (no boolean or float masks, Dv == D, D <= " + FlashLaunch.MAX_DIM + ")";
        return new Result(new CudaSupport.Availability(true, detail, cublasMissing == null), cublasMissing);
    }

    static Result run() {
        List<String> missing = new ArrayList<>();
        String device = null;
        int ordinal;
        try {
            ordinal = deviceOrdinal();
        } catch (IllegalArgumentException e) {
            // A bad setting makes CUDA unusable; the probe says so instead of throwing (AUTO falls back).
            return verdict(List.of(e.getMessage()), null, null);
        }
        // Bindings loaded from a private directory, never from the shared temporary one (JCudaNatives).
        String[] natives = JCudaNatives.load();
        String driverError = natives[JCudaNatives.Binding.DRIVER.ordinal()];
        String cublasError = natives[JCudaNatives.Binding.RUNTIME.ordinal()] != null
                ? natives[JCudaNatives.Binding.RUNTIME.ordinal()] : natives[JCudaNatives.Binding.CUBLAS.ordinal()];
        if (driverError != null) {
            // The class cannot be touched again in this JVM once its initialisation failed.
            missing.add(CudaErrors.describeDriverLinkError(driverError));
        } else {
            try {
                JCudaDriver.setExceptionsEnabled(true);
                JCudaDriver.cuInit(0);
                int[] count = {0};
                JCudaDriver.cuDeviceGetCount(count);
                if (count[0] == 0) {
                    missing.add(CudaErrors.NO_DEVICE);
                } else if (ordinal >= count[0]) {
                    missing.add("attention4j.cuda.device=" + ordinal + " but only " + count[0]
                            + " CUDA device(s) exist");
                } else {
                    CUdevice dev = new CUdevice();
                    JCudaDriver.cuDeviceGet(dev, ordinal);
                    int cc = 10 * attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                            + attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
                    device = describe(dev, ordinal, cc);
                    if (cc < MIN_CC) {
                        missing.add(device + " has compute capability " + cc / 10 + "." + cc % 10
                                + "; the kernels need 7.5 or newer");
                    }
                }
            } catch (UnsatisfiedLinkError e) {
                missing.add(CudaErrors.describeDriverLinkError(e.getMessage()));
            } catch (CudaException e) {
                missing.add(CudaErrors.describeInitError(e.getMessage()));
            }
        }
        String cublasMissing = null;
        if (cublasError != null) {
            cublasMissing = CudaErrors.describeCublasLinkError(cublasError);
        } else {
            JCuda.setExceptionsEnabled(true);
            JCublas2.setExceptionsEnabled(true);
        }
        if (!KernelResources.present()) {
            missing.add(CudaErrors.NO_KERNELS);
        }
        if (missing.isEmpty()) {
            String failure = tryStart(device, cublasMissing == null);
            if (failure != null) {
                missing.add(failure);
            }
        }
        String nvcc = KernelResources.properties().getProperty("nvcc.version", "");
        return verdict(missing, cublasMissing, device + (nvcc.isEmpty() ? "" : ", kernels from nvcc " + nvcc));
    }

    /**
     * Everything the backend needs at start, tried once so that AUTO can fall back instead of failing later:
     * the primary context, the kernels' module (a fatbin without code for this GPU fails here) and, when its
     * binding loaded, a cuBLAS handle (a cuBLAS that loads but does not start is a fault, not an absence).
     * Returns null when all work, else what failed.
     */
    private static String tryStart(String device, boolean cublas) {
        CUdevice dev = new CUdevice();
        CUcontext ctx = new CUcontext();
        try {
            JCudaDriver.cuDeviceGet(dev, deviceOrdinal());
            JCudaDriver.cuDevicePrimaryCtxRetain(ctx, dev);
        } catch (CudaException e) {
            return "cannot create a CUDA context on " + device + ": " + e.getMessage();
        }
        try {
            JCudaDriver.cuCtxSetCurrent(ctx);
            CUmodule module = new CUmodule();
            try {
                JCudaDriver.cuModuleLoadData(module, KernelResources.fatbin());
                JCudaDriver.cuModuleUnload(module);
            } catch (CudaException e) {
                return CudaErrors.describeModuleLoadError(e.getMessage(), device,
                        KernelResources.properties().getProperty("nvcc.version", ""));
            }
            if (!cublas) {
                return null;
            }
            cublasHandle h = new cublasHandle();
            try {
                JCublas2.cublasCreate(h);
                JCublas2.cublasDestroy(h);
            } catch (CudaException e) {
                return "cuBLAS does not start on " + device + " (" + e.getMessage() + "): check that libcublas.so.12 "
                        + "matches the driver";
            }
            return null;
        } finally {
            JCudaDriver.cuDevicePrimaryCtxRelease(dev);
        }
    }

    private static int attribute(CUdevice dev, int attr) {
        int[] v = {0};
        JCudaDriver.cuDeviceGetAttribute(v, attr, dev);
        return v[0];
    }

    private static String describe(CUdevice dev, int ordinal, int cc) {
        byte[] name = new byte[256];
        JCudaDriver.cuDeviceGetName(name, name.length, dev);
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        long[] mem = {0};
        JCudaDriver.cuDeviceTotalMem(mem, dev);
        int[] driver = {0};
        JCudaDriver.cuDriverGetVersion(driver);
        return "device " + ordinal + ": " + new String(name, 0, len, StandardCharsets.UTF_8) + " (sm_" + cc + ", "
                + (mem[0] >> 20) + " MiB, driver CUDA " + driver[0] / 1000 + "." + driver[0] % 1000 / 10 + ")";
    }
}

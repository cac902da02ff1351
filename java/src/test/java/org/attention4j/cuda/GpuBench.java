package org.attention4j.cuda;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.attention4j.AttentionOptions;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

/**
 * The GPU benchmark's Java half (bench/gpu_bench.sh runs it next to bench/torch_sdpa.py in one device run):
 * times attention on device tensors per case and precision, and the softmax kernel's bandwidth against a
 * device-to-device copy of the same bytes. Prints a table and, with {@code --json FILE}, one JSON object per line.
 *
 * <pre>
 * GpuBench --cases "B,H,Nq,Nk,D,causal;..." --precisions fp32,tf32,fp16,bf16 [--iters 20] [--json out.jsonl]
 * </pre>
 */
public final class GpuBench {
    private GpuBench() {
    }

    public static void main(String[] args) throws IOException {
        String cases = "1,8,2048,2048,64,0;1,8,2048,2048,64,1";
        String precisions = "fp32,tf32,fp16,bf16";
        int iters = 20;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cases":
                    cases = args[++i];
                    break;
                case "--precisions":
                    precisions = args[++i];
                    break;
                case "--iters":
                    iters = Integer.parseInt(args[++i]);
                    break;
                case "--json":
                    json = Path.of(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        CudaSupport.Availability a = CudaSupport.probe();
        if (!a.usable()) {
            System.err.println("error: CUDA not usable: " + a.detail());
            System.exit(3);
        }
        System.out.println("attention4j GPU benchmark on " + a.detail());
        List<String> lines = new ArrayList<>();
        System.out.printf(Locale.ROOT, "%-28s %-5s %10s %10s%n", "case B,H,Nq,Nk,D,causal", "prec", "ms", "TFLOP/s");
        for (String c : cases.split(";")) {
            int[] s = parse(c.trim());
            for (String p : precisions.split(",")) {
                Precision prec = Precision.parse(p);
                double ms = timeAttention(s, prec, iters);
                double flops = 4.0 * s[0] * s[1] * s[2] * s[3] * s[4] * (s[5] == 1 ? 0.5 : 1.0);
                double tflops = flops / (ms * 1e-3) / 1e12;
                System.out.printf(Locale.ROOT, "%-28s %-5s %10.3f %10.2f%n", c.trim(), p, ms, tflops);
                lines.add(String.format(Locale.ROOT, "{\"impl\":\"attention4j\",\"case\":\"%s\",\"precision\":\"%s\","
                        + "\"ms\":%.4f,\"tflops\":%.3f}", c.trim(), p, ms, tflops));
            }
        }
        System.out.printf(Locale.ROOT, "%n%-20s %12s %12s %12s %8s %8s%n", "softmax rows x Nk", "softmax GB/s",
                "copy GB/s", "(P type)", "fraction", "version");
        for (String c : cases.split(";")) {
            int[] s = parse(c.trim());
            long rows = (long) s[0] * s[1] * s[2];
            for (DType pt : new DType[] {DType.FP32, DType.FP16}) {
                // Where SoftmaxLaunch picks version 3 (the row cached in shared memory), version 1 too: the race
                // that confirms or overturns the rule.
                boolean both = SoftmaxLaunch.of(rows, s[3], CudaRuntime.get().multiprocessors, true).cached();
                for (boolean cached : both ? new boolean[] {true, false} : new boolean[] {false}) {
                    double[] bw = softmaxBandwidth(rows, s[3], pt, iters, cached);
                    String version = String.valueOf((int) bw[2]);
                    System.out.printf(Locale.ROOT, "%-20s %12.1f %12.1f %12s %8.2f %8s%n", rows + " x " + s[3], bw[0],
                            bw[1], pt, bw[0] / bw[1], version);
                    lines.add(String.format(Locale.ROOT, "{\"impl\":\"softmax\",\"case\":\"%s\",\"ptype\":\"%s\","
                            + "\"version\":%s,\"softmax_gbs\":%.2f,\"copy_gbs\":%.2f,\"fraction\":%.4f}", c.trim(), pt,
                            version, bw[0], bw[1], bw[0] / bw[1]));
                }
            }
        }
        if (json != null) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(json, StandardCharsets.UTF_8))) {
                lines.forEach(w::println);
            }
        }
    }

    private static int[] parse(String c) {
        String[] f = c.split(",");
        if (f.length != 6) {
            throw new IllegalArgumentException("case must be B,H,Nq,Nk,D,causal: " + c);
        }
        int[] s = new int[6];
        for (int i = 0; i < 6; i++) {
            s[i] = Integer.parseInt(f[i].trim());
        }
        return s;
    }

    /**
     * Milliseconds of one call on device tensors (the call returns with its stream synchronised), as
     * {@link BenchTiming} times it; bench/torch_sdpa.py times PyTorch the same way.
     */
    static double timeAttention(int[] s, Precision prec, int iters) {
        Random rnd = new Random(1);
        DType t = prec.storageType();
        try (CudaAttention cuda = CudaAttention.open(prec);
             DeviceTensor q = cuda.upload(random(rnd, (long) s[0] * s[1] * s[2] * s[4]), t, s[0], s[1], s[2], s[4]);
             DeviceTensor k = cuda.upload(random(rnd, (long) s[0] * s[1] * s[3] * s[4]), t, s[0], s[1], s[3], s[4]);
             DeviceTensor v = cuda.upload(random(rnd, (long) s[0] * s[1] * s[3] * s[4]), t, s[0], s[1], s[3], s[4]);
             DeviceTensor out = cuda.allocate(t, s[0], s[1], s[2], s[4])) {
            AttentionOptions o = s[5] == 1 ? AttentionOptions.builder().causal().build() : AttentionOptions.DEFAULTS;
            return BenchTiming.medianMs(() -> cuda.attentionInto(q, k, v, o, out, null, null), iters);
        }
    }

    /**
     * The unmasked softmax over {@code rows x nk} fp32 scores writing P of {@code pType}, against
     * {@code cuMemcpyDtoD} of the scores: both as bytes moved (read + write) per second, in GB/s; then the kernel
     * version that ran (1, 2, or 3 where {@code allowCached} and the row fits).
     */
    static double[] softmaxBandwidth(long rows, int nk, DType pType, int iters, boolean allowCached) {
        rows = Math.max(1, Math.min(rows, (1L << 30) / (4L * nk)));  // at most 1 GiB of scores
        CudaRuntime rt = CudaRuntime.get();
        Worker w = rt.workers.borrow();
        CachingAllocator.Block<CUdeviceptr> sb = rt.allocator.allocate(rows * nk * 4);
        CachingAllocator.Block<CUdeviceptr> pb = rt.allocator.allocate(rows * nk * pType.bytes());
        SoftmaxLaunch l = SoftmaxLaunch.of(rows, nk, rt.multiprocessors, allowCached);
        CachingAllocator.Block<CUdeviceptr> partial = rt.allocator.allocate(Math.max(8, l.partialBytes(rows)));
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        try {
            JCudaDriver.cuMemsetD32Async(sb.handle(), Float.floatToRawIntBits(0.5f), rows * nk, w.stream);
            JCudaDriver.cuEventCreate(start, 0);
            JCudaDriver.cuEventCreate(stop, 0);
            // No mask: B=1, Hq=rows, Nq=1 so that every row is independent.
            KernelArgs.Mask m = new KernelArgs.Mask(1, (int) rows, 1, nk, 0.125f, 0, -1, -1, null, null, null, null,
                    null, null);
            Runnable softmax = () -> {
                if (!l.split()) {
                    Kernels.launch(rt.kernels.softmax(pType, l), l.gridX(), l.gridY(), l.block(), l.sharedMem(),
                            w.stream, KernelArgs.softmax(sb.handle(), pb.handle(), null, m).values());
                } else {
                    Kernels.launch(rt.kernels.splitStats, l.gridX(), l.gridY(), l.block(), l.sharedMem(), w.stream,
                            KernelArgs.splitStats(sb.handle(), partial.handle(), l.chunkLen(), m).values());
                    Kernels.launch(rt.kernels.splitFinish(pType), l.gridX(), l.gridY(), l.block(), l.sharedMem(),
                            w.stream, KernelArgs.splitFinish(sb.handle(), pb.handle(), null, partial.handle(),
                                    l.chunkLen(), m).values());
                }
            };
            long copyBytes = rows * nk * 4;
            CachingAllocator.Block<CUdeviceptr> cb = rt.allocator.allocate(copyBytes);
            try {
                Runnable copy = () -> JCudaDriver.cuMemcpyDtoDAsync(cb.handle(), sb.handle(), copyBytes, w.stream);
                double softmaxMs = time(softmax, w, start, stop, iters);
                double copyMs = time(copy, w, start, stop, iters);
                double softmaxBytes = rows * (double) nk * (4 + pType.bytes());
                return new double[] {softmaxBytes / softmaxMs / 1e6, 2.0 * copyBytes / copyMs / 1e6,
                    l.split() ? 2 : l.cached() ? 3 : 1};
            } finally {
                w.sync();
                rt.allocator.release(cb);
            }
        } finally {
            w.sync();
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
            rt.allocator.release(sb);
            rt.allocator.release(pb);
            rt.allocator.release(partial);
            rt.workers.giveBack(w);
        }
    }

    private static double time(Runnable r, Worker w, CUevent start, CUevent stop, int iters) {
        for (int i = 0; i < 3; i++) {
            r.run();
        }
        JCudaDriver.cuEventRecord(start, w.stream);
        for (int i = 0; i < iters; i++) {
            r.run();
        }
        JCudaDriver.cuEventRecord(stop, w.stream);
        JCudaDriver.cuEventSynchronize(stop);
        float[] ms = {0};
        JCudaDriver.cuEventElapsedTime(ms, start, stop);
        return ms[0] / iters;
    }

    /** {@link BenchInputs#values}: the next input of {@code rnd}'s sequence, without a Gaussian per element. */
    private static float[] random(Random rnd, long n) {
        return BenchInputs.values(rnd.nextLong(), n);
    }

}

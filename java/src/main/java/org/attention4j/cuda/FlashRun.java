package org.attention4j.cuda;

import java.util.Map;

import org.attention4j.cuda.FlashProgram.Command;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/**
 * One fused-path call on one worker: runs a {@link FlashProgram} on the worker's stream, mapping its named
 * buffers to the caller's device memory and to scratch from the caching allocator, owned as {@link DeviceCall}
 * says.
 */
final class FlashRun extends DeviceCall {
    private static final CUdeviceptr NULL = new CUdeviceptr();

    FlashRun(CudaRuntime rt, Worker worker) {
        super(rt, worker);
    }

    /**
     * Queues the program on the worker's stream.
     *
     * @param given the caller's buffers (inputs, outputs, cache) by name
     */
    void execute(FlashProgram prog, Map<Buf, CUdeviceptr> given) {
        Map<Buf, CUdeviceptr> mem = buffers(given, prog.scratchBytes(), prog.ints(), prog.floats(), Map.of());
        for (Command c : prog.commands()) {
            run(c, mem);
        }
    }

    private void run(Command c, Map<Buf, CUdeviceptr> mem) {
        if (c instanceof SharedCommand) {
            runShared((SharedCommand) c, mem);
        } else if (c instanceof FlashProgram.Forward) {
            FlashProgram.Forward f = (FlashProgram.Forward) c;
            FlashLaunch l = available(f.launch(), f.args().dim());
            launch(l, KernelArgs.forward(mem.get(f.q()), mem.get(f.k()), mem.get(f.v()), mem.get(f.out()),
                    ptr(mem, f.lse()), flash(f.args(), mem)));
        } else if (c instanceof FlashProgram.Weights) {
            FlashProgram.Weights w = (FlashProgram.Weights) c;
            launch(w.launch(), KernelArgs.weights(mem.get(w.q()), mem.get(w.k()), mem.get(w.lse()),
                    mem.get(w.p()), flash(w.args(), mem)));
        } else if (c instanceof FlashProgram.DecodeSplit) {
            FlashProgram.DecodeSplit d = (FlashProgram.DecodeSplit) c;
            FlashProgram.DecodeArgs a = d.args();
            launch(d.launch(), KernelArgs.decodeSplit(mem.get(d.q()), mem.get(d.kCache()), mem.get(d.vCache()),
                    mem.get(d.partO()), mem.get(d.partLse()), new KernelArgs.Decode(mem.get(a.cacheSeqlens()),
                            a.batch(), a.heads(), a.kvHeads(), a.nq(), a.capacity(), a.dim(), a.scale(), a.causal(),
                            a.windowLeft(), a.windowRight(), ptr(mem, a.alibiSlopes()), a.numSplits())));
        } else if (c instanceof FlashProgram.Combine) {
            FlashProgram.Combine x = (FlashProgram.Combine) c;
            launch(x.launch(), KernelArgs.combine(mem.get(x.partO()), mem.get(x.partLse()), mem.get(x.out()),
                    ptr(mem, x.lse()), x.rows(), x.numSplits(), x.dim()));
        } else if (c instanceof FlashProgram.Append) {
            FlashProgram.Append x = (FlashProgram.Append) c;
            launch(x.launch(), KernelArgs.append(mem.get(x.kNew()), mem.get(x.vNew()), mem.get(x.kCache()),
                    mem.get(x.vCache()), mem.get(x.cacheLens()), mem.get(x.newLens()), x.batch(), x.kvHeads(),
                    x.nNew(), x.capacity(), x.dim()));
        } else if (c instanceof FlashProgram.ToF32) {
            FlashProgram.ToF32 t = (FlashProgram.ToF32) c;
            Kernels.launch(rt.kernels.toF32(t.from()), Kernels.elementwiseGrid(t.count()), 1, 256, 0, worker.stream,
                    KernelArgs.convert(mem.get(t.src()), mem.get(t.dst()), t.count()).values());
        } else {
            throw new AssertionError(c);
        }
    }

    /** The v2 launch in the first bucket this build has (any bucket {@code >= D} is correct), else as given. */
    private FlashLaunch available(FlashLaunch l, int dim) {
        if (!l.function().startsWith("a4j_flash_fwd_v2_") || rt.kernels.find(l.function()) != null) {
            return l;
        }
        DType t = l.function().contains("_bf16_") ? DType.BF16 : DType.FP16;
        for (int b : FlashLaunch.V2_BUCKETS) {
            if (b > dim) {
                FlashLaunch m = FlashLaunch.forwardV2(t, 1, l.gridY(), 1, b);
                if (rt.kernels.find(m.function()) != null) {
                    return new FlashLaunch(m.function(), l.gridX(), l.gridY(), l.gridZ(), m.block(), m.sharedMem());
                }
            }
        }
        return l;       // absent everywhere: function() below names it
    }

    private void launch(FlashLaunch l, KernelArgs args) {
        CUfunction f = rt.kernels.function(l);
        JCudaDriver.cuLaunchKernel(f, l.gridX(), l.gridY(), l.gridZ(), l.block(), 1, 1, l.sharedMem(), worker.stream,
                Pointer.to(args.values()), null);
    }

    private static KernelArgs.Flash flash(FlashProgram.FlashArgs a, Map<Buf, CUdeviceptr> mem) {
        return new KernelArgs.Flash(a.batch(), a.heads(), a.kvHeads(), a.nq(), a.nk(), a.dim(), a.scale(),
                a.causal(), a.windowLeft(), a.windowRight(), ptr(mem, a.kvLengths()), ptr(mem, a.diagonals()),
                ptr(mem, a.alibiSlopes()),
                ptr(mem, a.cuSeqlensQ()), ptr(mem, a.cuSeqlensK()));
    }

    private static CUdeviceptr ptr(Map<Buf, CUdeviceptr> mem, Buf b) {
        return b == null ? NULL : mem.get(b);
    }
}

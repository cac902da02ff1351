package org.attention4j.cuda;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;


/**
 * One attention call as a list of device commands over named buffers: pure data, built from the problem and
 * the {@link CublasPlan}, then either run on the GPU ({@link CublasRun}) or, in tests, on CPU emulations
 * of cuBLAS and of the kernels. Every pointer offset, element type and launch parameter of a call is decided
 * here, so that what the GPU executes is what the CPU tests executed, and so are the small arrays a run uploads
 * (as {@link FlashProgram} carries them).
 *
 * @param scratchBytes the call's own device buffers and their sizes (the uploaded ones included)
 * @param ints         int32 arrays to upload before the commands run
 * @param floats       float32 arrays to upload before the commands run
 * @param booleans     boolean arrays to upload as 0/1 bytes before the commands run
 * @param commands     the device commands, in stream order
 */
record CublasProgram(Map<Buf, Long> scratchBytes, Map<Buf, int[]> ints, Map<Buf, float[]> floats,
                     Map<Buf, boolean[]> booleans, List<Command> commands) {

    /** A position in a buffer; {@code null} refs mean an absent (NULL) pointer. */
    record Ref(Buf buf, long byteOffset) {
        static Ref of(Buf b) {
            return new Ref(b, 0);
        }
    }

    /** A device command. */
    sealed interface Command permits SharedCommand, Gemm, Softmax, Weights {
    }

    /** One strided-batched GEMM; A, B, C are buffer starts (the call carries the element offsets). */
    record Gemm(GemmCall call, Buf a, DType aType, Buf b, DType bType, Buf c, DType cType) implements Command {
    }

    /** The fused softmax (version 1 or 2 by {@code launch}) over one chunk. */
    record Softmax(SoftmaxLaunch launch, DType pType, Ref s, Ref p, Ref lse, Ref partial, int batch, int heads,
                   int nq, int nk, float scale, int causal, int windowLeft, int windowRight, Ref kvLengths,
                   Ref diagonals, Ref boolMask, Ref floatMask, long[] maskStrides, Ref alibiSlopes) implements Command {
    }

    /** Hands one chunk of P to the weights sink: {@code count} elements of P at weights element {@code first}. */
    record Weights(Buf p, DType pType, long first, long count) implements Command {
    }

    /**
     * Builds the program.
     *
     * @param qkAreScratch   whether Q and K may be rotated in place
     * @param outType        the element type of OUT
     * @param workspaceBytes the score workspace target
     * @param sms            the device's multiprocessors (softmax launch rule)
     */
    static CublasProgram of(DeviceProblem p, GemmPrecision gp, boolean qkAreScratch, DType outType,
                               boolean lse, boolean weights, long workspaceBytes, int sms) {
        DType st = gp.storage();
        Map<Buf, Long> scratch = new EnumMap<>(Buf.class);
        Map<Buf, int[]> ints = new EnumMap<>(Buf.class);
        Map<Buf, float[]> floats = new EnumMap<>(Buf.class);
        Map<Buf, boolean[]> booleans = new EnumMap<>(Buf.class);
        List<Command> cmds = new ArrayList<>();
        Buf q = Buf.Q;
        Buf k = Buf.K;
        if (p.rope() != null) {
            if (!qkAreScratch) {
                long qb = (long) p.batch() * p.heads() * p.nq() * p.dim() * st.bytes();
                long kb = (long) p.batch() * p.kvHeads() * p.nk() * p.dim() * st.bytes();
                scratch.put(Buf.QR, qb);
                scratch.put(Buf.KR, kb);
                cmds.add(new SharedCommand.Copy(Buf.QR, Buf.Q, qb));
                cmds.add(new SharedCommand.Copy(Buf.KR, Buf.K, kb));
                q = Buf.QR;
                k = Buf.KR;
            }
            int style = RopeFrequencies.style(p.rope());
            int r = p.rope().rotaryDim(p.dim());
            float factor = (float) p.rope().attentionFactor();
            floats.put(Buf.ROPE_FREQ, RopeFrequencies.packed(p.rope(), p.dim()));
            int[] qp = p.queryPositions();
            int[] kp = p.keyPositions();
            if (qp != null) {
                ints.put(Buf.Q_POSITIONS, qp);
            }
            if (kp != null) {
                ints.put(Buf.K_POSITIONS, kp);
            }
            cmds.add(new SharedCommand.Rope(q, st, p.batch(), p.heads(), p.nq(), p.dim(), r, style, Buf.ROPE_FREQ,
                    factor, qp == null ? p.nk() - p.nq() : 0, qp == null ? null : Buf.Q_POSITIONS,
                    qp == null || qp.length == p.nq() ? 0 : p.nq()));
            cmds.add(new SharedCommand.Rope(k, st, p.batch(), p.kvHeads(), p.nk(), p.dim(), r, style, Buf.ROPE_FREQ,
                    factor, 0, kp == null ? null : Buf.K_POSITIONS, kp == null || kp.length == p.nk() ? 0 : p.nk()));
        }
        if (p.kvLengths() != null) {
            ints.put(Buf.KV_LENGTHS, p.kvLengths());
        }
        if (p.diagonals() != null) {
            ints.put(Buf.DIAGONALS, p.diagonals());
        }
        boolean boolMask = p.mask() != null && p.mask().isBoolean();
        boolean floatMask = p.mask() != null && !p.mask().isBoolean();
        if (boolMask) {
            booleans.put(Buf.BOOL_MASK, p.mask().booleanData());
        }
        if (floatMask) {
            floats.put(Buf.FLOAT_MASK, p.mask().floatData());
        }
        if (p.alibiSlopes() != null) {
            floats.put(Buf.SLOPES, p.alibiSlopes());
        }

        CublasPlan plan = CublasPlan.of(p.batch(), p.heads(), p.kvHeads(), p.nq(), p.nk(), p.dim(),
                p.valueDim(), 1f, workspaceBytes / gp.workspaceBytesPerScore());
        long ws = plan.workspaceElements();
        scratch.put(Buf.S, ws * 4);
        Buf prob = Buf.S;
        if (st != DType.FP32) {
            scratch.put(Buf.P, ws * st.bytes());
            prob = Buf.P;
        }
        long partialBytes = 0;
        for (CublasPlan.Chunk c : plan.chunks()) {
            long rows = (long) c.count() * p.nq();
            partialBytes = Math.max(partialBytes, SoftmaxLaunch.of(rows, p.nk(), sms).partialBytes(rows));
        }
        if (partialBytes > 0) {
            scratch.put(Buf.PARTIAL, partialBytes);
        }
        long[] strides = p.maskStrides();
        for (CublasPlan.Chunk c : plan.chunks()) {
            cmds.add(new Gemm(c.scores(), k, st, q, st, Buf.S, DType.FP32));
            long rows = (long) c.count() * p.nq();
            long mo = c.maskOffset(strides);
            cmds.add(new Softmax(SoftmaxLaunch.of(rows, p.nk(), sms), st, Ref.of(Buf.S), Ref.of(prob),
                    lse ? new Ref(Buf.LSE, 4 * c.firstRow(p.nq())) : null,
                    partialBytes > 0 ? Ref.of(Buf.PARTIAL) : null,
                    c.nb(), c.nh(), p.nq(), p.nk(), (float) p.scale(), p.causal(), p.windowLeft(), p.windowRight(),
                    p.kvLengths() == null ? null : new Ref(Buf.KV_LENGTHS, 4L * c.b0()),
                    p.diagonals() == null ? null : new Ref(Buf.DIAGONALS, 4L * c.b0()),
                    boolMask ? new Ref(Buf.BOOL_MASK, mo) : null,
                    floatMask ? new Ref(Buf.FLOAT_MASK, 4 * mo) : null,
                    strides == null ? new long[4] : strides,
                    p.alibiSlopes() == null ? null : new Ref(Buf.SLOPES, 4L * c.h0())));
            cmds.add(new Gemm(c.values(), Buf.V, st, prob, st, Buf.OUT, outType));
            if (weights) {
                long per = (long) p.nq() * p.nk();
                cmds.add(new Weights(prob, st, c.f0() * per, c.count() * per));
            }
        }
        DeviceCall.sizeUploads(scratch, ints, floats, booleans);
        return new CublasProgram(scratch, ints, floats, booleans, List.copyOf(cmds));
    }
}

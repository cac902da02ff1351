package org.attention4j.cuda;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.attention4j.Rope;

/**
 * One fused-path call as a list of device commands over named buffers: pure data, built here and then run on
 * the GPU ({@link FlashRun}) or, in tests, on CPU emulations of the kernels written from cuda/README.md. Every
 * buffer size, uploaded array, RoPE position, kernel name, launch geometry and argument of a call is decided
 * here, so what the GPU executes is what the CPU tests executed.
 *
 * <p>Three shapes of call: dense ({@code [B, H, N, D]}, {@link #dense}), packed variable-length sequences
 * ({@link #varlen}) and a decode step over a KV cache ({@link #decode}). RoPE is a rotation pass before the
 * kernels (the fused kernels take no positions), on copies unless the inputs are scratch.
 *
 * @param scratchBytes the call's own device buffers and their sizes
 * @param ints         int32 arrays to upload into scratch buffers before the commands run
 * @param floats       float32 arrays to upload into scratch buffers before the commands run
 * @param commands     the device commands, in stream order
 */
record FlashProgram(Map<Buf, Long> scratchBytes, Map<Buf, int[]> ints, Map<Buf, float[]> floats,
                    List<Command> commands) {

    /** A device command. */
    sealed interface Command permits SharedCommand, Forward, Weights, DecodeSplit, Combine, ToF32, Append {
    }

    /**
     * How a RoPE pass ({@link SharedCommand.Rope}) turns its vectors: rotary dim, pairing (0 half, 1 interleaved),
     * the factor on cos and sin, and the buffer of {@link RopeFrequencies#packed} frequencies.
     */
    record Rotation(int rotaryDim, int style, float factor, Buf freq) {
    }

    /** The RoPE pass over {@code x [batch, heads, n, dim]} turned as {@code rot} says. */
    static SharedCommand.Rope ropePass(Buf x, DType type, int batch, int heads, int n, int dim, Rotation rot,
            int posOffset, Buf positions, int positionsBatchStride) {
        return new SharedCommand.Rope(x, type, batch, heads, n, dim, rot.rotaryDim(), rot.style(), rot.freq(),
                rot.factor(), posOffset, positions, positionsBatchStride);
    }

    /** {@code FLASHARGS} over buffers; null buffers are NULL pointers. */
    record FlashArgs(int batch, int heads, int kvHeads, int nq, int nk, int dim, float scale, int causal,
                     int windowLeft, int windowRight, Buf kvLengths, Buf diagonals, Buf alibiSlopes, Buf cuSeqlensQ,
                     Buf cuSeqlensK) {
    }

    /** A forward kernel (v1 or v2, named by the launch). */
    record Forward(FlashLaunch launch, DType type, Buf q, Buf k, Buf v, Buf out, Buf lse, FlashArgs args)
            implements Command {
    }

    /** The weights recompute pass, writing fp32 P {@code [B, Hq, Nq, Nk]}. */
    record Weights(FlashLaunch launch, DType type, Buf q, Buf k, Buf lse, Buf p, FlashArgs args) implements Command {
    }

    /** {@code DECODEARGS} over buffers. */
    record DecodeArgs(Buf cacheSeqlens, int batch, int heads, int kvHeads, int nq, int capacity, int dim, float scale,
                      int causal, int windowLeft, int windowRight, Buf alibiSlopes, int numSplits) {
    }

    /** The split-K decode pass. */
    record DecodeSplit(FlashLaunch launch, DType type, Buf q, Buf kCache, Buf vCache, Buf partO, Buf partLse,
                       DecodeArgs args) implements Command {
    }

    /** The decode combine, writing O of {@code outType}. */
    record Combine(FlashLaunch launch, DType outType, Buf partO, Buf partLse, Buf out, Buf lse, long rows,
                   int numSplits, int dim) implements Command {
    }

    /** {@code a4j_kv_append_<type>}: rows of the new tokens into the caches at each entry's length. */
    record Append(FlashLaunch launch, DType type, Buf kNew, Buf vNew, Buf kCache, Buf vCache, Buf cacheLens,
                  Buf newLens, int batch, int kvHeads, int nNew, int capacity, int dim) implements Command {
    }

    /** {@code a4j_<from>_to_f32} over {@code count} elements. */
    record ToF32(DType from, Buf src, Buf dst, long count) implements Command {
    }

    /**
     * A dense call: {@code q [B, Hq, Nq, D]}, {@code k, v [B, Hkv, Nk, D]} into {@code out [B, Hq, Nq, D]}.
     *
     * @param p            the problem (no user mask, {@code Dv == D})
     * @param st           the storage type of Q, K, V
     * @param version      forward version 1 or 2
     * @param qkAreScratch whether Q and K may be rotated in place
     * @param outType      OUT's type: {@code st} or FP32
     * @param lse          whether LSE is written
     * @param weights      whether WEIGHTS (fp32 {@code [B, Hq, Nq, Nk]}) is written
     */
    static FlashProgram dense(DeviceProblem p, DType st, int version, boolean qkAreScratch, DType outType,
                              boolean lse, boolean weights) {
        Builder b = new Builder();
        Buf q = Buf.Q;
        Buf k = Buf.K;
        if (p.rope() != null) {
            q = b.rotatable(Buf.Q, Buf.QR, (long) p.batch() * p.heads() * p.nq() * p.dim() * st.bytes(), qkAreScratch);
            k = b.rotatable(Buf.K, Buf.KR, (long) p.batch() * p.kvHeads() * p.nk() * p.dim() * st.bytes(),
                    qkAreScratch);
            Rotation rot = b.rotation(p.rope(), p.dim());
            int[] qp = p.queryPositions();
            int[] kp = p.keyPositions();
            if (qp != null) {
                b.ints.put(Buf.Q_POSITIONS, qp);
            }
            if (kp != null) {
                b.ints.put(Buf.K_POSITIONS, kp);
            }
            b.cmds.add(ropePass(q, st, p.batch(), p.heads(), p.nq(), p.dim(), rot,
                    qp == null ? p.nk() - p.nq() : 0, qp == null ? null : Buf.Q_POSITIONS,
                    qp == null || qp.length == p.nq() ? 0 : p.nq()));
            b.cmds.add(ropePass(k, st, p.batch(), p.kvHeads(), p.nk(), p.dim(), rot, 0,
                    kp == null ? null : Buf.K_POSITIONS, kp == null || kp.length == p.nk() ? 0 : p.nk()));
        }
        if (p.kvLengths() != null) {
            b.ints.put(Buf.KV_LENGTHS, p.kvLengths());
        }
        if (p.diagonals() != null) {
            b.ints.put(Buf.DIAGONALS, p.diagonals());
        }
        if (p.alibiSlopes() != null) {
            b.floats.put(Buf.SLOPES, p.alibiSlopes());
        }
        long rows = (long) p.batch() * p.heads() * p.nq();
        FlashArgs args = new FlashArgs(p.batch(), p.heads(), p.kvHeads(), p.nq(), p.nk(), p.dim(), (float) p.scale(),
                p.causal(), p.windowLeft(), p.windowRight(), p.kvLengths() == null ? null : Buf.KV_LENGTHS,
                p.diagonals() == null ? null : Buf.DIAGONALS,
                p.alibiSlopes() == null ? null : Buf.SLOPES, null, null);
        Buf lseBuf = lse ? Buf.LSE : null;
        if (weights && !lse) {
            b.scratch.put(Buf.LSE_T, 4 * rows);
            lseBuf = Buf.LSE_T;
        }
        FlashLaunch l = version == 2 ? FlashLaunch.forwardV2(st, p.batch(), p.heads(), p.nq(), p.dim())
                : FlashLaunch.forwardV1(st, p.batch(), p.heads(), p.nq(), p.dim());
        Buf o = b.output(st, outType, rows * p.dim());
        b.cmds.add(new Forward(l, st, q, k, Buf.V, o, lseBuf, args));
        b.convertOutput(st, outType, o, rows * p.dim());
        if (weights) {
            b.cmds.add(new Weights(FlashLaunch.weights(st, p.batch(), p.heads(), p.nq(), p.nk()), st, q, k, lseBuf,
                    Buf.WEIGHTS, args));
        }
        return b.build();
    }

    /**
     * Packed sequences (token-major {@code q [totalQ, Hq, D]}, {@code k, v [totalK, Hkv, D]}) into
     * {@code out [totalQ, Hq, D]} and {@code lse [totalQ, Hq]}. RoPE positions are per token: explicit ones as
     * given, else keys {@code t - cuK[b]} and queries {@code Nk_b - Nq_b + t - cuQ[b]}.
     */
    static FlashProgram varlen(Varlen v, DType st, int version, boolean qkAreScratch, DType outType, boolean lse) {
        Builder b = new Builder();
        int batch = v.cuQ().length - 1;
        int totalQ = v.cuQ()[batch];
        int totalK = v.cuK()[batch];
        int maxNq = 0;
        int maxNk = 0;
        for (int s = 0; s < batch; s++) {
            maxNq = Math.max(maxNq, v.cuQ()[s + 1] - v.cuQ()[s]);
            maxNk = Math.max(maxNk, v.cuK()[s + 1] - v.cuK()[s]);
        }
        Buf q = Buf.Q;
        Buf k = Buf.K;
        if (v.rope() != null) {
            q = b.rotatable(Buf.Q, Buf.QR, (long) totalQ * v.heads() * v.dim() * st.bytes(), qkAreScratch);
            k = b.rotatable(Buf.K, Buf.KR, (long) totalK * v.kvHeads() * v.dim() * st.bytes(), qkAreScratch);
            int[] qp = v.rope().queryPositions();
            int[] kp = v.rope().keyPositions();
            if (qp == null) {
                qp = new int[totalQ];
                for (int s = 0; s < batch; s++) {
                    int off = v.queryStarts()[s];
                    for (int t = v.cuQ()[s]; t < v.cuQ()[s + 1]; t++) {
                        qp[t] = off + t - v.cuQ()[s];
                    }
                }
            }
            if (kp == null) {
                kp = new int[totalK];
                for (int s = 0; s < batch; s++) {
                    for (int t = v.cuK()[s]; t < v.cuK()[s + 1]; t++) {
                        kp[t] = v.keyStarts()[s] + t - v.cuK()[s];
                    }
                }
            }
            b.ints.put(Buf.Q_POSITIONS, qp);
            b.ints.put(Buf.K_POSITIONS, kp);
            // Token-major [total, H, D] is [B'=total, H, N=1, D] to the rotation kernel: position = positions[t].
            Rotation rot = b.rotation(v.rope(), v.dim());
            b.cmds.add(ropePass(q, st, totalQ, v.heads(), 1, v.dim(), rot, 0, Buf.Q_POSITIONS, 1));
            b.cmds.add(ropePass(k, st, totalK, v.kvHeads(), 1, v.dim(), rot, 0, Buf.K_POSITIONS, 1));
        }
        b.ints.put(Buf.CU_Q, v.cuQ());
        b.ints.put(Buf.CU_K, v.cuK());
        b.ints.put(Buf.DIAGONALS, v.diagonals());
        if (v.alibiSlopes() != null) {
            b.floats.put(Buf.SLOPES, v.alibiSlopes());
        }
        FlashArgs args = new FlashArgs(batch, v.heads(), v.kvHeads(), maxNq, maxNk, v.dim(), (float) v.scale(),
                v.causal(), v.windowLeft(), v.windowRight(), null, Buf.DIAGONALS,
                v.alibiSlopes() == null ? null : Buf.SLOPES,
                Buf.CU_Q, Buf.CU_K);
        FlashLaunch l = version == 2 ? FlashLaunch.forwardV2(st, batch, v.heads(), maxNq, v.dim())
                : FlashLaunch.forwardV1(st, batch, v.heads(), maxNq, v.dim());
        long n = (long) totalQ * v.heads() * v.dim();
        Buf o = b.output(st, outType, n);
        b.cmds.add(new Forward(l, st, q, k, Buf.V, o, lse ? Buf.LSE : null, args));
        b.convertOutput(st, outType, o, n);
        return b.build();
    }

    /**
     * Packed sequences as the fused kernel sees them.
     *
     * @param cuQ         query offsets, B+1 entries
     * @param cuK         key offsets, B+1 entries
     * @param causal      0 none, 1 bottom-right, 2 top-left
     * @param alibiSlopes per query head, or null
     * @param rope        RoPE (explicit positions packed, length totalQ / totalK) or null
     */
    record Varlen(int[] cuQ, int[] cuK, int heads, int kvHeads, int dim, double scale, int causal, int windowLeft,
                  int windowRight, float[] alibiSlopes, Rope rope, int[] queryStarts, int[] keyStarts) {
        /** Per sequence, where its diagonal sits: {@code queryStarts[s] - keyStarts[s]}. */
        int[] diagonals() {
            int[] d = new int[queryStarts.length];
            for (int s = 0; s < d.length; s++) {
                d[s] = queryStarts[s] - keyStarts[s];
            }
            return d;
        }
    }

    /**
     * A decode step: {@code q [B, Hq, Nq, D]} against {@code K_CACHE, V_CACHE [B, Hkv, capacity, D]} holding
     * {@code lengths[b]} tokens, split over the keys into {@code numSplits} ranges and combined. RoPE rotates Q at
     * {@code L_b - Nq + i} and reads the keys from {@code K_ROT}, the cache's keys rotated at their positions,
     * rebuilt here (one pass over the whole cache) unless {@code rotatedKeysValid} says appends kept it current.
     */
    static FlashProgram decode(Decode d, DType st, boolean qIsScratch, DType outType, boolean lse, int sms,
                               boolean rotatedKeysValid) {
        Builder b = new Builder();
        Buf q = Buf.Q;
        Buf kc = Buf.K_CACHE;
        if (d.rope() != null) {
            q = b.rotatable(Buf.Q, Buf.QR, (long) d.batch() * d.heads() * d.nq() * d.dim() * st.bytes(), qIsScratch);
            kc = Buf.K_ROT;
            Rotation rot = b.rotation(d.rope(), d.dim());
            if (!rotatedKeysValid) {
                // Rebuild the cache's rotated keys from scratch: every row j at position j.
                b.cmds.add(new SharedCommand.Copy(Buf.K_ROT, Buf.K_CACHE, (long) d.batch() * d.kvHeads() * d.capacity() * d.dim()
                        * st.bytes()));
                b.cmds.add(ropePass(Buf.K_ROT, st, d.batch(), d.kvHeads(), d.capacity(), d.dim(), rot, 0,
                        null, 0));
            }
            int[] qp = new int[d.batch() * d.nq()];
            for (int s = 0; s < d.batch(); s++) {
                for (int i = 0; i < d.nq(); i++) {
                    qp[s * d.nq() + i] = d.lengths()[s] - d.nq() + i;
                }
            }
            b.ints.put(Buf.Q_POSITIONS, qp);
            b.cmds.add(ropePass(q, st, d.batch(), d.heads(), d.nq(), d.dim(), rot, 0,
                    Buf.Q_POSITIONS, d.nq()));
        }
        b.ints.put(Buf.CACHE_LENS, d.lengths());
        if (d.alibiSlopes() != null) {
            b.floats.put(Buf.SLOPES, d.alibiSlopes());
        }
        int maxLen = 1;
        for (int len : d.lengths()) {
            maxLen = Math.max(maxLen, len);
        }
        int splits = FlashLaunch.decodeSplits(d.batch(), d.heads(), d.kvHeads(), d.nq(), maxLen, sms);
        long rows = (long) d.batch() * d.heads() * d.nq();
        b.scratch.put(Buf.PART_O, FlashLaunch.decodePartialOutBytes(splits, rows, d.dim()));
        b.scratch.put(Buf.PART_LSE, FlashLaunch.decodePartialLseBytes(splits, rows));
        DecodeArgs args = new DecodeArgs(Buf.CACHE_LENS, d.batch(), d.heads(), d.kvHeads(), d.nq(), d.capacity(),
                d.dim(), (float) d.scale(), d.causal(), d.windowLeft(), d.windowRight(),
                d.alibiSlopes() == null ? null : Buf.SLOPES, splits);
        b.cmds.add(new DecodeSplit(FlashLaunch.decodeSplit(st, d.batch(), d.heads(), d.kvHeads(), d.nq(), d.dim(),
                splits), st, q, kc, Buf.V_CACHE, Buf.PART_O, Buf.PART_LSE, args));
        b.cmds.add(new Combine(FlashLaunch.decodeCombine(outType, rows), outType, Buf.PART_O, Buf.PART_LSE, Buf.OUT,
                lse ? Buf.LSE : null, rows, splits, d.dim()));
        return b.build();
    }

    /**
     * Appends new tokens {@code K_NEW, V_NEW [B, Hkv, Nnew, D]}: the first {@code counts[b]} rows of entry
     * {@code b} go to rows {@code at[b]..} of {@code K_CACHE, V_CACHE [B, Hkv, capacity, D]}. With
     * {@code rotation}, the keys are also rotated at those positions and appended to {@code K_ROT}, the cache's
     * rotated keys, so that decode steps with that RoPE read them as they are.
     */
    static FlashProgram append(int batch, int kvHeads, int nNew, int capacity, int dim, int[] at, int[] counts,
                               DType st, Rope rotation) {
        Builder b = new Builder();
        if (nNew == 0) {
            return b.build();
        }
        b.ints.put(Buf.CACHE_LENS, at);
        b.ints.put(Buf.NEW_LENS, counts);
        FlashLaunch l = FlashLaunch.append(st, batch, kvHeads, nNew, dim);
        b.cmds.add(new Append(l, st, Buf.K_NEW, Buf.V_NEW, Buf.K_CACHE, Buf.V_CACHE, Buf.CACHE_LENS, Buf.NEW_LENS,
                batch, kvHeads, nNew, capacity, dim));
        if (rotation != null) {
            Buf kr = b.rotatable(Buf.K_NEW, Buf.KR, (long) batch * kvHeads * nNew * dim * st.bytes(), false);
            int[] pos = new int[batch * nNew];
            for (int s = 0; s < batch; s++) {
                for (int n = 0; n < nNew; n++) {
                    pos[s * nNew + n] = at[s] + n;
                }
            }
            b.ints.put(Buf.K_POSITIONS, pos);
            b.cmds.add(ropePass(kr, st, batch, kvHeads, nNew, dim, b.rotation(rotation, dim), 0,
                    Buf.K_POSITIONS, nNew));
            // The kernel copies a K and a V row per element: both halves write the same rotated row here.
            b.cmds.add(new Append(l, st, kr, kr, Buf.K_ROT, Buf.K_ROT, Buf.CACHE_LENS, Buf.NEW_LENS, batch, kvHeads,
                    nNew, capacity, dim));
        }
        return b.build();
    }

    /**
     * A decode step as the kernels see it.
     *
     * @param lengths per batch entry, the cached tokens the step attends to
     * @param rope    RoPE with default positions, or null
     */
    record Decode(int batch, int heads, int kvHeads, int nq, int capacity, int dim, int[] lengths, double scale,
                  int causal, int windowLeft, int windowRight, float[] alibiSlopes, Rope rope) {
    }

    private static final class Builder {
        final Map<Buf, Long> scratch = new EnumMap<>(Buf.class);
        final Map<Buf, int[]> ints = new EnumMap<>(Buf.class);
        final Map<Buf, float[]> floats = new EnumMap<>(Buf.class);
        final List<Command> cmds = new ArrayList<>();

        /** The rotation of {@code rope} at head dim {@code dim}, its frequency table uploaded with the program. */
        Rotation rotation(Rope rope, int dim) {
            floats.put(Buf.ROPE_FREQ, RopeFrequencies.packed(rope, dim));
            return new Rotation(rope.rotaryDim(dim), RopeFrequencies.style(rope), (float) rope.attentionFactor(),
                    Buf.ROPE_FREQ);
        }

        /** The buffer to rotate: {@code src} itself when it is scratch, else a copy. */
        Buf rotatable(Buf src, Buf copy, long bytes, boolean srcIsScratch) {
            if (srcIsScratch) {
                return src;
            }
            scratch.put(copy, bytes);
            cmds.add(new SharedCommand.Copy(copy, src, bytes));
            return copy;
        }

        /** Where the kernel writes O: OUT when it has the storage type, else a scratch buffer converted after. */
        Buf output(DType st, DType outType, long elements) {
            if (outType == st) {
                return Buf.OUT;
            }
            if (outType != DType.FP32) {
                throw new IllegalArgumentException("output must be " + st + " or FP32, got " + outType);
            }
            scratch.put(Buf.O_T, elements * st.bytes());
            return Buf.O_T;
        }

        void convertOutput(DType st, DType outType, Buf o, long elements) {
            if (o != Buf.OUT) {
                cmds.add(new ToF32(st, o, Buf.OUT, elements));
            }
        }

        FlashProgram build() {
            DeviceCall.sizeUploads(scratch, ints, floats, Map.of());
            return new FlashProgram(scratch, ints, floats, List.copyOf(cmds));
        }
    }
}

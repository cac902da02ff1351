package org.attention4j.cuda;

/**
 * The device commands both paths' programs use ({@link CublasProgram}, {@link FlashProgram}), run alike by both
 * interpreters ({@link DeviceCall#runShared}) and by one CPU emulator in the tests: a device-to-device copy and the
 * RoPE kernel.
 */
sealed interface SharedCommand extends CublasProgram.Command, FlashProgram.Command
        permits SharedCommand.Copy, SharedCommand.Rope {

    /** {@code cuMemcpyDtoDAsync} of {@code bytes} from {@code src} to {@code dst}. */
    record Copy(Buf dst, Buf src, long bytes) implements SharedCommand {
    }

    /**
     * {@code a4j_rope_<type>} over {@code x [batch, heads, n, dim]} in place (cuda/README.md, rope.cu): the first
     * {@code rotaryDim} of each row rotated at position {@code posOffset + (positions ? positions[b *
     * positionsBatchStride + i] : i)}, with the packed frequency table {@code freq} and the attention factor.
     *
     * @param style     0 half, 1 interleaved ({@link RopeFrequencies#style})
     * @param positions the uploaded explicit positions, or null
     */
    record Rope(Buf x, DType type, int batch, int heads, int n, int dim, int rotaryDim, int style, Buf freq,
                float factor, int posOffset, Buf positions, int positionsBatchStride) implements SharedCommand {
    }
}

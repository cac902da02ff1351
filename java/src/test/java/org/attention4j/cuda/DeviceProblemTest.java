package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.attention4j.AttentionMask;
import org.attention4j.AttentionOptions;
import org.attention4j.Causal;
import org.attention4j.Rope;
import org.attention4j.RopeStyle;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionProblem;
import org.junit.jupiter.api.Test;

/** The device path validates shapes as the engine does, and resolves options to the same values. */
class DeviceProblemTest {

    @Test
    void deviceShapesResolveLikeTheHostProblem() {
        int[] qs = {2, 4, 3, 6}, ks = {2, 2, 5, 6}, vs = {2, 2, 5, 3};
        AttentionOptions o = AttentionOptions.builder().causal(Causal.TOP_LEFT).kvLengths(5, 2).alibi()
                .mask(AttentionMask.ofBoolean(new boolean[15], 3, 5)).window(2, 1)
                .rope(new Rope(500, RopeStyle.INTERLEAVED, new int[] {7, 8, 9}, null)).returnLse(true).build();
        DeviceProblem d = DeviceProblem.of(qs, ks, vs, o);
        DeviceProblem h = DeviceProblem.of(AttentionProblem.of(Tensor.zeros(qs), Tensor.zeros(ks), Tensor.zeros(vs), o));
        assertEquals(h.describe(), d.describe());
        assertEquals(h.scale(), d.scale());
        assertEquals(2, d.causal());
        assertArrayEquals(h.maskStrides(), d.maskStrides());
        assertArrayEquals(h.alibiSlopes(), d.alibiSlopes());
        assertArrayEquals(h.kvLengths(), d.kvLengths());
        assertArrayEquals(h.queryPositions(), d.queryPositions());
        assertEquals(h.windowLeft(), d.windowLeft());
        assertEquals(2L * 4 * 3, d.rows());
    }

    @Test
    void startPositionsBecomeDiagonalsAndRopePositionsOnHostCallsAndAreRefusedOnDeviceTensors() {
        int[] qs = {2, 2, 3, 8}, ks = {2, 2, 5, 8};
        AttentionOptions o = AttentionOptions.builder().causal().rope(100, RopeStyle.HALF)
                .startPositions(new int[] {10, 0}, new int[] {4, 7}).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceProblem.of(qs, ks, ks, o));
        assertEquals(DeviceProblem.NO_START_POSITIONS, e.getMessage());
        DeviceProblem h = DeviceProblem.of(AttentionProblem.of(Tensor.zeros(qs), Tensor.zeros(ks), Tensor.zeros(ks), o));
        assertArrayEquals(new int[] {6, -7}, h.diagonals());
        assertArrayEquals(new int[] {10, 11, 12, 0, 1, 2}, h.queryPositions());
        assertArrayEquals(new int[] {4, 5, 6, 7, 8, 7, 8, 9, 10, 11}, h.keyPositions());
        DeviceProblem plain = DeviceProblem.of(AttentionProblem.of(Tensor.zeros(qs), Tensor.zeros(ks),
                Tensor.zeros(ks), AttentionOptions.builder().causal().build()));
        assertEquals(null, plain.diagonals(), "without start positions the kernels align on Nk - Nq themselves");
    }

    @Test
    void badDeviceShapesAreRefusedNamingTheArgument() {
        int[] q = {1, 4, 3, 6}, k = {1, 2, 5, 6}, v = {1, 2, 5, 3};
        assertMessage("rank 4", () -> DeviceProblem.of(new int[] {4, 3, 6}, k, v, null));
        assertMessage("head dim D of k", () -> DeviceProblem.of(q, new int[] {1, 2, 5, 7}, v, null));
        assertMessage("not a multiple", () -> DeviceProblem.of(new int[] {1, 3, 3, 6}, k, v, null));
        assertMessage("batch B", () -> DeviceProblem.of(q, k, new int[] {2, 2, 5, 3}, null));
        assertMessage("kvLengths[0]=6",
                () -> DeviceProblem.of(q, k, v, AttentionOptions.builder().kvLengths(6).build()));
        assertMessage("does not broadcast", () -> DeviceProblem.of(q, k, v,
                AttentionOptions.builder().mask(AttentionMask.ofFloat(new float[4], 4)).build()));
        assertMessage("even head dim", () -> DeviceProblem.of(new int[] {1, 4, 3, 5}, new int[] {1, 2, 5, 5}, v,
                AttentionOptions.builder().rope(10000, RopeStyle.HALF).build()));
    }

    @Test
    void deviceShapesFollowTheHostRulesToTheLetter() {
        // The same shapes and options refused on both sides with one message (they once drifted: the device side
        // ignored RoPE's rotary dim), and accepted alike where partial rotary makes an odd head dim fine.
        int[] q = {1, 4, 3, 6}, k = {1, 2, 5, 6}, v = {1, 2, 5, 3};
        AttentionOptions tooWide = AttentionOptions.builder().rope(Rope.of(10000, RopeStyle.HALF).withRotaryDim(8))
                .build();
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> DeviceProblem.of(q, k, v, tooWide));
        IllegalArgumentException h = assertThrows(IllegalArgumentException.class,
                () -> AttentionProblem.of(Tensor.zeros(q), Tensor.zeros(k), Tensor.zeros(v), tooWide));
        assertTrue(d.getMessage().contains("rotaryDim must be at most the head dim"), d.getMessage());
        assertEquals(h.getMessage().replace("Tensor", ""), d.getMessage());
        AttentionOptions partial = AttentionOptions.builder().rope(Rope.of(10000, RopeStyle.HALF).withRotaryDim(4))
                .build();
        int[] q5 = {1, 4, 3, 5}, k5 = {1, 2, 5, 5};
        assertEquals(5, DeviceProblem.of(q5, k5, v, partial).dim());
        assertEquals(5, AttentionProblem.of(Tensor.zeros(q5), Tensor.zeros(k5), Tensor.zeros(v), partial).dim());
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), x.getMessage());
    }
}

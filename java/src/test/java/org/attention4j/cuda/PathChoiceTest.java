package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The dispatch rule between the fused kernels and the cuBLAS path, and the path setting. */
class PathChoiceTest {

    @Test
    void autoTakesTheFusedPathWheneverItCan() {
        PathChoice d = PathChoice.decide(false, 128, 128, DType.FP16, 9, true, CudaPath.AUTO, null);
        assertTrue(d.fused());
        assertEquals(2, d.version());
        assertEquals(2, PathChoice.decide(false, 59, 59, DType.BF16, 8, true, CudaPath.AUTO, null).version());
        // Dense fp32 storage under AUTO: the cuBLAS path; forced fused, or packed sequences: version 1.
        assertCublas(PathChoice.decideDense(false, 64, 64, DType.FP32, 9, true, CudaPath.AUTO, null), "fp32/tf32");
        assertEquals(1, PathChoice.decideDense(false, 64, 64, DType.FP32, 9, true, CudaPath.FUSED, null).version());
        assertEquals(2, PathChoice.decideDense(false, 64, 64, DType.FP16, 9, true, CudaPath.AUTO, null).version());
        assertEquals(1, PathChoice.decideDense(false, 64, 64, DType.FP16, 7, true, CudaPath.AUTO, null).version());
        // fp32 storage (FP32 and TF32 precisions) and pre-Ampere GPUs: version 1.
        assertEquals(1, PathChoice.decide(false, 64, 64, DType.FP32, 9, true, CudaPath.AUTO, null).version());
        assertEquals(1, PathChoice.decide(false, 64, 64, DType.FP16, 7, true, CudaPath.AUTO, null).version());
        assertEquals(1, PathChoice.decide(false, 1, 1, DType.FP32, 9, true, CudaPath.AUTO, null).version());
        assertTrue(PathChoice.decide(false, 256, 256, DType.FP16, 9, true, CudaPath.FUSED, null).fused());
    }

    @Test
    void theCublasPathKeepsWhatTheKernelsCannotTake() {
        assertCublas(PathChoice.decide(true, 64, 64, DType.FP16, 9, true, CudaPath.AUTO, null), "mask");
        assertCublas(PathChoice.decide(false, 64, 32, DType.FP16, 9, true, CudaPath.AUTO, null), "Dv == D");
        assertCublas(PathChoice.decide(false, 257, 257, DType.FP32, 9, true, CudaPath.AUTO, null), "D <= 256");
        assertCublas(PathChoice.decide(false, 64, 64, DType.FP16, 9, false, CudaPath.AUTO, null), "without the fused");
        assertCublas(PathChoice.decide(false, 64, 64, DType.FP16, 9, true, CudaPath.CUBLAS, null), "cublas");
        assertCublas(PathChoice.decide(true, 64, 64, DType.FP16, 9, false, CudaPath.CUBLAS, null), "cublas");
    }

    @Test
    void forcingFusedOnACallItCannotTakeNamesWhy() {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> PathChoice.decide(true, 64, 64, DType.FP16, 9, true, CudaPath.FUSED, null));
        assertTrue(x.getMessage().contains("attention4j.cuda.path=fused") && x.getMessage().contains("mask"),
                x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> PathChoice.decide(false, 64, 48, DType.FP32, 9, true, CudaPath.FUSED, null));
        assertTrue(x.getMessage().contains("D=64 Dv=48"), x.getMessage());
    }

    @Test
    void pathSettingParses() {
        assertEquals(CudaPath.FUSED, CudaPath.parse(" Fused "));
        assertEquals(CudaPath.CUBLAS, CudaPath.parse("cublas"));
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> CudaPath.parse("flash"));
        assertTrue(x.getMessage().contains("auto, fused, cublas") && x.getMessage().contains("flash"));
        String old = System.getProperty(CudaPath.PROPERTY);
        try {
            System.clearProperty(CudaPath.PROPERTY);
            assertEquals(CudaPath.AUTO, CudaPath.current());
            System.setProperty(CudaPath.PROPERTY, "cublas");
            assertEquals(CudaPath.CUBLAS, CudaPath.current());
        } finally {
            if (old == null) {
                System.clearProperty(CudaPath.PROPERTY);
            } else {
                System.setProperty(CudaPath.PROPERTY, old);
            }
        }
    }

    @Test
    void withoutCublasEveryCallTheFusedKernelsTakeRunsFusedAndTheRestFailWithBothReasons() {
        String gone = CudaErrors.NO_CUBLAS;
        // fp32 under AUTO would take the cuBLAS path; without it, fused v1.
        assertEquals(1, PathChoice.decideDense(false, 64, 64, DType.FP32, 9, true, CudaPath.AUTO, gone).version());
        assertEquals(2, PathChoice.decideDense(false, 64, 64, DType.FP16, 9, true, CudaPath.AUTO, gone).version());
        assertEquals(1, PathChoice.decide(false, 59, 59, DType.FP32, 9, true, CudaPath.FUSED, gone).version());
        org.attention4j.AttentionException mask = assertThrows(org.attention4j.AttentionException.class,
                () -> PathChoice.decideDense(true, 64, 64, DType.FP16, 9, true, CudaPath.AUTO, gone));
        assertTrue(mask.getMessage().contains("masks run on the cuBLAS path") && mask.getMessage().contains(gone),
                mask.getMessage());
        org.attention4j.AttentionException dim = assertThrows(org.attention4j.AttentionException.class,
                () -> PathChoice.decide(false, 257, 257, DType.FP32, 9, true, CudaPath.AUTO, gone));
        assertTrue(dim.getMessage().contains("D <= 256") && dim.getMessage().contains(gone), dim.getMessage());
        org.attention4j.AttentionException forced = assertThrows(org.attention4j.AttentionException.class,
                () -> PathChoice.decide(false, 64, 64, DType.FP16, 9, true, CudaPath.CUBLAS, gone));
        assertTrue(forced.getMessage().contains(CudaPath.PROPERTY + "=cublas") && forced.getMessage().contains(gone),
                forced.getMessage());
        // A fused setting on a call it cannot take is still the caller's argument error.
        assertThrows(IllegalArgumentException.class,
                () -> PathChoice.decide(true, 64, 64, DType.FP16, 9, true, CudaPath.FUSED, gone));
    }

    private static void assertCublas(PathChoice d, String reason) {
        assertFalse(d.fused(), d.toString());
        assertEquals(0, d.version());
        assertTrue(d.reason().contains(reason), d.reason());
    }
}

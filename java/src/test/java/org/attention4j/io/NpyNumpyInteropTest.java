package org.attention4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.attention4j.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by NumPy read back here, and files written here load in NumPy. Needs python3 with NumPy; the
 * format itself is covered without Python by {@link NpyTest}.
 */
class NpyNumpyInteropTest {
    @TempDir
    Path dir;

    private static boolean numpy;

    @BeforeAll
    static void probe() {
        try {
            numpy = python(null, "import numpy").exit == 0;
        } catch (IOException e) {
            numpy = false;
        }
    }

    @Test
    void readsWhatNumpyWrites() throws IOException {
        assumeTrue(numpy, "python3 with NumPy is not available");
        String script = String.join("\n",
                "import numpy as np, sys",
                "from numpy.lib import format as F",
                "d = sys.argv[1]",
                "def val(shape): return (np.arange(int(np.prod(shape)), dtype=np.float64) * 0.5 - 3).astype(np.float32).reshape(shape)",
                "np.save(d + '/scalar.npy', np.float32(2.5))",
                "np.save(d + '/empty.npy', np.zeros((2, 0, 3), np.float32))",
                "np.save(d + '/r4.npy', val((2, 3, 4, 5)))",
                "np.save(d + '/mask.npy', np.arange(12).reshape(3, 4) % 3 == 0)",
                "np.save(d + '/be.npy', val((3, 7)).astype('>f4'))",
                "np.save(d + '/sliced.npy', val((6, 8))[::2, 1::3])",
                "for ver in [(2, 0), (3, 0)]:",
                "    with open(d + '/v%d.npy' % ver[0], 'wb') as f: F.write_array(f, val((5, 3)), version=ver)",
                "np.save(d + '/f8.npy', val((2, 2)).astype(np.float64))",
                "np.save(d + '/fortran.npy', np.asfortranarray(val((3, 4))))");
        assertEquals(0, python(script, dir.toString()).exit);

        assertEquals(2.5f, Npy.readTensor(dir.resolve("scalar.npy")).data()[0]);
        assertArrayEquals(new int[] {}, Npy.readTensor(dir.resolve("scalar.npy")).shape());
        assertArrayEquals(new int[] {2, 0, 3}, Npy.readTensor(dir.resolve("empty.npy")).shape());
        checkValues(Npy.readTensor(dir.resolve("r4.npy")), 2, 3, 4, 5);
        checkValues(Npy.readTensor(dir.resolve("be.npy")), 3, 7);
        checkValues(Npy.readTensor(dir.resolve("v2.npy")), 5, 3);
        checkValues(Npy.readTensor(dir.resolve("v3.npy")), 5, 3);
        NpyArray m = Npy.read(dir.resolve("mask.npy"));
        assertArrayEquals(new int[] {3, 4}, m.shape());
        for (int i = 0; i < 12; i++) {
            assertEquals(i % 3 == 0, m.booleanData()[i], "mask element " + i);
        }
        Tensor s = Npy.readTensor(dir.resolve("sliced.npy"));
        assertArrayEquals(new int[] {3, 3}, s.shape());
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                assertEquals((2 * r * 8 + 1 + 3 * c) * 0.5f - 3, s.get(r, c));
            }
        }
        org.junit.jupiter.api.Assertions.assertThrows(NpyFormatException.class,
                () -> Npy.read(dir.resolve("f8.npy")));
        org.junit.jupiter.api.Assertions.assertThrows(NpyFormatException.class,
                () -> Npy.read(dir.resolve("fortran.npy")));
    }

    @Test
    void numpyReadsWhatWeWrite() throws IOException {
        assumeTrue(numpy, "python3 with NumPy is not available");
        int[][] shapes = {{}, {0}, {4}, {2, 0}, {3, 5}, {2, 3, 4}, {2, 3, 4, 5}};
        for (int s = 0; s < shapes.length; s++) {
            Tensor t = Tensor.zeros(shapes[s]);
            for (int i = 0; i < t.size(); i++) {
                t.data()[i] = i * 0.5f - 3;
            }
            Npy.write(dir.resolve("t" + s + ".npy"), t);
        }
        Npy.writeBoolean(dir.resolve("b.npy"), new boolean[] {true, false, false, true, true, false}, 2, 3);
        Npy.write(dir.resolve("nan.npy"), Tensor.of(new float[] {Float.NaN, Float.NEGATIVE_INFINITY, -0f}, 3));
        String script = String.join("\n",
                "import numpy as np, sys, ast",
                "d = sys.argv[1]",
                "shapes = ast.literal_eval(sys.argv[2])",
                "for s, shape in enumerate(shapes):",
                "    a = np.load(d + '/t%d.npy' % s, allow_pickle=False)",
                "    assert a.dtype == np.dtype('<f4') and a.shape == tuple(shape) and a.flags.c_contiguous, (s, a.dtype, a.shape)",
                "    want = (np.arange(a.size, dtype=np.float64) * 0.5 - 3).astype(np.float32).reshape(shape)",
                "    assert np.array_equal(a, want), s",
                "b = np.load(d + '/b.npy')",
                "assert b.dtype == np.bool_ and b.tolist() == [[True, False, False], [True, True, False]], b",
                "n = np.load(d + '/nan.npy')",
                "assert np.isnan(n[0]) and n[1] == -np.inf and n[2] == 0 and np.signbit(n[2]), n",
                "print('ok')");
        StringBuilder lit = new StringBuilder("[");
        for (int[] shape : shapes) {
            lit.append(java.util.Arrays.toString(shape)).append(',');
        }
        lit.append(']');
        Result r = python(script, dir.toString(), lit.toString());
        assertEquals(0, r.exit, r.output);
        assertEquals("ok", r.output.strip());
    }

    private static void checkValues(Tensor t, int... shape) {
        assertArrayEquals(shape, t.shape());
        for (int i = 0; i < t.size(); i++) {
            assertEquals(i * 0.5f - 3, t.data()[i], "element " + i);
        }
    }

    private record Result(int exit, String output) {
    }

    /** Runs {@code python3 -c script args...} (or {@code -c} with the first arg when script is null). */
    private static Result python(String script, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c"));
        if (script == null) {
            cmd.addAll(List.of(args));
        } else {
            cmd.add(script);
            cmd.addAll(List.of(args));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out);
            }
            if (p.exitValue() != 0 && script != null) {
                System.err.println(out);
            }
            return new Result(p.exitValue(), out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}

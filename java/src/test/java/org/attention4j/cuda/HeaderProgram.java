package org.attention4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs a small C++ program against one of the kernels' host/device headers in {@code cuda/} (compiled with g++:
 * no nvcc, no GPU) and returns what it prints, so that a test can hold the Java launch formulas to the headers'
 * ones. Skips, saying why, where the sources or g++ are absent.
 */
final class HeaderProgram {
    private HeaderProgram() {
    }

    /**
     * @param header the header under {@code cuda/} to include, e.g. {@code "softmax_math.h"}
     * @param body   the statements of {@code main}, which print with {@code std::printf}
     */
    static String run(Path tmp, String header, String body) throws IOException, InterruptedException {
        Path cuda = Path.of(System.getProperty("attention4j.cudaSources", "../cuda")).toAbsolutePath();
        assumeTrue(Files.isRegularFile(cuda.resolve(header)), "no CUDA sources at " + cuda);
        assumeTrue(onPath("g++"), "g++ not found");
        Path src = tmp.resolve("formulas.cpp");
        Files.writeString(src, "#include <cstdio>\n#include \"" + header + "\"\nint main() {\n" + body
                + "\n    return 0;\n}\n");
        Path exe = tmp.resolve("formulas");
        Process c = new ProcessBuilder("g++", "-std=c++17", "-I", cuda.toString(), "-o", exe.toString(),
                src.toString()).redirectErrorStream(true).start();
        String log = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(c.waitFor(120, TimeUnit.SECONDS), "g++ timed out");
        assertEquals(0, c.exitValue(), "g++ failed:\n" + log);
        Process r = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
        String out = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(r.waitFor(30, TimeUnit.SECONDS) && r.exitValue() == 0, out);
        return out;
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}

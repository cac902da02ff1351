package org.attention4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.attention4j.Tensor;
import org.attention4j.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


/**
 * Outputs never destroy data and inputs never hang the CLI: an output naming an input (any spelling, symbolic or
 * hard link), an output that is a link, FIFO, device node or read-only file, and an input that is not a regular
 * file are refused with exit status 2 and one line, before any work, every file left as it was.
 */
class FileSafetyTest extends CliTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void cliLogging() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "org/attention4j/cli/logback-cli.xml");
        }
    }

    @BeforeEach
    void inputs() throws IOException {
        Random rnd = new Random(3);
        for (String n : new String[] {"q", "k", "v"}) {
            float[] x = new float[2 * 4 * 8];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            Npy.write(dir.resolve(n + ".npy"), Tensor.of(x, 1, 2, 4, 8));
        }
        Files.createDirectories(dir.resolve("sub"));
    }

    private int run(List<String> args) {
        return run(args.toArray(new String[0]));
    }

    private List<String> attend(String... extra) {
        List<String> a = new ArrayList<>(List.of("attend", "--q", p("q.npy"), "--k", p("k.npy"), "--v", p("v.npy")));
        a.addAll(List.of(extra));
        return a;
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    /** Every entry of the directory (links not followed) with its bytes, or what it is when not a regular file. */
    private Map<String, Object> snapshot() throws IOException {
        Map<String, Object> m = new HashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                String key = dir.relativize(f).toString();
                if (Files.isSymbolicLink(f)) {
                    m.put(key, "link to " + Files.readSymbolicLink(f));
                } else if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    m.put(key, new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1)
                            + " mode " + PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
                } else {
                    m.put(key, Files.isDirectory(f) ? "dir" : "special");
                }
            }
        }
        return m;
    }

    private void refused(List<String> args, String fragment) throws IOException {
        Map<String, Object> before = snapshot();
        int code = run(args);
        assertEquals(2, code, args + ": " + err);
        String[] lines = err.split("\\R");
        assertEquals(1, lines.length, "stderr must be one line, got:\n" + err);
        assertTrue(lines[0].startsWith("error: ") && lines[0].contains(fragment),
                "'" + lines[0] + "' lacks '" + fragment + "'");
        assertEquals("", out, "nothing on stdout");
        Map<String, Object> after = snapshot();
        assertEquals(before.keySet(), after.keySet(), "no file created, removed or left behind");
        for (String key : before.keySet()) {
            Object b = before.get(key);
            Object a = after.get(key);
            assertTrue(b.equals(a), key + " changed");
        }
    }

    @Test
    void anOutputThatIsAnInputUnderAnySpellingIsRefused() throws IOException {
        refused(attend("--out", p("q.npy")), "is the same file as --q");
        refused(attend("--out", dir + "/./k.npy"), "is the same file as --k");
        refused(attend("--out", dir + "/sub/../v.npy"), "is the same file as --v");
        refused(attend("--out", p("out.npy"), "--weights", p("q.npy")), "--weights");
        Files.createSymbolicLink(dir.resolve("sub/qlink.npy"), dir.resolve("q.npy"));
        refused(attend("--out", p("sub/qlink.npy")), "symbolic link");
        Files.createLink(dir.resolve("hard.npy"), dir.resolve("v.npy"));
        refused(attend("--out", p("hard.npy")), "is the same file as --v");
        Files.createSymbolicLink(dir.resolve("subdir"), dir.resolve("sub"));
        Npy.write(dir.resolve("sub/mask.npy"), Tensor.of(new float[] {0f}, 1));
        refused(attend("--mask", p("sub/mask.npy"), "--out", p("subdir/mask.npy")), "is the same file as --mask");
    }

    @Test
    void twoOutputsNamingOneFileAreRefusedThroughLinkedDirectories() throws IOException {
        Files.createSymbolicLink(dir.resolve("alias"), dir.resolve("sub"));
        refused(attend("--out", p("o.npy"), "--weights", p("sub/w.npy"), "--lse", p("alias/w.npy")),
                "name the same file");
    }

    @Test
    void outputsThatAreNotWritableRegularFilesAreRefused() throws IOException {
        Path other = dir.resolve("other.npy");
        Files.writeString(other, "keep me");
        Files.createSymbolicLink(dir.resolve("link.npy"), other);
        refused(attend("--out", p("link.npy")), "is a symbolic link");
        Path ro = dir.resolve("ro.npy");
        Files.writeString(ro, "read only");
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r--r--r--"));
        refused(attend("--out", ro.toString()), "is read-only");
        refused(attend("--out", dir.toString()), "is a directory");
        refused(attend("--out", ""), "empty path");
        if (Files.exists(Path.of("/dev/null"))) {
            refused(attend("--out", "/dev/null"), "is a character device");
        }
        assumeTrue(mkfifo(dir.resolve("fifo")), "mkfifo is not available here");
        refused(attend("--out", p("fifo")), "is a FIFO");
    }

    @Test
    void inputsThatAreNotRegularFilesAreRefusedWithoutReading() throws IOException {
        refused(attend("--out", p("o.npy")).stream().map(a -> a.equals(p("k.npy")) ? dir.toString() : a).toList(),
                "--k " + dir + ": is a directory");
        if (Files.exists(Path.of("/dev/zero"))) {
            List<String> a = attend("--out", p("o.npy"));
            a.set(a.indexOf(p("v.npy")), "/dev/zero");
            refused(a, "is a character device");
        }
        assumeTrue(mkfifo(dir.resolve("in.fifo")), "mkfifo is not available here");
        List<String> a = attend("--out", p("o.npy"));
        a.set(a.indexOf(p("q.npy")), p("in.fifo"));
        // A FIFO with no writer would block a read forever: the refusal must come first.
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> refused(a, "is a FIFO"));
        Files.createSymbolicLink(dir.resolve("fifo-link.npy"), dir.resolve("in.fifo"));
        a.set(a.indexOf(p("in.fifo")), p("fifo-link.npy"));
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> refused(a, "is a FIFO"));
    }

    @Test
    void heatmapRefusesTheSameOutputRules() throws IOException {
        Npy.write(dir.resolve("w.npy"), Tensor.of(new float[] {0.25f, 0.75f, 1f, 0f}, 2, 2));
        refused(List.of("heatmap", "--weights", p("w.npy"), "--out", p("w.npy")), "is the same file as --weights");
        Files.createSymbolicLink(dir.resolve("png.png"), dir.resolve("q.npy"));
        refused(List.of("heatmap", "--weights", p("w.npy"), "--out", p("png.png")), "is a symbolic link");
    }

    @Test
    void theLibraryWriterRefusesALinkAndLeavesItsTarget() throws IOException {
        Path other = dir.resolve("other.npy");
        Files.writeString(other, "keep me");
        Path link = dir.resolve("link.npy");
        Files.createSymbolicLink(link, other);
        Tensor t = Tensor.of(new float[] {1f}, 1);
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> Npy.write(link, t));
        assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
        assertArrayEquals("keep me".getBytes(), Files.readAllBytes(other));
        assertTrue(Files.isSymbolicLink(link), "the link itself is left in place");
    }

    @Test
    void anOutputNameEndingInASeparatorIsADirectoryNotAFile() throws IOException {
        // Path.of("o.npy/") drops the slash; the CLI must not write o.npy for it.
        refused(attend("--out", p("o.npy") + "/"), "ends with a separator");
        refused(attend("--out", p("o.npy"), "--lse", p("sub") + "/"), "ends with a separator");
        refused(List.of("heatmap", "--weights", p("q.npy"), "--out", p("h.png") + "/"), "ends with a separator");
    }

    @Test
    void anOutputNameAtTheFileSystemLimitIsWritten() throws IOException {
        // The temporary file beside it must not be longer than the name itself allows (255 bytes on Linux).
        String name = "o".repeat(251) + ".npy";
        assertEquals(0, run(attend("--out", p(name))), err);
        assertEquals(List.of(1, 2, 4, 8), java.util.Arrays.stream(Npy.readTensor(dir.resolve(name)).shape())
                .boxed().toList());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList(),
                    "no temporary file left");
        }
    }

    @Test
    void benchRefusesBadInputShapesInOneLine() throws IOException {
        Path in = dir.resolve("in");
        Files.createDirectories(in);
        Npy.write(in.resolve("q.npy"), Tensor.zeros(1, 1, 2, 5, 4));
        Npy.write(in.resolve("k.npy"), Tensor.zeros(1, 2, 7, 4));
        Npy.write(in.resolve("v.npy"), Tensor.zeros(1, 2, 7, 4));
        Map<String, Object> before = snapshot();
        assertEquals(Main.EXIT_USAGE, run(List.of("bench", "--inputs", in.toString(), "--warmup", "0", "--iters", "1")));
        assertEquals(1, err.strip().split("\\R").length, "one line, no progress line first:\n" + err);
        assertTrue(err.startsWith("error: ") && err.contains("rank"), err);
        assertEquals(before, snapshot());
    }

    private static boolean mkfifo(Path p) {
        try {
            Process pr = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
            return pr.waitFor() == 0 && Files.exists(p);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

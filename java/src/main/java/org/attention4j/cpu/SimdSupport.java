package org.attention4j.cpu;

import java.lang.reflect.InvocationTargetException;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the kind of {@link TileOps} once per JVM, as Apache Lucene picks its vector kernels: the Vector API kind
 * when the module {@code jdk.incubator.vector} is in the boot layer (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}), the portable kind otherwise. One INFO line says which, and how to
 * enable the fast one when it is not in use.
 *
 * <p>System property {@code attention4j.cpu.simd}: {@code auto} (default), {@code vector} (the Vector API kind;
 * an error when the module is not readable) or {@code scalar} (the portable kind, e.g. to compare).
 */
public final class SimdSupport {
    /** The system property that chooses the kind. */
    public static final String PROPERTY = "attention4j.cpu.simd";
    /** The JVM option that makes the Vector API readable. */
    public static final String ENABLE_FLAG = "--add-modules jdk.incubator.vector";
    private static final String MODULE = "jdk.incubator.vector";
    /** Apart, so that {@link #vectorModulePresent()} (asked first thing by the CLI) does not start logging. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(SimdSupport.class);
    }

    private SimdSupport() {
    }

    /** Whether the Vector API module is readable in this JVM. */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /** What the cpu backend's inner loops are in this JVM, e.g. {@code "vector (512-bit, 16 float lanes)"}. */
    public static String activeKernels() {
        return TileOps.active().describe();
    }

    /** Whether the cpu backend runs the Vector API kernels in this JVM. */
    public static boolean vectorActive() {
        return !(TileOps.active() instanceof ScalarTileOps);
    }

    /**
     * Why the setting cannot be honoured, or null: checked by every cpu backend when it opens
     * ({@link #checkSetting()}), so that a bad setting is an exception there, never an error in a class
     * initialiser.
     */
    private static volatile String settingProblem;

    /**
     * Throws when {@value #PROPERTY} asks for what this JVM cannot give.
     *
     * @throws IllegalStateException naming the setting and the fix
     */
    public static void checkSetting() {
        TileOps.active().lanes();   // selection runs once, at the first use
        if (Thread.currentThread() != quiet) {
            String held = HELD.getAndSet(null);
            if (held != null) {
                Log.LOG.info(held);
            }
        }
        String problem = settingProblem;
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
    }

    /** The selection's line, when it was made {@link #quietly}: logged by the next engine that opens outside. */
    private static final AtomicReference<String> HELD = new AtomicReference<>();
    /** The thread inside {@link #quietly}, or null (a field, not a ThreadLocal: no state stays on any thread). */
    private static volatile Thread quiet;

    /**
     * Runs {@code body} with the one-time "cpu kernels: ..." line held back: if the kernels are chosen inside, the
     * line is logged when the next cpu engine opens outside {@code body}, or never. For work that is not the
     * caller's own call, such as the CLI's warm-up thread, whose backend would otherwise log it for a command that
     * may yet fail on its input (one line on stderr: the error). One thread at a time (the CLI's helper).
     */
    public static void quietly(Runnable body) {
        quiet = Thread.currentThread();
        try {
            body.run();
        } finally {
            quiet = null;
        }
    }

    private static void report(String line) {
        if (Thread.currentThread() == quiet) {
            HELD.set(line);
        } else {
            Log.LOG.info(line);
        }
    }

    static TileOps select() {
        String want = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        switch (want) {
            case "scalar":
                report("cpu kernels: scalar (" + PROPERTY + "=scalar)");
                return new ScalarTileOps();
            case "vector":
            case "auto":
                break;
            default:
                settingProblem = PROPERTY + " must be auto, vector or scalar, got '" + want + "'";
                return new ScalarTileOps();
        }
        if (!vectorModulePresent()) {
            if (want.equals("vector")) {
                settingProblem = PROPERTY + "=vector but the module " + MODULE + " is not readable: start the JVM"
                        + " with " + ENABLE_FLAG;
                return new ScalarTileOps();
            }
            report("cpu kernels: scalar; for the faster Vector API kernels start the JVM with " + ENABLE_FLAG);
            return new ScalarTileOps();
        }
        TileOps ops = loadVector();
        report("cpu kernels: " + ops.describe());
        return ops;
    }

    private static TileOps loadVector() {
        try {
            // By name: this class must load on JVMs where jdk.incubator.vector is absent.
            return (TileOps) Class.forName("org.attention4j.cpu.VectorTileOps").getDeclaredConstructor()
                    .newInstance();
        } catch (ClassNotFoundException | NoSuchMethodException | InstantiationException | IllegalAccessException
                | InvocationTargetException e) {
            throw new IllegalStateException("cannot load the Vector API kernels: " + e, e);
        }
    }
}

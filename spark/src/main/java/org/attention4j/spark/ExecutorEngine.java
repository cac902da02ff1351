package org.attention4j.spark;

import java.util.concurrent.atomic.AtomicInteger;

import org.attention4j.AttentionEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link AttentionEngine} per executor JVM, shared by every task that runs there: created at the first task
 * that needs it (AUTO: the GPU where one is usable, else the CPU engine; {@code attention4j.backend} and the
 * other engine properties apply, e.g. through {@code spark.executor.extraJavaOptions}) and closed when the JVM
 * stops (a shutdown hook: executors end by ending their JVM). Engines are thread-safe, so concurrent tasks of
 * one executor share it; creating one per row or per partition would repeat the device set-up each time.
 */
public final class ExecutorEngine {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngine.class);
    private static final AtomicInteger CREATED = new AtomicInteger();
    private static AttentionEngine engine;

    private ExecutorEngine() {
    }

    /** This JVM's engine, created on first use. */
    public static synchronized AttentionEngine get() {
        if (engine == null) {
            AttentionEngine e = AttentionEngine.create();
            CREATED.incrementAndGet();
            LOG.info("attention4j engine for this executor: {}", e.backend().cliName());
            Runtime.getRuntime().addShutdownHook(new Thread(ExecutorEngine::close, "attention4j-engine-close"));
            engine = e;
        }
        return engine;
    }

    /**
     * Asks every executor (one task per default-parallelism slot) which engine it runs, logs the answers here, on
     * the driver, at INFO, and returns them ({@code "<executor id>: <backend>"}, distinct, sorted).
     */
    public static java.util.List<String> describeExecutors(org.apache.spark.sql.SparkSession spark) {
        int parts = Math.max(1, spark.sparkContext().defaultParallelism());
        java.util.List<String> seen = new java.util.ArrayList<>(spark.range(0, parts, 1, parts).mapPartitions(
                (org.apache.spark.api.java.function.MapPartitionsFunction<Long, String>) it -> java.util.List.of(
                        org.apache.spark.SparkEnv.get().executorId() + ": " + get().backend().cliName()).iterator(),
                org.apache.spark.sql.Encoders.STRING()).distinct().collectAsList());
        java.util.Collections.sort(seen);
        LOG.info("attention4j engines of the executors: {}", String.join(", ", seen));
        return seen;
    }

    /** Applications whose executors were already described ({@link #describeOnce}). */
    private static final java.util.Set<String> DESCRIBED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * {@link #describeExecutors} once per Spark application (the first sharded or batch call of the application
     * runs it: one short job), so that the driver's log says which engine each executor runs.
     */
    static void describeOnce(org.apache.spark.sql.SparkSession spark) {
        if (DESCRIBED.add(spark.sparkContext().applicationId())) {
            describeExecutors(spark);
        }
    }

    /** How many engines this JVM has created (1 once any task ran, whatever the number of tasks). */
    public static int created() {
        return CREATED.get();
    }

    /** Closes this JVM's engine (idempotent); the next {@link #get()} creates a new one. */
    public static synchronized void close() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }
}

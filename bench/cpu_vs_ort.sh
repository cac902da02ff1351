#!/usr/bin/env bash
# Model-shaped attention on the CPU, in one JVM: attention4j's `cpu` backend against ONNX Runtime Java's fused
# opset-23 `Attention` operator (CPU execution provider), on the same seeded float32 inputs, alternating rounds,
# with a correctness check of one output against the other (normwise relative error <= 1e-4, no NaN; exit 1 on
# a failure). Cases: ViT-B/16, CLIP text (causal), SD 1.5 cross/self, Llama-3-8B decode over 8k keys (GQA 32/8),
# GQA causal prefill, BERT-base, Whisper encoder, ... (org.attention4j.bench.ModelSuiteBench lists them).
# Prints one row per case: time of each side (median of round medians), GFLOP/s, ratio = ORT ms / attention4j ms
# (> 1: attention4j faster), max error; then the geometric mean of the ratios.
#
# The ORT jar comes from the Maven profile `ort` (java/pom.xml), off in normal builds.
#
# Usage (from anywhere; builds the test classes with -Port first):
#   bench/cpu_vs_ort.sh
#   THREADS=4 ROUNDS=3 CASES=vit_b16,llama3_8b_decode_8k bench/cpu_vs_ort.sh
#   JAVA_OPTS="-Dwarmup.s=2 -Dattention4j.cpu.simd=..." bench/cpu_vs_ort.sh
# Environment: THREADS (2: attention4j workers and ORT intra-op threads), ROUNDS (5), CASES (comma list; default
#   all), JAVA_OPTS (extra JVM flags / -D properties: warmup.s 3.0, warmup.calls 10, round.s 0.5, ort.spin true,
#   into true (attentionInto a reused output; false: a new output per call),
#   seed 42),
#   SKIP_BUILD=1 (reuse java/target and the classpath file from a previous run).
# --add-modules jdk.incubator.vector gives the cpu backend its Vector API kernels; JAVA_OPTS=-Dattention4j.cpu.simd=scalar
# races the portable ones.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-5}"
CASES="${CASES:-}"
JAVA_OPTS="${JAVA_OPTS:-}"
CP_FILE="$ROOT/java/target/ort-test-classpath.txt"

if [[ "${SKIP_BUILD:-0}" != 1 || ! -f "$CP_FILE" ]]; then
    echo "# building test classes with -Port ..." >&2
    # Build output goes to stderr, so that stdout is the table alone.
    (cd "$ROOT" && mvn -B -ntp -q -Dstyle.color=never -pl java -Port -DskipTests -Dattention4j.skipKernels=true \
        test-compile) >&2
    (cd "$ROOT" && mvn -B -ntp -q -Dstyle.color=never -pl java -Port dependency:build-classpath \
        -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test) >&2
fi
CP="$(cat "$CP_FILE")"

# shellcheck disable=SC2086  # JAVA_OPTS is a list of flags
exec java --add-modules jdk.incubator.vector -Xmx8g $JAVA_OPTS \
    -Dthreads="$THREADS" -Drounds="$ROUNDS" -Dcases="$CASES" \
    -cp "$ROOT/java/target/classes:$ROOT/java/target/test-classes:$CP" \
    org.attention4j.bench.ModelSuiteBench

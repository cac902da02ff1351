#!/usr/bin/env bash
# Sequence-sharded attention on Spark without a cluster (master local[*] in this JVM): the last 256 tokens of a
# sequence of N = 262144 attend causally to all of it, the keys split into 1, 2, 4 and 8 key blocks generated on
# the executors, against one-process attention on the same keys in the same run; prints each shard count's median
# time, its ratio to one process (the overhead of Spark and the merge) and the largest output difference.
#
# Usage: bash bench/spark_shards.sh [ShardedAttentionExample options, e.g. --n 65536 --shards 1,4]
# Builds the core library and the spark module first (no CUDA kernels: the CPU engine runs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mvn -B -ntp -q -Dattention4j.skipKernels=true -DskipTests -pl java -am install
mvn -B -ntp -q -DskipTests -pl spark package dependency:build-classpath -Dmdep.outputFile="$TMP/cp.txt"
# The JVM options Spark needs on Java 17+, as the spark module's tests get them (spark/pom.xml).
OPENS="$(sed -n 's:.*<spark.jvm.opens>\(.*\)</spark.jvm.opens>.*:\1:p' spark/pom.xml)"
echo "# machine: $(nproc) cpus, $( (grep -m1 'model name' /proc/cpuinfo || echo ': unknown') | sed 's/.*: //'); $(java -version 2>&1 | head -1); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)"
# shellcheck disable=SC2086  # OPENS is a list of options
java $OPENS --add-modules jdk.incubator.vector -Xmx4g -cp "spark/target/classes:$(cat "$TMP/cp.txt")" \
    org.attention4j.spark.examples.ShardedAttentionExample --compare "$@" 2> "$TMP/stderr.txt" \
    || { tail -30 "$TMP/stderr.txt" >&2; exit 1; }

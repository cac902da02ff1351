#!/usr/bin/env bash
# Split-K on the CPU: one decode step of a multi-query model (32 query heads over 1 key/value head, so one query
# task for the threads), with the keys split into shares (default) and unsplit (-Dattention4j.cpu.splitKeys huge),
# alternating, through `bench` (Vector API kernels).
# Usage (after `mvn -B -ntp -DskipTests package`): bench/cpu_decode_split.sh   Environment: ROUNDS (3), NK (32768).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="$ROOT/java/target/attention4j.jar"
ROUNDS="${ROUNDS:-3}"
NK="${NK:-32768}"
[[ -f "$JAR" ]] || { echo "error: $JAR not found; build it first: mvn -B -DskipTests package" >&2; exit 2; }
echo "# machine: $(nproc) cpus, $( (grep -m1 'model name' /proc/cpuinfo || echo ': unknown') | sed 's/.*: //'); $(java -version 2>&1 | head -1)"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'); B=1 Hq=32 Hkv=1 Nq=1 Nk=$NK D=128, median of 20 calls after warm-up, $ROUNDS rounds"
for r in $(seq 1 "$ROUNDS"); do
    for mode in split unsplit; do
        opt=()
        [[ "$mode" == unsplit ]] && opt=(-Dattention4j.cpu.splitKeys=100000000)
        ms="$(java "${opt[@]}" -jar "$JAR" bench --backend cpu --heads 32 --kv-heads 1 --seq 1 --kv-seq "$NK" \
            --dim 128 --warmup 5 --warmup-time 3 --iters 20 2>/dev/null | grep '^cpu' | awk '{print $(NF-1)}')"
        echo "round $r $mode median_ms $ms"
    done
done

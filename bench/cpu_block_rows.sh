#!/usr/bin/env bash
# The cpu backend's query rows per task (attention4j.cpu.br): each size in turn, interleaved over rounds so that
# all see the same (possibly shared) machine; median ms per size from `bench`, and the median over rounds.
# Usage (after `mvn -B -DskipTests package`): bash bench/cpu_block_rows.sh
# Environment: SIZES (128,256,512), SEQ (2048), HEADS (8), DIM (64), THREADS (all), ROUNDS (5), ITERS (7).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="$ROOT/java/target/attention4j.jar"
SIZES="${SIZES:-128,256,512}"; SEQ="${SEQ:-2048}"; HEADS="${HEADS:-8}"; DIM="${DIM:-64}"
THREADS="${THREADS:-$(nproc)}"; ROUNDS="${ROUNDS:-5}"; ITERS="${ITERS:-7}"
[[ -f "$JAR" ]] || { echo "error: $JAR not found; build it first: mvn -B -DskipTests package" >&2; exit 2; }

echo "# machine: $(nproc) cpus, $( (grep -m1 'model name' /proc/cpuinfo || echo ': unknown') | sed 's/.*: //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# java: $(java -version 2>&1 | head -1)"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'); B=1 H=$HEADS N=$SEQ D=$DIM, $THREADS threads, median of $ITERS per round, $ROUNDS rounds"
declare -A all
for round in $(seq 1 "$ROUNDS"); do
    for br in ${SIZES//,/ }; do
        ms="$(java -Dattention4j.cpu.br="$br" -jar "$JAR" bench --backend cpu --threads "$THREADS" --seq "$SEQ" \
            --heads "$HEADS" --dim "$DIM" --warmup 3 --warmup-time 2 --iters "$ITERS" 2>/dev/null | tail -1 \
            | awk '{print $(NF-1)}')"
        echo "# round $round: br=$br ${ms} ms"
        all[$br]+="$ms "
    done
done
printf '%-8s %12s\n' "br" "median_ms"
for br in ${SIZES//,/ }; do
    printf '%-8s %12s\n' "$br" "$(echo ${all[$br]} | tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done

#!/usr/bin/env bash
# Before/after of two builds on one shape: `bench` of each jar in a fresh JVM, alternating jar by jar for PAIRS
# pairs, each run printing its median over --iters calls after --warmup-time seconds of warm-up; the rows as
# `bench` prints them, prefixed with the jar. On a shared VM compare within one run of this script.
#
# Usage: bench/cpu_ab.sh OLD.jar NEW.jar "<bench shape options>"   Environment: PAIRS (3), ITERS (200),
#        WARMUP_S (3).
#   e.g. bench/cpu_ab.sh /tmp/old.jar java/target/attention4j.jar "--batch 8 --heads 8 --seq 77 --dim 64 --causal"
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 OLD.jar NEW.jar \"<bench shape options>\"" >&2; exit 2; }
OLD="$1"
NEW="$2"
SHAPE="$3"
PAIRS="${PAIRS:-3}"
echo "# machine: $(nproc) cpus, $( (grep -m1 'model name' /proc/cpuinfo || echo ': unknown') | sed 's/.*: //'); $(java -version 2>&1 | head -1)"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); shape: $SHAPE; iters ${ITERS:-200}, warm-up ${WARMUP_S:-3} s; $PAIRS pairs"
for ((i = 1; i <= PAIRS; i++)); do
    for jar in "$OLD" "$NEW"; do
        # shellcheck disable=SC2086  # SHAPE is a list of options
        row="$(java -jar "$jar" bench $SHAPE --iters "${ITERS:-200}" --warmup-time "${WARMUP_S:-3}" 2>/dev/null \
            | grep -E '^(cpu|reference) ')"
        echo "$(basename "$jar") $row"
    done
done

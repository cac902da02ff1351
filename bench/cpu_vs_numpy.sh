#!/usr/bin/env bash
# Side by side, in one run on this machine: NumPy (+ its OpenBLAS) computing softmax(q k^T / sqrt(D)) v in
# float32, and attention4j's `cpu` backend on the very same inputs (written by NumPy as .npy, read with
# `bench --inputs`). Then one long sequence without weights, reporting the Java process's peak RSS to show that
# memory grows as O(N*D), not O(N^2).
#
# Usage (after `mvn -B -DskipTests package`):
#   bench/cpu_vs_numpy.sh                 # N=2048, B=1, H=8, D=64
#   SEQ=512,1024,2048 ITERS=9 bench/cpu_vs_numpy.sh
# Environment: SEQ (comma list, default 2048), HEADS (8), DIM (64), WARMUP (3), ITERS (7), ROUNDS (3),
#   JAVA_WARMUP_S (3: attention4j also warms up for at least this many seconds, so that the JIT has compiled
#   its loops; on 2 cores the compiler threads compete with the workers),
#   LONG_N (32768; 0 skips the long run), LONG_HEADS (8), LONG_XMX (2g: the heap cap of the long run).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="$ROOT/java/target/attention4j.jar"
SEQ="${SEQ:-2048}"
HEADS="${HEADS:-8}"
DIM="${DIM:-64}"
WARMUP="${WARMUP:-3}"
ROUNDS="${ROUNDS:-3}"
JAVA_WARMUP_S="${JAVA_WARMUP_S:-3}"
ITERS="${ITERS:-7}"
LONG_N="${LONG_N:-32768}"
LONG_HEADS="${LONG_HEADS:-8}"
LONG_XMX="${LONG_XMX:-2g}"

if [[ ! -f "$JAR" ]]; then
    echo "error: $JAR not found; build it first: mvn -B -DskipTests package" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "error: python3 with numpy is needed" >&2; exit 2; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

cpu_model="$( (grep -m1 'model name' /proc/cpuinfo 2>/dev/null || echo 'model name: unknown') | sed 's/.*: //')"
echo "# machine: $(nproc) cpus, $cpu_model, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "# java: $(java -version 2>&1 | head -1)"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'); B=1 H=$HEADS D=$DIM float32, warmup $WARMUP (java also >= ${JAVA_WARMUP_S} s), median of $ITERS, $ROUNDS rounds"

# ROUNDS alternations of NumPy and attention4j, so that both see the same (possibly shared, noisy) machine;
# each side reports its median over ITERS calls per round, the table the median over rounds.
: > "$TMP/results.txt"
for round in $(seq 1 "$ROUNDS"); do
    # NumPy first: it also writes the inputs that attention4j then reads.
    python3 "$ROOT/bench/numpy_attention.py" --seq "$SEQ" --heads "$HEADS" --dim "$DIM" --warmup "$WARMUP" \
        --iters "$ITERS" --out "$TMP" > "$TMP/numpy.txt"
    [[ "$round" == 1 ]] && grep '^#' "$TMP/numpy.txt"
    grep -v '^#' "$TMP/numpy.txt" | while IFS=$'\t' read -r n np_ms; do
        line="$(java -jar "$JAR" bench --backend cpu --inputs "$TMP/N$n" --warmup "$WARMUP" \
            --warmup-time "$JAVA_WARMUP_S" --iters "$ITERS" \
            2>"$TMP/bench.err" | tail -1)" || { cat "$TMP/bench.err" >&2; exit 3; }
        a4j_ms="$(echo "$line" | awk '{print $(NF-1)}')"
        echo "$n $np_ms $a4j_ms" >> "$TMP/results.txt"
        echo "# round $round: N=$n numpy ${np_ms} ms, attention4j cpu ${a4j_ms} ms"
    done
done

printf '%-28s %12s %18s %22s\n' "shape [B,H,N,D]" "numpy_ms" "attention4j_cpu_ms" "ratio (numpy/a4j)"
for n in ${SEQ//,/ }; do
    np_med="$(awk -v n="$n" '$1 == n {print $2}' "$TMP/results.txt" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"
    a4_med="$(awk -v n="$n" '$1 == n {print $3}' "$TMP/results.txt" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"
    ratio="$(awk -v a="$np_med" -v b="$a4_med" 'BEGIN { printf "%.2f", a / b }')"
    printf '%-28s %12s %18s %22s\n' "[1,$HEADS,$n,$DIM]" "$np_med" "$a4_med" "$ratio"
done
echo "# medians over $ROUNDS rounds; ratio > 1: attention4j cpu is faster. On a shared machine compare runs, not single numbers."

if [[ "$LONG_N" != "0" ]]; then
    echo
    echo "# long sequence: B=1 H=$LONG_HEADS N=$LONG_N D=$DIM, no weights, one timed call, heap capped at -Xmx$LONG_XMX"
    echo "# (one head's N x N scores alone would be $(( LONG_N * LONG_N * 4 / 1024 / 1024 )) MiB)"
    cmd=(java "-Xmx$LONG_XMX" -jar "$JAR" bench --backend cpu --heads "$LONG_HEADS" --seq "$LONG_N" --dim "$DIM"
         --warmup 0 --iters 1)
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -v "${cmd[@]}" >"$TMP/long.out" 2>"$TMP/long.err" || { cat "$TMP/long.err" >&2; exit 3; }
        rss_kb="$(grep 'Maximum resident set size' "$TMP/long.err" | awk '{print $NF}')"
    else
        # No GNU time: poll the JVM's high-water mark from /proc.
        "${cmd[@]}" >"$TMP/long.out" 2>"$TMP/long.err" &
        pid=$!
        rss_kb=0
        while kill -0 "$pid" 2>/dev/null; do
            hwm="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
            [[ -n "$hwm" && "$hwm" -gt "$rss_kb" ]] && rss_kb="$hwm"
            sleep 0.2
        done
        wait "$pid" || { cat "$TMP/long.err" >&2; exit 3; }
    fi
    tail -1 "$TMP/long.out" | awk '{printf "attention4j cpu: %s ms, %s GFLOP/s\n", $(NF-1), $NF}'
    inputs_mib=$(( 4 * LONG_HEADS * LONG_N * DIM * 4 / 1024 / 1024 ))
    echo "java peak RSS: $(( rss_kb / 1024 )) MiB (q, k, v and the output themselves: $inputs_mib MiB)"
fi

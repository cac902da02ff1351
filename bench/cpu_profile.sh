#!/usr/bin/env bash
# Where a cpu-backend call spends its time: `bench` on one shape under JFR (execution samples every 1 ms, the
# first WARMUP seconds left out), then the top frames by self time and attention4j's methods inclusive.
#
# Usage (after `mvn -B -ntp -DskipTests package`):
#   bench/cpu_profile.sh "--batch 8 --heads 12 --seq 197 --dim 64"          # ViT-B/16
#   JAR=/path/to/other/attention4j.jar bench/cpu_profile.sh "..."          # another build, for before/after
# Environment: JAR (java/target/attention4j.jar), ITERS (1500), WARMUP (5).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="${JAR:-$ROOT/java/target/attention4j.jar}"
ITERS="${ITERS:-1500}"
WARMUP="${WARMUP:-5}"
[[ $# -eq 1 ]] || { echo "usage: $0 \"<bench shape options>\"" >&2; exit 2; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cat > "$TMP/samples.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.ExecutionSample"><setting name="enabled">true</setting><setting name="period">1 ms</setting></event>
</configuration>
JFC
echo "# machine: $(nproc) cpus, $( (grep -m1 'model name' /proc/cpuinfo || echo ': unknown') | sed 's/.*: //'); $(java -version 2>&1 | head -1)"
echo "# jar: $JAR; shape: $1; iters $ITERS; $(date -u '+%Y-%m-%d %H:%M UTC')"
# shellcheck disable=SC2086
java --add-modules jdk.incubator.vector -XX:StartFlightRecording=filename="$TMP/rec.jfr",settings="$TMP/samples.jfc" \
    -jar "$JAR" bench $1 --iters "$ITERS" --warmup-time 3 2>/dev/null | grep -v '^#'
jfr print --events jdk.ExecutionSample "$TMP/rec.jfr" > "$TMP/rec.txt"
python3 "$ROOT/tools/jfr_top.py" "$TMP/rec.txt" --skip "$WARMUP" --top 12

#!/usr/bin/env bash
# Whole-process time of the one-shot CLI against NumPy's whole job (load, attend, save), in fresh processes:
# `java -jar attention4j.jar attend` on the portable kernels (what `attend` runs by default), the same with
# -Dattention4j.cpu.simd=vector (the CLI relaunches itself with the Vector API flag), the default without the
# start-up helper threads (-Dattention4j.cli.warmup=false, see cli/ColdStart), and a NumPy script doing
# softmax(q k^T / sqrt(D)) v in float32 on the same .npy files. Runs are interleaved; prints min / median / max.
#
# Usage (after `mvn -B -ntp -DskipTests package`): bench/cli_cold.sh
# Environment: RUNS (5), SHAPE (1,8,2048,64: B,H,N,D), JAR (java/target/attention4j.jar: another build to time).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="${JAR:-$ROOT/java/target/attention4j.jar}"
RUNS="${RUNS:-5}"
SHAPE="${SHAPE:-1,8,2048,64}"
[[ -f "$JAR" ]] || { echo "error: $JAR not found; build it first: mvn -B -DskipTests package" >&2; exit 2; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "# machine: $(nproc) cpus, $( (grep -m1 'model name' /proc/cpuinfo || echo ': unknown') | sed 's/.*: //'), $(uname -sr)"
echo "# java: $(java -version 2>&1 | head -1); $(python3 -c 'import numpy; print("numpy", numpy.__version__)'); jar: $JAR"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'); shape [B,H,N,D] = [$SHAPE], float32, $RUNS interleaved runs each"
python3 - "$JAR" "$TMP" "$RUNS" "$SHAPE" <<'PY'
import statistics, subprocess, sys, time
import numpy as np
jar, tmp, runs, shape = sys.argv[1], sys.argv[2], int(sys.argv[3]), tuple(int(x) for x in sys.argv[4].split(","))
rng = np.random.default_rng(1)
for n in "qkv":
    np.save(f"{tmp}/{n}.npy", rng.standard_normal(shape).astype(np.float32))
npjob = f"""
import numpy as np
q, k, v = [np.load('{tmp}/' + n + '.npy') for n in 'qkv']
s = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(q.shape[-1]))
s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
np.save('{tmp}/o_numpy.npy', (s @ v).astype(np.float32))
"""
attend = ["attend", "--q", f"{tmp}/q.npy", "--k", f"{tmp}/k.npy", "--v", f"{tmp}/v.npy", "--backend", "cpu"]
sides = {
    "attention4j attend (portable kernels)": ["java", "-jar", jar] + attend + ["--out", f"{tmp}/o1.npy"],
    "attention4j attend, no start-up helpers": ["java", "-Dattention4j.cli.warmup=false", "-jar", jar] + attend
        + ["--out", f"{tmp}/o3.npy"],
    "attention4j attend (vector, relaunched)": ["java", "-Dattention4j.cpu.simd=vector", "-jar", jar] + attend
        + ["--out", f"{tmp}/o2.npy"],
    "numpy whole job": [sys.executable, "-c", npjob],
}
times = {k: [] for k in sides}
for _ in range(runs):
    for name, cmd in sides.items():
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[name].append(time.perf_counter() - t0)
print(f"{'command':42s} {'min_s':>8s} {'median_s':>9s} {'max_s':>8s}")
for name, ts in times.items():
    print(f"{name:42s} {min(ts):8.3f} {statistics.median(ts):9.3f} {max(ts):8.3f}")
PY

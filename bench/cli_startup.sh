#!/usr/bin/env bash
# Start-up cost of the CLI jar(s): whole-process time of `--version` and of a tiny `attend` (B1 H1 N4 D8), runs
# interleaved across the jars given, min / median; and the classes `--version` loads (-Xlog:class+load).
#
# Usage: bench/cli_startup.sh [JAR...]      (default: java/target/attention4j.jar; give an older build's jar too
#        to compare)   Environment: RUNS (7).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${RUNS:-7}"
[[ $# -ge 1 ]] || set -- "$ROOT/java/target/attention4j.jar"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "# machine: $(nproc) cpus, $( (grep -m1 'model name' /proc/cpuinfo || echo ': unknown') | sed 's/.*: //'); $(java -version 2>&1 | head -1)"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $RUNS interleaved runs per jar and command"
python3 - "$TMP" "$RUNS" "$@" <<'PY'
import statistics, subprocess, sys, time
import numpy as np
tmp, runs, jars = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rng = np.random.default_rng(1)
for n in "qkv":
    np.save(f"{tmp}/{n}.npy", rng.standard_normal((1, 1, 4, 8)).astype(np.float32))
cmds = {"--version": ["--version"],
        "attend tiny": ["attend", "--q", f"{tmp}/q.npy", "--k", f"{tmp}/k.npy", "--v", f"{tmp}/v.npy", "--out", f"{tmp}/o.npy"]}
t = {}
for _ in range(runs):
    for j in jars:
        for name, args in cmds.items():
            s = time.monotonic()
            r = subprocess.run(["java", "-jar", j] + args, capture_output=True)
            if r.returncode != 0:
                sys.exit(f"{j} {name} failed: {r.stderr.decode()[:300]}")
            t.setdefault((j, name), []).append(time.monotonic() - s)
print(f"{'jar':60} {'command':12} {'min_s':>7} {'median_s':>9} {'classes':>8}")
for j in jars:
    log = f"{tmp}/classes.txt"
    subprocess.run(["java", f"-Xlog:class+load:file={log}", "-jar", j, "--version"], capture_output=True)
    classes = sum(1 for _ in open(log))
    for name in cmds:
        v = t[(j, name)]
        print(f"{j[-60:]:60} {name:12} {min(v):7.3f} {statistics.median(v):9.3f} {classes if name == '--version' else '':>8}")
PY

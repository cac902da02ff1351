#!/usr/bin/env bash
# The lent GPU machine's whole visit in two commands (issue 11). A task gets 15 device minutes in all and 10 a
# command, and 64 MiB travel: pack here, then run everything in ONE device call that writes as it goes.
#
#   here:    bash tools/gpu_machine.sh pack          (builds with the kernels, fills .device/, prints the size)
#   device:  run tool, carry [".device"], timeout_s 540:
#            bash tools/gpu_machine.sh run            (results under $OUT; about 8 minutes at most)
#   here:    bash tools/gpu_machine.sh dry-run       (the run step on this machine: every GPU step must FAIL,
#                                                      none may pass or skip, which shows the checks bite)
#
# run, step by step, each under its own time limit and into its own file under $OUT (so a fault in one does
# not poison the rest and whatever finished comes back even if the call is cut short):
#   00 glibc >= 2.34 (what the packed natives need), then run.sh info (GPU, driver, Java, which cuBLAS);
#   10 the native CUDA tests (built here, sent as .device/native-tests.tgz), each binary alone;
#   20 each GPU test class in its own JVM with -Dattention4j.test.requireGpu=true: a test that would skip
#      (no driver, no cuBLAS, kernels missing) fails instead, with the probe's reason;
#   30 a scan of the JUnit reports: every skipped test and its reason, every failure;
#   40 the benchmarks (bench/gpu_bench.sh, bench/flash_bench.sh) with short case lists, when time is left;
#   42 AUTO's fp32/tf32 rule (cuBLAS rather than fused v1) timed both ways, to confirm or overturn it.
# SUMMARY.txt in $OUT has one line per step: PASS, FAIL (with the file to read) or SKIP (time).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cmd="${1:-}"

# GPU test classes, one JVM each (the order puts the quick, diagnostic ones first).
GPU_CLASSES=(JCudaNativesTest JniSymbolsTest FlashJniSymbolsTest DeviceTensorTest CudaBackendGpuTest CudaFlashGpuTest)

pack() {
    command -v nvcc >/dev/null || { echo "pack: nvcc is needed here to build the kernels" >&2; exit 2; }
    # The shared pack.sh runs Maven at the root, whose reactor also holds the Spark module: its test scope
    # (Spark itself) neither resolves before an install nor fits 64 MiB, and copy-dependencies failed on it.
    # Maven reads extra options from .mvn/maven.config, so for the pack alone the reactor is the java module.
    if [[ -e .mvn/maven.config ]]; then
        echo "pack: .mvn/maven.config exists; the pack writes its own (-pl java) and would lose yours" >&2
        exit 2
    fi
    mkdir -p .mvn && echo "-pl java" > .mvn/maven.config
    trap 'rm -f .mvn/maven.config; rmdir .mvn 2>/dev/null' EXIT
    bash ../shared/device/pack.sh
    local packed=$?
    rm -f .mvn/maven.config; rmdir .mvn 2>/dev/null; trap - EXIT
    [[ $packed == 0 ]] || { echo "pack: ../shared/device/pack.sh failed (status $packed)" >&2; exit 1; }
    # Class folders of an earlier Spark build would ride along: the device runs no Spark.
    for d in .device/classes/*/; do
        if [[ -d "$d/org/attention4j/spark" ]]; then
            rm -rf "$d"
        fi
    done
    grep -q "attention4j_kernels.fatbin" <(find .device/classes -name '*.fatbin') \
        || { echo "pack: no kernels in .device/ (was nvcc found by the build?)" >&2; exit 1; }
    echo "[gpu_machine] native CUDA tests (built here, sent along)"
    make -s -C native-tests -j2 all >/dev/null || exit 1
    # Compressed: the binaries carry SASS and PTX uncompressed (14 MB as they are, a third of that in a tarball).
    tar -C native-tests/build -czf .device/native-tests.tgz $(cd native-tests/build && ls *_test)
    # JCuda's NVPTX-compiler and NVRTC bindings are never loaded (kernels come as a fatbin): about 9 MB less.
    python3 - .device/lib <<'PY'
import os, sys, zipfile
d = sys.argv[1]
for name in os.listdir(d):
    if not (name.startswith("jcuda-natives") and name.endswith(".jar")):
        continue
    path = os.path.join(d, name)
    with zipfile.ZipFile(path) as z:
        keep = [i for i in z.infolist() if "NvPTXCompiler" not in i.filename and "Nvrtc" not in i.filename]
        dropped = len(z.infolist()) - len(keep)
        data = [(i, z.read(i)) for i in keep]
    with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
        for i, b in data:
            z.writestr(i, b)
    os.replace(path + ".tmp", path)
    print(f"[gpu_machine] {name}: {dropped} unused native libraries left out")
PY
    local dev tree
    dev=$(du -sk .device | cut -f1)
    tree=$(git ls-files -z | xargs -0 du -ck 2>/dev/null | tail -1 | cut -f1)
    echo "[gpu_machine] .device: $((dev / 1024)) MiB; tracked tree: $((tree / 1024)) MiB; together" \
        "$(( (dev + tree) / 1024 )) MiB of the 64 MiB that travel"
    if (( dev + tree > 62 * 1024 )); then
        echo "[gpu_machine] too close to the 64 MiB limit" >&2
        exit 1
    fi
}

OUTDIR="${OUT:-/tmp/gpu-machine-out}"
START=$(date +%s)
BUDGET="${BUDGET_S:-470}"   # seconds for the whole run: under 8 minutes (the command limit is 600; room to come back)

left() { echo $(( BUDGET - ($(date +%s) - START) )); }

# step NAME LIMIT_S COMMAND...: runs COMMAND with a time limit, output to $OUTDIR/NAME.txt, a line to SUMMARY.
step() {
    local name="$1" limit="$2"
    shift 2
    local l
    l=$(left)
    if (( l < 20 )); then
        echo "SKIP $name (no time left)" | tee -a "$OUTDIR/SUMMARY.txt"
        return
    fi
    (( limit > l - 10 )) && limit=$(( l - 10 ))
    local t0=$(date +%s)
    # Through bash -c, so that the functions below (exported) run under the limit as well as programs do.
    timeout --kill-after=5 "$limit" bash -c '"$@"' _ "$@" > "$OUTDIR/$name.txt" 2>&1
    local rc=$?
    local verdict=PASS
    [[ $rc -ne 0 ]] && verdict="FAIL (rc $rc$([[ $rc -eq 124 ]] && echo ", timed out after ${limit}s"); see $name.txt)"
    echo "$verdict $name ($(( $(date +%s) - t0 ))s)" | tee -a "$OUTDIR/SUMMARY.txt"
}

glibc_ok() {
    local v
    v=$(ldd --version 2>&1 | head -1 | grep -oE '[0-9]+\.[0-9]+$')
    [[ -z "$v" ]] && v=$(getconf GNU_LIBC_VERSION 2>/dev/null | grep -oE '[0-9]+\.[0-9]+$')
    echo "glibc ${v:-unknown} (the packed JRE, cuBLAS shim and native tests need >= 2.34)"
    [[ -n "$v" ]] || return 1
    local major=${v%%.*} minor=${v#*.}
    (( major > 2 || (major == 2 && minor >= 34) ))
}

# CUDA libraries where pip and conda put them (PyTorch's nvidia/*/lib and torch/lib, $CONDA_PREFIX/lib):
# run.sh's search looks in CUBLAS_DIRS first.
pip_cuda_dirs() {
    python3 - <<'PY' 2>/dev/null
import glob, os
dirs = []
try:
    import nvidia
    for base in nvidia.__path__:
        dirs += sorted(glob.glob(os.path.join(base, "*", "lib")))
except Exception:
    pass
try:
    import importlib.util
    spec = importlib.util.find_spec("torch")
    if spec and spec.submodule_search_locations:
        dirs += [os.path.join(p, "lib") for p in spec.submodule_search_locations]
except Exception:
    pass
if os.environ.get("CONDA_PREFIX"):
    dirs.append(os.path.join(os.environ["CONDA_PREFIX"], "lib"))
print(" ".join(d for d in dirs if os.path.isdir(d)))
PY
}

# AUTO's rule for dense fp32/tf32 calls (cuBLAS, not fused v1: PathChoice.decideDense), timed both ways.
fp32_paths() {
    local c="1,8,2048,2048,64,1;4,16,1024,1024,128,0"
    for path in cublas fused; do
        echo "== attention4j.cuda.path=$path"
        bash .device/run.sh java -Dattention4j.cuda.path=$path org.attention4j.cuda.GpuBench --cases "$c" \
            --precisions fp32,tf32 --iters 10 --json "$OUTDIR/fp32-$path.jsonl"
    done
}

info_all() {
    bash .device/run.sh info
    local n
    n=$(nm -D --defined-only .device/shim/libcublas.so.12 2>/dev/null | grep -c ' T cublas' || true)
    echo "cuBLAS 12 -> 13 shim: exports $n functions (used only where no libcublas.so.12 is found; each JVM that" \
        "loads it prints 'cublas shim: TARGET, N of M functions forwarded' into its step's file)"
    echo "CUBLAS_DIRS searched first: ${CUBLAS_DIRS:-none}"
    nvidia-smi 2>&1 | head -15
}

junit_class() {
    local cls="$1"
    JAVA_TOOL_OPTIONS="-Dattention4j.test.requireGpu=true ${JAVA_TOOL_OPTIONS:-}" \
        OUT="$OUTDIR/junit-$cls" bash .device/run.sh junit --include-classname "org\\.attention4j\\.cuda\\.$cls" \
        --fail-if-no-tests
}

scan_reports() {
    python3 - "$OUTDIR" $GPU_CLASSES_LIST <<'PY'
import glob, os, re, sys
out = sys.argv[1]
bad = 0
for cls in sys.argv[2:]:
    if not glob.glob(os.path.join(out, "junit-" + cls, "junit", "*.xml")):
        print(f"NO REPORT for {cls}: its JVM did not run the tests")
        bad += 1
for f in sorted(glob.glob(os.path.join(out, "junit-*", "junit", "*.xml"))):
    text = open(f, encoding="utf-8", errors="replace").read()
    for case in re.finditer(r'<testcase name="([^"]*)" classname="([^"]*)"[^>]*>(.*?)</testcase>', text, re.S):
        name, cls, body = case.groups()
        m = (re.search(r'<skipped message="([^"]*)"', body)
             or re.search(r'<skipped>\s*(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?\s*</skipped>', body, re.S)
             or re.search(r'<skipped\s*/>()', body))
        if m:
            print(f"SKIPPED {cls}.{name}: {m.group(1)[:300]}")
            bad += 1
        m = re.search(r'<(failure|error) message="([^"]*)"', body)
        if m:
            print(f"{m.group(1).upper()} {cls}.{name}: {m.group(2)[:300]}")
            bad += 1
print(f"{bad} tests skipped or failed")
sys.exit(1 if bad else 0)
PY
}

export -f glibc_ok info_all junit_class scan_reports fp32_paths
export OUTDIR
export GPU_CLASSES_LIST="${GPU_CLASSES[*]}"

run() {
    mkdir -p "$OUTDIR"
    : > "$OUTDIR/SUMMARY.txt"
    echo "gpu_machine run, $(date -u +%FT%TZ), budget ${BUDGET}s" | tee -a "$OUTDIR/SUMMARY.txt"
    [[ -f .device/run.sh ]] || { echo "FAIL no .device/ (pack here first, carry [\".device\"])" \
        | tee -a "$OUTDIR/SUMMARY.txt"; return 1; }
    export CUBLAS_DIRS="$(pip_cuda_dirs) ${CUBLAS_DIRS:-}"
    export CUBLAS_SHIM_VERBOSE=1
    step 00-glibc 10 glibc_ok || true
    if ! grep -q "^PASS 00-glibc " "$OUTDIR/SUMMARY.txt"; then
        echo "glibc too old for the packed JRE/natives: nothing else can run" | tee -a "$OUTDIR/SUMMARY.txt"
        return 1
    fi
    step 01-info 30 info_all
    local nt="$OUTDIR/.native-tests"
    mkdir -p "$nt" && tar -C "$nt" -xzf .device/native-tests.tgz
    for t in "$nt"/*_test; do
        [[ -x "$t" ]] && step "10-native-$(basename "$t")" 45 "$t"
    done
    rm -rf "$nt"
    for cls in "${GPU_CLASSES[@]}"; do
        step "20-junit-$cls" 180 junit_class "$cls"
    done
    step 30-report-scan 20 scan_reports
    if [[ "${BENCH:-1}" == 1 ]]; then
        step 40-gpu-bench 120 env CASES="1,8,2048,2048,64,1;1,32,8192,8192,128,1;16,32,1,4096,128,0" \
            PRECISIONS=fp16,bf16,tf32 ITERS=10 OUT="$OUTDIR/gpu-bench" bash bench/gpu_bench.sh
        step 41-flash-bench 120 env OUT="$OUTDIR/flash-bench" bash bench/flash_bench.sh
        step 42-fp32-paths 100 fp32_paths
    fi
    echo "done in $(( $(date +%s) - START ))s" | tee -a "$OUTDIR/SUMMARY.txt"
    ! grep -q "^FAIL" "$OUTDIR/SUMMARY.txt"
}

case "$cmd" in
    pack) pack ;;
    run) run ;;
    dry-run)
        # Here: no GPU, so every GPU step must fail (not pass, not skip), with the probe's reason, and every
        # other step must pass: that is what this checks. A missing pack or a step that never ran fails it too.
        BENCH=0 run
        echo "--- dry run without a GPU: the native tests and the Cuda*GpuTest classes must FAIL (with the probe's reason), the rest pass"
        python3 - "$OUTDIR" "${GPU_CLASSES[@]}" <<'PY'
import os, re, sys
out, classes = sys.argv[1], sys.argv[2:]
summary = open(os.path.join(out, "SUMMARY.txt")).read().splitlines()
verdict = {}
for line in summary:
    m = re.match(r"(PASS|FAIL|SKIP)\b.*?\s(\S+) \(\d+s\)$", line) or re.match(r"(SKIP) (\S+) \(", line)
    if m:
        verdict[m.group(2)] = m.group(1)
problems = []
def want(step, v):
    if verdict.get(step) != v:
        problems.append(f"{step}: expected {v}, got {verdict.get(step, 'no such step')}")
want("00-glibc", "PASS")
want("01-info", "PASS")
natives = [k for k in verdict if k.startswith("10-native-")]
if not natives:
    problems.append("no native test ran (is .device/native-tests.tgz there?)")
for k in natives:
    want(k, "FAIL")
for cls in classes:
    step = "20-junit-" + cls
    if re.fullmatch(r"Cuda\w*GpuTest", cls):
        want(step, "FAIL")
        f = os.path.join(out, step + ".txt")
        if not (os.path.exists(f) and "the GPU is required (-Dattention4j.test.requireGpu=true)" in open(f).read()):
            problems.append(f"{step}: its failures do not give the probe's reason")
    else:
        want(step, "PASS")
want("30-report-scan", "FAIL")
for p in problems:
    print("dry run:", p, file=sys.stderr)
print("dry run: " + ("the checks bite" if not problems else f"{len(problems)} problems"))
sys.exit(1 if problems else 0)
PY
        ;;
    *) echo "usage: tools/gpu_machine.sh pack | run | dry-run   (see the comment at the top)" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Builds every CUDA kernel of attention4j into one fatbin, as a classpath resource tree:
#   <output-dir>/org/attention4j/cuda/attention4j_kernels.fatbin   (SASS sm_75/80/86/89/90 + PTX compute_90)
#   <output-dir>/org/attention4j/cuda/kernels.properties           (nvcc version, targets, kernel names, source hash)
# Usage: cuda/build.sh <output-dir>     (Maven runs it in java's generate-resources phase)
# nvcc is taken from $NVCC, then PATH, then /usr/local/cuda/bin. Without nvcc: one line, exit 0 (the build
# still succeeds and the CUDA backend reports "kernels not built"). With nvcc: any compile error fails.
# Unchanged sources and nvcc: the existing fatbin is kept (no 20 s rebuild on every mvn run).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 <output-dir>" >&2
    exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
out="$1/org/attention4j/cuda"

nvcc="${NVCC:-}"
if [[ -z "$nvcc" ]]; then
    nvcc="$(command -v nvcc || true)"
fi
if [[ -z "$nvcc" && -x /usr/local/cuda/bin/nvcc ]]; then
    nvcc=/usr/local/cuda/bin/nvcc
fi
if [[ -z "$nvcc" ]] || ! "$nvcc" --version >/dev/null 2>&1; then
    echo "nvcc not found: CUDA kernels not built (the cuda backend will report 'kernels not built')"
    exit 0
fi

# SASS for every supported architecture, PTX for the newest so that later GPUs JIT it. sm_75 (Turing: T4, the
# common inference card of cloud providers) is the oldest CudaProbe accepts (MIN_CC 75); compressed, its SASS
# costs little of the 64 MiB a device visit carries (docs/benchmarks/gpu_readiness_2026-12-08.txt).
gencode=(
    -gencode arch=compute_75,code=sm_75
    -gencode arch=compute_80,code=sm_80
    -gencode arch=compute_86,code=sm_86
    -gencode arch=compute_89,code=sm_89
    -gencode "arch=compute_90,code=[sm_90,compute_90]"
)
flags=(-O3 -std=c++17)
# nvcc compiles the targets of one file in parallel: one thread per core (CI has 2).
threads="${A4J_NVCC_THREADS:-$(nproc 2>/dev/null || echo 2)}"

nvcc_version="$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\), V\([0-9.]*\).*/\2/p')"
if [[ "${nvcc_version%%.*}" != 12 ]]; then
    # Code from a newer nvcc than the driver does not load; JCuda 12.6 targets CUDA 12 drivers.
    echo "warning: nvcc $nvcc_version: these kernels load only on drivers of CUDA ${nvcc_version%%.*} or newer;" \
        "for CUDA 12 drivers build with NVCC=/usr/local/cuda-12.x/bin/nvcc (docker/Dockerfile pins 12.6)" >&2
fi
sources=("$here"/*.cu "$here"/*.cuh "$here"/*.h)  # everything all.cu may include: a change rebuilds
hash="$( (cat "${sources[@]}"; echo "$nvcc_version ${gencode[*]} ${flags[*]} compress-all") | sha256sum | cut -c1-16)"

if [[ -f "$out/attention4j_kernels.fatbin" && -f "$out/kernels.properties" ]] \
        && grep -qx "sources.sha256=$hash" "$out/kernels.properties"; then
    echo "CUDA kernels up to date: $out/attention4j_kernels.fatbin"
    exit 0
fi

mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
echo "Building CUDA kernels with $nvcc (CUDA $nvcc_version, $threads threads)"
# Compressed (the driver inflates it at load): 1,850,688 instead of 13,701,104 bytes for the five
# architectures (docs/benchmarks/gpu_readiness_2026-12-07.txt), which keeps the jar small and the packed device
# tree well inside what travels to the GPU machine (issue 11).
"$nvcc" --fatbin "${flags[@]}" -Xfatbin=-compress-all --threads "$threads" "${gencode[@]}" \
    -o "$tmp/attention4j_kernels.fatbin" "$here/all.cu"
# Kernel names from the PTX (the fatbin is compressed); cheap next to the SASS builds.
"$nvcc" -ptx "${flags[@]}" -arch=compute_90 -o "$tmp/all.ptx" "$here/all.cu"
kernels="$(sed -n 's/^\.visible \.entry \([A-Za-z0-9_]*\).*/\1/p' "$tmp/all.ptx" | sort | paste -sd, -)"
if [[ -z "$kernels" ]]; then
    echo "error: no kernels found in the compiled PTX" >&2
    exit 1
fi
{
    echo "# attention4j CUDA kernels, written by cuda/build.sh"
    echo "nvcc.version=$nvcc_version"
    echo "targets=sm_75,sm_80,sm_86,sm_89,sm_90,compute_90"
    echo "kernels=$kernels"
    echo "sources.sha256=$hash"
} > "$tmp/kernels.properties"
mv "$tmp/attention4j_kernels.fatbin" "$out/attention4j_kernels.fatbin"
mv "$tmp/kernels.properties" "$out/kernels.properties"
echo "CUDA kernels built in $(( $(date +%s) - start )) s: $out/attention4j_kernels.fatbin ($(wc -c < "$out/attention4j_kernels.fatbin") bytes, $(tr ',' '\n' <<< "$kernels" | wc -l) kernels)"

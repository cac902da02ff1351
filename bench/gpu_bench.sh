#!/usr/bin/env bash
# The GPU benchmark, in one device run: attention4j's CUDA path (GpuBench) and PyTorch's
# scaled_dot_product_attention (each backend pinned per row: math, flash, efficient, cudnn, and the default with
# the backend it picked) on the same shapes and precisions, TFLOP/s (4*B*H*Nq*Nk*D, halved for causal), the
# ratios, and the softmax kernel's bandwidth vs a device copy.
#
#   here:        bash tools/gpu_machine.sh pack             (builds, fills .device/; the java module alone)
#   device run:  bash bench/gpu_bench.sh                    (with carry [".device"]; results under $OUT)
#
# CASES ("B,H,Nq,Nk,D,causal;...") and PRECISIONS (fp32,tf32,fp16,bf16) may be overridden from the environment.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/attention4j-bench}
mkdir -p "$out"
CASES=${CASES:-"1,8,2048,2048,64,0;1,8,2048,2048,64,1;4,16,4096,4096,64,1;1,32,8192,8192,128,1;8,16,1024,1024,64,0;16,32,1,4096,128,0"}
PRECISIONS=${PRECISIONS:-fp32,tf32,fp16,bf16}
ITERS=${ITERS:-20}

bash .device/run.sh info 2>&1 | tee "$out/info.txt"
date -u +"date: %Y-%m-%dT%H:%M:%SZ" | tee -a "$out/info.txt"
# A workspace of 16 GiB keeps the largest case in one chunk; the H200 has 139 GiB.
# The cuBLAS path is what this benchmark measures (flash_bench.sh measures the fused kernels).
bash .device/run.sh java -Dattention4j.cuda.workspaceBytes=17179869184 -Dattention4j.cuda.path=cublas \
    org.attention4j.cuda.GpuBench \
    --cases "$CASES" --precisions "$PRECISIONS" --iters "$ITERS" --json "$out/attention4j.jsonl" \
    2>&1 | tee "$out/attention4j.txt"
python3 bench/torch_sdpa.py --cases "$CASES" --precisions "$PRECISIONS" --iters "$ITERS" \
    --json "$out/torch.jsonl" --compare "$out/attention4j.jsonl" 2>&1 | tee "$out/summary.txt"

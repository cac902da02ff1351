#!/usr/bin/env bash
# The fused-kernel benchmark, in one device run: attention4j's fused path (FlashBench) and PyTorch's
# scaled_dot_product_attention (default backend choice, and flash forced) on the same shapes: 16k tokens per
# batch (B*N = 16384), N from 512 to 16384, D 64 and 128 (H = 2048/D), causal and not, fp16 and bf16; TFLOP/s
# (4*B*H*N*N*D, halved for causal) and the ratios; decode tokens/s for one query over 32k and 128k cached keys.
#
#   here:        bash tools/gpu_machine.sh pack             (builds, fills .device/; the java module alone)
#   device run:  bash bench/flash_bench.sh                  (with carry [".device"]; results under $OUT)
#
# CASES ("B,H,N,D,causal;..."), DECODE ("B,Hq,Hkv,D,L;..."), PRECISIONS and ITERS may be overridden.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/attention4j-flash-bench}
mkdir -p "$out"
if [ -z "${CASES:-}" ]; then
  CASES=""
  for d in 64 128; do
    h=$((2048 / d))
    for n in 512 1024 2048 4096 8192 16384; do
      b=$((16384 / n))
      for causal in 0 1; do CASES="$CASES${CASES:+;}$b,$h,$n,$d,$causal"; done
    done
  done
fi
DECODE=${DECODE:-"1,32,8,128,32768;1,32,8,128,131072"}
PRECISIONS=${PRECISIONS:-fp16,bf16}
ITERS=${ITERS:-20}

bash .device/run.sh info 2>&1 | tee "$out/flash_info.txt"
date -u +"date: %Y-%m-%dT%H:%M:%SZ" | tee -a "$out/flash_info.txt"
bash .device/run.sh java org.attention4j.cuda.FlashBench --cases "$CASES" --decode "$DECODE" \
    --precisions "$PRECISIONS" --iters "$ITERS" --json "$out/flash_attention4j.jsonl" \
    2>&1 | tee "$out/flash_attention4j.txt"
python3 bench/torch_flash.py --cases "$CASES" --decode "$DECODE" --precisions "$PRECISIONS" --iters "$ITERS" \
    --json "$out/flash_torch.jsonl" --compare "$out/flash_attention4j.jsonl" 2>&1 | tee "$out/flash_summary.txt"

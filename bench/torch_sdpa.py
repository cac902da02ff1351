#!/usr/bin/env python3
"""PyTorch's scaled_dot_product_attention on the same cases and precisions as attention4j's GpuBench.

Times the math backend (materialises the scores, the like-for-like comparison with attention4j's cuBLAS path)
and PyTorch's default choice (flash / memory-efficient kernels where they apply), with CUDA events, and prints
TFLOP/s = 4*B*H*Nq*Nk*D / time (halved for causal). With --compare FILE (GpuBench's --json output) it prints
the ratios attention4j / PyTorch and the softmax kernel's fraction of copy bandwidth.

  python3 bench/torch_sdpa.py --cases "1,8,2048,2048,64,0;..." --precisions fp32,tf32,fp16,bf16 \
      [--iters 20] [--json torch.jsonl] [--compare attention4j.jsonl]
"""
import argparse
import json

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

DTYPES = {"fp32": torch.float32, "tf32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def time_ms(fn, iters):
    for _ in range(3):
        fn()
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / iters


def run_case(case, prec, iters):
    b, h, nq, nk, d, causal = (int(x) for x in case.split(","))
    torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
    torch.backends.cudnn.allow_tf32 = prec == "tf32"
    g = torch.Generator(device="cuda").manual_seed(1)
    dt = DTYPES[prec]
    q = torch.randn(b, h, nq, d, device="cuda", dtype=dt, generator=g)
    k = torch.randn(b, h, nk, d, device="cuda", dtype=dt, generator=g)
    v = torch.randn(b, h, nk, d, device="cuda", dtype=dt, generator=g)
    # Bottom-right causal (attention4j's default) equals PyTorch's top-left is_causal only when Nq == Nk.
    is_causal = causal == 1
    if is_causal and nq != nk:
        raise SystemExit(f"case {case}: causal needs Nq == Nk for a like-for-like comparison")
    flops = 4.0 * b * h * nq * nk * d * (0.5 if is_causal else 1.0)
    out = []
    for name, backends in (("torch-math", [SDPBackend.MATH]), ("torch-default", None)):
        def call():
            return F.scaled_dot_product_attention(q, k, v, is_causal=is_causal)
        try:
            if backends is None:
                ms = time_ms(call, iters)
            else:
                with sdpa_kernel(backends):
                    ms = time_ms(call, iters)
            out.append({"impl": name, "case": case, "precision": prec, "ms": ms,
                        "tflops": flops / (ms * 1e-3) / 1e12})
        except RuntimeError as e:  # e.g. the math backend out of memory (OutOfMemoryError is one)
            out.append({"impl": name, "case": case, "precision": prec, "error": str(e).splitlines()[0]})
        torch.cuda.empty_cache()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", required=True)
    ap.add_argument("--precisions", default="fp32,tf32,fp16,bf16")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--json")
    ap.add_argument("--compare")
    a = ap.parse_args()
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()}")
    rows = []
    for case in a.cases.split(";"):
        for prec in a.precisions.split(","):
            rows += run_case(case.strip(), prec, a.iters)
    if a.json:
        with open(a.json, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    mine = {}
    softmax = []
    if a.compare:
        with open(a.compare) as f:
            for line in f:
                r = json.loads(line)
                if r["impl"] == "attention4j":
                    mine[(r["case"], r["precision"])] = r
                elif r["impl"] == "softmax":
                    softmax.append(r)
    theirs = {(r["impl"], r["case"], r["precision"]): r for r in rows}
    print(f"\n{'case B,H,Nq,Nk,D,causal':<26} {'prec':<5} {'a4j TF/s':>9} {'math TF/s':>10} {'ratio':>6} "
          f"{'default TF/s':>13} {'ratio':>6}")
    for case in a.cases.split(";"):
        case = case.strip()
        for prec in a.precisions.split(","):
            m = mine.get((case, prec), {}).get("tflops")
            cells = []
            for impl in ("torch-math", "torch-default"):
                t = theirs.get((impl, case, prec), {})
                tf = t.get("tflops")
                cells.append(f"{tf:>10.2f}" if tf else f"{'error':>10}")
                cells.append(f"{m / tf:>6.2f}" if (m and tf) else f"{'-':>6}")
            ms = f"{m:>9.2f}" if m else f"{'-':>9}"
            print(f"{case:<26} {prec:<5} {ms} {cells[0]} {cells[1]}    {cells[2]} {cells[3]}")
    if softmax:
        print("\nsoftmax kernel bandwidth vs device-to-device copy (same run)")
        for r in softmax:
            print(f"  {r['case']:<26} P {r['ptype']:<5} {r['softmax_gbs']:8.1f} GB/s vs copy {r['copy_gbs']:8.1f} GB/s"
                  f" = {r['fraction']:.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch's scaled_dot_product_attention on the same cases and precisions as attention4j's GpuBench.

Like for like (issue 11): both sides are timed the same way, wall clock around a call and its synchronisation
(attention4j's calls return synchronised), median over rounds after warm-up; the back-to-back throughput with
CUDA events is printed beside it. Each PyTorch backend is pinned per row with torch.nn.attention.sdpa_kernel
(math, flash, efficient, cudnn, and PyTorch's own choice, whose row names the backend it picked) and a backend
that refuses the case says so. The math
backend at fp16/bf16 upcasts to fp32 unless torch.backends.cuda.allow_fp16_bf16_reduction_math_sdp(True): it is
set, so math computes at the precision asked, as attention4j does; the TF32 flags of every row are printed.
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

from torch_timing import time_events_ms, time_sync_ms

DTYPES = {"fp32": torch.float32, "tf32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
BACKENDS = (("math", [SDPBackend.MATH]), ("flash", [SDPBackend.FLASH_ATTENTION]),
            ("efficient", [SDPBackend.EFFICIENT_ATTENTION]), ("cudnn", [SDPBackend.CUDNN_ATTENTION]),
            ("default", None))
def default_choice(q, k, v, is_causal):
    """The backend PyTorch's own dispatch picks for these inputs (its private _fused_sdp_choice), or why unknown."""
    try:
        choice = torch._fused_sdp_choice(q, k, v, None, 0.0, is_causal)
        return SDPBackend(choice).name.lower()
    except Exception as e:  # a PyTorch without it, or a value this enum does not know
        return f"unknown ({type(e).__name__})"


def run_case(case, prec, iters):
    b, h, nq, nk, d, causal = (int(x) for x in case.split(","))
    torch.backends.cuda.matmul.allow_tf32 = prec == "tf32"
    torch.backends.cudnn.allow_tf32 = prec == "tf32"
    reduced = prec in ("fp16", "bf16")
    if hasattr(torch.backends.cuda, "allow_fp16_bf16_reduction_math_sdp"):
        torch.backends.cuda.allow_fp16_bf16_reduction_math_sdp(reduced)
    else:
        reduced = False   # this PyTorch cannot: its math rows at fp16/bf16 compute in fp32 (said per row)
    flags = {"matmul_tf32": torch.backends.cuda.matmul.allow_tf32, "cudnn_tf32": torch.backends.cudnn.allow_tf32,
             "math_reduced_precision": reduced}
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
    for name, backends in BACKENDS:
        def call():
            return F.scaled_dot_product_attention(q, k, v, is_causal=is_causal)
        row = {"impl": "torch-" + name, "case": case, "precision": prec, **flags}
        if backends is None:
            row["backend_chosen"] = default_choice(q, k, v, is_causal)
        try:
            if backends is None:
                ms, ev = time_sync_ms(call, iters), time_events_ms(call, iters)
            else:
                with sdpa_kernel(backends):
                    ms, ev = time_sync_ms(call, iters), time_events_ms(call, iters)
            row.update({"ms": ms, "tflops": flops / (ms * 1e-3) / 1e12, "ms_events": ev,
                        "tflops_events": flops / (ev * 1e-3) / 1e12})
        except RuntimeError as e:  # a backend that refuses the case, or out of memory (OutOfMemoryError is one)
            row["error"] = str(e).splitlines()[0][:160]
        out.append(row)
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
    names = [n for n, _ in BACKENDS]
    print("\nTF/s, each side timed as wall clock around call + synchronise, median of rounds (a4j/torch ratio "
          "in brackets; 'refused' = that backend does not take the case)")
    print(f"{'case B,H,Nq,Nk,D,causal':<26} {'prec':<5} {'a4j':>8} " + " ".join(f"{n:>16}" for n in names))
    for case in a.cases.split(";"):
        case = case.strip()
        for prec in a.precisions.split(","):
            m = mine.get((case, prec), {}).get("tflops")
            cells = []
            for n in names:
                t = theirs.get(("torch-" + n, case, prec), {})
                tf = t.get("tflops")
                if not tf:
                    cells.append(f"{'refused':>16}")
                else:
                    ratio = f"({m / tf:.2f})" if m else ""
                    cells.append(f"{tf:>9.2f}{ratio:>7}")
            ms = f"{m:>8.2f}" if m else f"{'-':>8}"
            print(f"{case:<26} {prec:<5} {ms} " + " ".join(cells))
    print("\nPyTorch's default row: the backend its dispatch picked")
    for r in rows:
        if "backend_chosen" in r:
            print(f"  {r['case']:<26} {r['precision']:<5} {r['backend_chosen']}")
    print("\nPyTorch errors (why a backend refused):")
    for r in rows:
        if "error" in r:
            print(f"  {r['impl']:<16} {r['case']:<26} {r['precision']:<5} {r['error']}")
    if softmax:
        print("\nsoftmax kernel bandwidth vs device-to-device copy (same run)")
        for r in softmax:
            print(f"  {r['case']:<26} P {r['ptype']:<5} {r['softmax_gbs']:8.1f} GB/s vs copy {r['copy_gbs']:8.1f} GB/s"
                  f" = {r['fraction']:.2f}")


if __name__ == "__main__":
    main()

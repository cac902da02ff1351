#!/usr/bin/env python3
"""PyTorch's scaled_dot_product_attention on the same cases as attention4j's FlashBench (fused kernels).

Times SDPA with PyTorch's default backend choice and with the flash backend forced, as attention4j is timed
(wall clock around call + synchronise, median of rounds: bench/torch_timing.py), and prints
TFLOP/s = 4*B*H*N*N*D / time (halved for causal); decode cases time one query per batch entry over L cached
keys (grouped heads through enable_gqa) in tokens per second. With --compare FILE (FlashBench's --json output)
it prints attention4j next to both and the ratios attention4j / PyTorch.

  python3 bench/torch_flash.py --cases "B,H,N,D,causal;..." --precisions fp16,bf16 \
      [--decode "B,Hq,Hkv,D,L;..."] [--iters 20] [--json torch.jsonl] [--compare attention4j.jsonl]
"""
import argparse
import json

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from torch_timing import time_sync_ms

DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}
BACKENDS = (("torch-default", None), ("torch-flash", [SDPBackend.FLASH_ATTENTION]))


def timed(name, backends, call, iters):
    """Milliseconds as attention4j is timed (call + sync, median of rounds; see torch_timing), or the error."""
    try:
        if backends is None:
            return time_sync_ms(call, iters), None
        with sdpa_kernel(backends):
            return time_sync_ms(call, iters), None
    except RuntimeError as e:  # e.g. no flash kernel for this shape/type, or out of memory
        return None, str(e).splitlines()[0]


def forward_case(case, prec, iters):
    b, h, n, d, causal = (int(x) for x in case.split(","))
    g = torch.Generator(device="cuda").manual_seed(1)
    dt = DTYPES[prec]
    q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=dt, generator=g) for _ in range(3))
    flops = 4.0 * b * h * n * n * d * (0.5 if causal else 1.0)
    rows = []
    for name, backends in BACKENDS:
        ms, err = timed(name, backends, lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal == 1), iters)
        row = {"impl": name, "case": case, "precision": prec}
        row.update({"ms": ms, "tflops": flops / (ms * 1e-3) / 1e12} if ms else {"error": err})
        rows.append(row)
    del q, k, v
    torch.cuda.empty_cache()
    return rows


def decode_case(case, prec, iters):
    b, hq, hkv, d, length = (int(x) for x in case.split(","))
    g = torch.Generator(device="cuda").manual_seed(2)
    dt = DTYPES[prec]
    q = torch.randn(b, hq, 1, d, device="cuda", dtype=dt, generator=g)
    k = torch.randn(b, hkv, length, d, device="cuda", dtype=dt, generator=g)
    v = torch.randn(b, hkv, length, d, device="cuda", dtype=dt, generator=g)
    rows = []
    for name, backends in BACKENDS:
        ms, err = timed(name, backends,
                        lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=hq != hkv), iters * 5)
        row = {"impl": name + "-decode", "case": case, "precision": prec}
        row.update({"ms": ms, "tokens_per_s": b / (ms * 1e-3)} if ms else {"error": err})
        rows.append(row)
    del q, k, v
    torch.cuda.empty_cache()
    return rows


def cell(x, fmt):
    return format(x, fmt) if x is not None else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", required=True)
    ap.add_argument("--precisions", default="fp16,bf16")
    ap.add_argument("--decode", default="")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--json")
    ap.add_argument("--compare")
    a = ap.parse_args()
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()}")
    cases = [c.strip() for c in a.cases.split(";") if c.strip()]
    decodes = [c.strip() for c in a.decode.split(";") if c.strip()]
    precs = [p.strip() for p in a.precisions.split(",")]
    rows = []
    for case in cases:
        for prec in precs:
            rows += forward_case(case, prec, a.iters)
    for case in decodes:
        for prec in precs:
            rows += decode_case(case, prec, a.iters)
    if a.json:
        with open(a.json, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    mine = {}
    if a.compare:
        with open(a.compare) as f:
            for line in f:
                r = json.loads(line)
                mine[(r["impl"], r["case"], r["precision"])] = r
    theirs = {(r["impl"], r["case"], r["precision"]): r for r in rows}

    print(f"\n{'case B,H,N,D,causal':<24} {'prec':<5} {'a4j TF/s':>9} {'default TF/s':>13} {'ratio':>6} "
          f"{'flash TF/s':>11} {'ratio':>6}")
    for case in cases:
        for prec in precs:
            m = mine.get(("attention4j-fused", case, prec), {}).get("tflops")
            d = theirs.get(("torch-default", case, prec), {}).get("tflops")
            fl = theirs.get(("torch-flash", case, prec), {}).get("tflops")
            print(f"{case:<24} {prec:<5} {cell(m, '9.2f'):>9} {cell(d, '13.2f'):>13} "
                  f"{cell(m / d if m and d else None, '6.2f'):>6} {cell(fl, '11.2f'):>11} "
                  f"{cell(m / fl if m and fl else None, '6.2f'):>6}")
    if decodes:
        print(f"\n{'decode B,Hq,Hkv,D,L':<24} {'prec':<5} {'a4j tok/s':>10} {'default tok/s':>14} {'ratio':>6} "
              f"{'flash tok/s':>12} {'ratio':>6}")
        for case in decodes:
            for prec in precs:
                m = mine.get(("attention4j-decode", case, prec), {}).get("tokens_per_s")
                d = theirs.get(("torch-default-decode", case, prec), {}).get("tokens_per_s")
                fl = theirs.get(("torch-flash-decode", case, prec), {}).get("tokens_per_s")
                print(f"{case:<24} {prec:<5} {cell(m, '10.0f'):>10} {cell(d, '14.0f'):>14} "
                      f"{cell(m / d if m and d else None, '6.2f'):>6} {cell(fl, '12.0f'):>12} "
                      f"{cell(m / fl if m and fl else None, '6.2f'):>6}")
    errors = [r for r in rows if "error" in r]
    for r in errors:
        print(f"note: {r['impl']} {r['case']} {r['precision']}: {r['error']}")


if __name__ == "__main__":
    main()

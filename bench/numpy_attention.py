#!/usr/bin/env python3
"""Times NumPy (+ its BLAS) computing softmax(q @ k^T / sqrt(D)) @ v in float32, and writes the inputs.

For each sequence length N it builds seeded float32 q, k, v of shape [B, H, N, D], saves them as
DIR/N<N>/{q,k,v}.npy (so that attention4j's `bench --inputs` times the very same tensors), runs
--warmup untimed and --iters timed evaluations, and prints one line per N:  N <tab> median_ms.
A header line starting with '#' describes NumPy, its BLAS and thread settings.
"""
import argparse
import os
import time

import numpy as np


def attention(q, k, v, scale):
    s = np.matmul(q, np.swapaxes(k, -1, -2))
    s *= scale
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    return np.matmul(s, v)


def blas_info():
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return "%s %s" % (blas.get("name", "?"), blas.get("version", "?"))
    except Exception:  # older NumPy: no dict mode
        return "unknown"


def threads_info():
    """The BLAS thread count and core kernel, asked of NumPy's bundled OpenBLAS through ctypes when possible."""
    import ctypes
    import glob
    libdir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    for path in glob.glob(os.path.join(libdir, "*openblas*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                get_threads = getattr(lib, prefix + "_get_num_threads" + suffix, None)
                get_core = getattr(lib, prefix + "_get_corename" + suffix, None)
                if get_threads is None:
                    continue
                get_threads.restype = ctypes.c_int
                core = ""
                if get_core is not None:
                    get_core.restype = ctypes.c_char_p
                    core = ", core " + get_core().decode()
                return "openblas threads %d%s" % (get_threads(), core)
    keys = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"]
    env = ", ".join("%s=%s" % (k, os.environ[k]) for k in keys if k in os.environ)
    return "BLAS threads unknown (%d cpus)%s" % (os.cpu_count(), "; " + env if env else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seq", default="2048", help="comma-separated sequence lengths (default 2048)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="directory for the N<N>/{q,k,v}.npy inputs")
    a = ap.parse_args()
    print("# numpy %s, blas %s, %s" % (np.__version__, blas_info(), threads_info()), flush=True)
    rng = np.random.default_rng(a.seed)
    for n in [int(x) for x in a.seq.split(",") if x]:
        shape = (a.batch, a.heads, n, a.dim)
        q, k, v = (rng.standard_normal(shape, dtype=np.float32) for _ in range(3))
        d = os.path.join(a.out, "N%d" % n)
        os.makedirs(d, exist_ok=True)
        for name, t in (("q", q), ("k", k), ("v", v)):
            np.save(os.path.join(d, name + ".npy"), t)
        scale = np.float32(1.0 / np.sqrt(a.dim))
        for _ in range(a.warmup):
            attention(q, k, v, scale)
        times = []
        for _ in range(a.iters):
            t0 = time.perf_counter()
            out = attention(q, k, v, scale)
            times.append((time.perf_counter() - t0) * 1000.0)
        assert out.dtype == np.float32 and out.shape == (a.batch, a.heads, n, a.dim)
        print("%d\t%.2f" % (n, float(np.median(times))), flush=True)


if __name__ == "__main__":
    main()

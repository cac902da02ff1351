#!/usr/bin/env python3
"""Holds `attention4j attend` to the issue's semantics with an independent float64 NumPy reference.

The attention below is written from the specification in the issue (not from the Java code):

  scores s = scale * Q.K^T (scale defaults to 1/sqrt(D)), with off = Nk - Nq:
  * RoPE (before the scores): keys at positions 0..Nk-1, queries at off + i, theta_t = base^(-2t/D);
    "half" pairs x_t with x_{t+D/2}, "interleaved" pairs x_{2t} with x_{2t+1};
  * causal bottom-right: key j visible to query i when j <= i + off; top-left: when j <= i;
  * key lengths per batch: keys j >= len[b] are padding;
  * a bool mask (True = may attend) or a float mask (added to the scores), broadcast to [B, Hq, Nq, Nk];
  * ALiBi adds -slope_h * |i + off - j|, slopes from the ALiBi paper's recipe (non-powers of two included);
  * window (L, R): key j visible when i + off - L <= j <= i + off + R, -1 = unbounded on that side;
  * grouped heads: query head h reads key/value head h // (Hq / Hkv);
  * stable softmax over the visible keys; a row with no visible key gives output 0, weights 0, lse -inf.

For each seeded random case it writes the inputs as .npy, runs `java -jar JAR attend ... --backend B` for every
backend asked for, and compares output, weights and log-sum-exp: a tensor passes when
max|got - ref| <= 2e-5 * max(1e-6, max|ref|) over its finite entries, the -inf pattern of the lse matches exactly
and there is no NaN. A few bad-input runs check exit status != 0, exactly one stderr line and no output file.

Usage: python3 tools/independent_reference.py --jar java/target/attention4j.jar [--backends cpu,reference]
Prints one line per case and finally "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import concurrent.futures
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

TOL = 2e-5


# ---------------------------------------------------------------- the reference (float64)

def alibi_slopes(n):
    """Slopes for n heads, as in the ALiBi paper's reference code."""

    def power_of_two(m):
        start = 2.0 ** (-(2.0 ** -(math.log2(m) - 3)))
        return [start * start ** i for i in range(m)]

    if math.log2(n).is_integer():
        return power_of_two(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_two(closest) + alibi_slopes(2 * closest)[0::2][: n - closest]


def rope(x, positions, base, style):
    """Rotates the last axis of x [..., N, D] at the given positions [N]."""
    d = x.shape[-1]
    half = d // 2
    theta = base ** (-2.0 * np.arange(half, dtype=np.float64) / d)
    ang = positions.astype(np.float64)[:, None] * theta[None, :]      # [N, D/2]
    cos, sin = np.cos(ang), np.sin(ang)
    out = np.empty_like(x)
    if style == "half":
        a, b = x[..., :half], x[..., half:]
        out[..., :half] = a * cos - b * sin
        out[..., half:] = b * cos + a * sin
    else:
        a, b = x[..., 0::2], x[..., 1::2]
        out[..., 0::2] = a * cos - b * sin
        out[..., 1::2] = b * cos + a * sin
    return out


def attention(q, k, v, scale=None, causal=None, kv_lengths=None, mask=None, alibi=False, rope_base=None,
              rope_style="half", window=None):
    q = q.astype(np.float64)
    k = k.astype(np.float64)
    v = v.astype(np.float64)
    bn, hq, nq, d = q.shape
    hkv, nk = k.shape[1], k.shape[2]
    off = nk - nq
    if scale is None:
        scale = 1.0 / math.sqrt(d)
    if rope_base is not None:
        q = rope(q, off + np.arange(nq), rope_base, rope_style)
        k = rope(k, np.arange(nk), rope_base, rope_style)
    kv_head = np.arange(hq) // (hq // hkv)
    kh, vh = k[:, kv_head], v[:, kv_head]                            # [B, Hq, Nk, *]
    s = scale * np.einsum("bhid,bhjd->bhij", q, kh)
    i = np.arange(nq)[:, None]
    j = np.arange(nk)[None, :]
    visible = np.ones((bn, hq, nq, nk), dtype=bool)
    if causal == "bottom-right":
        visible &= j <= i + off
    elif causal == "top-left":
        visible &= j <= i
    if kv_lengths is not None:
        visible &= j[None, None] < np.asarray(kv_lengths)[:, None, None, None]
    if mask is not None:
        if mask.dtype == np.bool_:
            visible &= np.broadcast_to(mask, visible.shape)
        else:
            s = s + np.broadcast_to(mask.astype(np.float64), s.shape)
    if alibi:
        slopes = np.asarray(alibi_slopes(hq), dtype=np.float64)
        s = s - slopes[None, :, None, None] * np.abs(i + off - j)[None, None]
    if window is not None:
        left, right = window
        if left >= 0:
            visible &= j >= i + off - left
        if right >= 0:
            visible &= j <= i + off + right
    s = np.where(visible, s, -np.inf)
    m = s.max(axis=-1, keepdims=True)
    empty = np.isneginf(m)
    e = np.where(empty, 0.0, np.exp(s - np.where(empty, 0.0, m)))
    total = e.sum(axis=-1, keepdims=True)
    w = np.where(empty, 0.0, e / np.where(empty, 1.0, total))
    out = np.einsum("bhij,bhjc->bhic", w, vh)
    with np.errstate(divide="ignore"):
        lse = np.where(empty, -np.inf, m + np.log(np.where(empty, 1.0, total)))[..., 0]
    return out, w, lse


def self_check():
    """The reference against facts computed by hand, before it judges anything."""
    e = math.e
    # Two keys, scale 1: weights softmax([1, 0]); output the weighted values; lse log(e + 1).
    q = np.array([1.0, 0.0]).reshape(1, 1, 1, 2)
    k = np.array([[1.0, 0.0], [0.0, 1.0]]).reshape(1, 1, 2, 2)
    v = np.array([[1.0], [2.0]]).reshape(1, 1, 2, 1)
    out, w, lse = attention(q, k, v, scale=1.0)
    assert np.allclose(w.ravel(), [e / (e + 1), 1 / (e + 1)]), w
    assert np.isclose(out.item(), (e + 2) / (e + 1)) and np.isclose(lse.item(), math.log(e + 1))
    # Causal alignments with Nq=2, Nk=3: bottom-right lets query 0 see keys 0..1, top-left key 0 only.
    q2, k3, v3 = np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 2)), np.arange(3.0).reshape(1, 1, 3, 1)
    _, w, _ = attention(q2, k3, v3, causal="bottom-right")
    assert np.allclose(w[0, 0], [[0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]]), w
    _, w, _ = attention(q2, k3, v3, causal="top-left")
    assert np.allclose(w[0, 0], [[1, 0, 0], [0.5, 0.5, 0]]), w
    # Window (0, 0) on the bottom-right diagonal: query i sees key i + 1 only; kv length 0 empties every row.
    _, w, _ = attention(q2, k3, v3, window=(0, 0))
    assert np.allclose(w[0, 0], [[0, 1, 0], [0, 0, 1]]), w
    out, w, lse = attention(q2, k3, v3, kv_lengths=[0])
    assert not out.any() and not w.any() and np.isneginf(lse).all()
    # ALiBi slopes of the paper: 8 heads 1/2..1/256; 6 heads the 4-head slopes, then every other 8-head slope.
    assert np.allclose(alibi_slopes(8), [2.0 ** -(i + 1) for i in range(8)])
    assert np.allclose(alibi_slopes(6), [1 / 4, 1 / 16, 1 / 64, 1 / 256, 1 / 2, 1 / 8])
    # ALiBi on equal scores: weights proportional to exp(-slope * distance) from the aligned diagonal.
    _, w, _ = attention(np.zeros((1, 1, 1, 2)), np.zeros((1, 1, 3, 2)), v3, alibi=True)
    want = np.exp(-(2.0 ** -8) * np.array([2.0, 1.0, 0.0]))
    assert np.allclose(w.ravel(), want / want.sum()), w
    # RoPE: scores depend on positions only through m - n, in both pairings; position 0 is the identity.
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((1, 8)), rng.standard_normal((1, 8))
    for style in ("half", "interleaved"):
        s1 = (rope(a, np.array([7]), 100.0, style) * rope(b, np.array([3]), 100.0, style)).sum()
        s2 = (rope(a, np.array([14]), 100.0, style) * rope(b, np.array([10]), 100.0, style)).sum()
        assert np.isclose(s1, s2), (style, s1, s2)
        assert np.allclose(rope(a, np.array([0]), 100.0, style), a)
    # Half pairs x_t with x_{t+D/2}: rotating [1, 0, 0, 0] at position 1 moves it into x_2 by sin(theta_0 = 1).
    x = rope(np.array([[1.0, 0, 0, 0]]), np.array([1]), 10000.0, "half")
    assert np.allclose(x, [[math.cos(1), 0, math.sin(1), 0]]), x
    x = rope(np.array([[1.0, 0, 0, 0]]), np.array([1]), 10000.0, "interleaved")
    assert np.allclose(x, [[math.cos(1), math.sin(1), 0, 0]]), x


# ---------------------------------------------------------------- cases

class Case:
    def __init__(self, name, b, hq, hkv, nq, nk, d, dv, **opts):
        self.name, self.shape = name, (b, hq, hkv, nq, nk, d, dv)
        self.opts = opts  # scale, causal, kv_lengths, mask (spec), alibi, rope_base, rope_style, window

    def describe(self):
        b, hq, hkv, nq, nk, d, dv = self.shape
        parts = ["B=%d Hq=%d Hkv=%d Nq=%d Nk=%d D=%d Dv=%d" % self.shape]
        for key, val in self.opts.items():
            if val is None or val is False:
                continue
            if key == "mask":
                parts.append("mask=%s%s" % (val[0], list(val[1])))
            else:
                parts.append("%s=%s" % (key, val))
        return " ".join(parts)


def make_mask(rng, kind, shape, full):
    """A bool or float mask of the given (broadcastable) shape; some rows fully masked."""
    if kind == "bool":
        m = rng.random(shape) < 0.7
        if len(shape) >= 2 and shape[-2] > 2:
            m[..., 1, :] = False          # a fully masked row
        return m
    m = rng.standard_normal(shape).astype(np.float32)
    m[rng.random(shape) < 0.2] = -np.inf
    if len(shape) >= 2 and shape[-2] > 2:
        m[..., 2, :] = -np.inf
    return m


def mask_shape(rng, dims):
    b, hq, nq, nk = dims
    choices = [(nq, nk), (b, 1, nq, nk), (b, hq, nq, nk), (nk,), (1, hq, 1, nk), (hq, nq, nk), (b, 1, 1, nk)]
    return choices[rng.integers(len(choices))]


def fixed_cases():
    c = []
    c.append(Case("self", 2, 4, 4, 16, 16, 32, 32))
    c.append(Case("cross Nq!=Nk Dv!=D", 2, 3, 3, 97, 113, 59, 17))
    c.append(Case("single key/query", 1, 1, 1, 1, 1, 1, 1))
    c.append(Case("D=1 awkward", 1, 2, 1, 113, 97, 1, 3))
    c.append(Case("gqa causal", 1, 8, 2, 64, 64, 64, 64, causal="bottom-right"))
    c.append(Case("mqa", 2, 6, 1, 33, 47, 16, 8))
    c.append(Case("decode Nq=1", 2, 4, 2, 1, 113, 64, 64, causal="bottom-right"))
    c.append(Case("causal br Nq>Nk (empty rows)", 1, 2, 2, 113, 97, 16, 16, causal="bottom-right"))
    c.append(Case("causal top-left Nq<Nk", 1, 2, 2, 20, 97, 16, 16, causal="top-left"))
    c.append(Case("causal top-left Nq>Nk", 1, 2, 1, 97, 20, 16, 24, causal="top-left"))
    c.append(Case("kv-lengths incl 0", 3, 2, 2, 17, 29, 8, 8, kv_lengths=[29, 0, 5]))
    c.append(Case("kv-lengths + causal", 2, 2, 2, 29, 29, 8, 8, kv_lengths=[13, 29], causal="bottom-right"))
    for shape_name, mk in [("2d", lambda b, h, nq, nk: (nq, nk)), ("b1", lambda b, h, nq, nk: (b, 1, nq, nk)),
                           ("full", lambda b, h, nq, nk: (b, h, nq, nk)), ("keys", lambda b, h, nq, nk: (nk,)),
                           ("heads", lambda b, h, nq, nk: (1, h, 1, nk))]:
        for kind in ("bool", "float"):
            c.append(Case("%s mask %s" % (kind, shape_name), 2, 3, 3, 11, 13, 8, 5,
                          mask=(kind, mk(2, 3, 11, 13))))
    for h in (1, 3, 5, 6, 8, 12, 16):
        c.append(Case("alibi Hq=%d" % h, 1, h, 1 if h % 2 else 2 if h % 4 else 4, 23, 31, 16, 16, alibi=True))
    c.append(Case("alibi causal long", 1, 12, 4, 200, 250, 32, 32, alibi=True, causal="bottom-right"))
    for w in [(0, 0), (4, -1), (-1, 3), (2, 5), (0, -1)]:
        c.append(Case("window %s" % (w,), 1, 2, 2, 19, 37, 8, 8, window=w))
    c.append(Case("window + causal top-left", 1, 2, 2, 37, 19, 8, 8, window=(3, 2), causal="top-left"))
    for style in ("half", "interleaved"):
        c.append(Case("rope %s self" % style, 1, 2, 2, 40, 40, 64, 64, rope_base=10000.0, rope_style=style))
        c.append(Case("rope %s cross" % style, 2, 4, 2, 7, 113, 110, 32, rope_base=10000.0, rope_style=style))
        c.append(Case("rope %s D=2 base 100" % style, 1, 1, 1, 9, 9, 2, 3, rope_base=100.0, rope_style=style))
    c.append(Case("scale explicit", 1, 2, 2, 10, 12, 8, 8, scale=0.37))
    c.append(Case("scale negative", 1, 2, 2, 10, 12, 8, 8, scale=-1.5))
    c.append(Case("scale zero", 1, 2, 2, 10, 12, 8, 8, scale=0.0))
    c.append(Case("everything", 2, 6, 3, 31, 47, 16, 24, scale=0.2, causal="bottom-right", kv_lengths=[40, 47],
                  mask=("bool", (2, 1, 31, 47)), alibi=True, rope_base=500.0, rope_style="interleaved",
                  window=(20, 0)))
    c.append(Case("everything float mask", 2, 5, 5, 23, 23, 12, 7, causal="top-left", kv_lengths=[23, 11],
                  mask=("float", (23, 23)), alibi=True, rope_base=10000.0, window=(-1, 4)))
    c.append(Case("N=1025 causal", 1, 2, 1, 1025, 1025, 64, 64, causal="bottom-right"))
    return c


def random_cases(rng, count):
    out = []
    sizes = [1, 2, 5, 16, 31, 64, 97, 113]
    for n in range(count):
        hkv = int(rng.choice([1, 2, 3]))
        hq = hkv * int(rng.choice([1, 2, 3, 4]))
        b = int(rng.choice([1, 2, 3]))
        nq, nk = int(rng.choice(sizes)), int(rng.choice(sizes))
        opts = {}
        use_rope = rng.random() < 0.35
        d = int(rng.choice([2, 8, 16, 64, 110])) if use_rope else int(rng.choice([1, 3, 8, 59, 64, 111]))
        dv = int(rng.choice([1, 3, 16, 64, d]))
        if use_rope:
            opts["rope_base"] = float(rng.choice([100.0, 10000.0, 500000.0]))
            opts["rope_style"] = str(rng.choice(["half", "interleaved"]))
        if rng.random() < 0.4:
            opts["causal"] = str(rng.choice(["bottom-right", "top-left"]))
        if rng.random() < 0.3:
            opts["kv_lengths"] = [int(x) for x in rng.integers(0, nk + 1, size=b)]
        if rng.random() < 0.35:
            opts["mask"] = (str(rng.choice(["bool", "float"])), mask_shape(rng, (b, hq, nq, nk)))
        if rng.random() < 0.35:
            opts["alibi"] = True
        if rng.random() < 0.3:
            opts["window"] = (int(rng.choice([-1, 0, 3, 17])), int(rng.choice([-1, 0, 2, 9])))
        if rng.random() < 0.2:
            opts["scale"] = float(np.round(rng.uniform(-1, 1), 4))
        out.append(Case("random %d" % n, b, hq, hkv, nq, nk, d, dv, **opts))
    return out


# ---------------------------------------------------------------- running and comparing

def java_cmd(args, jar):
    return [args.java, "-Xss4m", "-jar", jar, "attend"]


def attend_args(case, files):
    a = ["--q", files["q"], "--k", files["k"], "--v", files["v"], "--out", files["out"], "--weights",
         files["weights"], "--lse", files["lse"]]
    o = case.opts
    if o.get("scale") is not None:
        a += ["--scale", repr(o["scale"])]
    if o.get("causal") == "bottom-right":
        a += ["--causal"]
    elif o.get("causal") == "top-left":
        a += ["--causal-top-left"]
    if o.get("kv_lengths") is not None:
        a += ["--kv-lengths", ",".join(str(x) for x in o["kv_lengths"])]
    if o.get("mask") is not None:
        a += ["--mask", files["mask"]]
    if o.get("alibi"):
        a += ["--alibi"]
    if o.get("rope_base") is not None:
        a += ["--rope", repr(o["rope_base"]), "--rope-style", o.get("rope_style", "half")]
    if o.get("window") is not None:
        a += ["--window", "%d,%d" % o["window"]]
    return a


def compare(name, got, ref):
    """None when got matches ref, else why not; also the error relative to max|ref|."""
    if got.dtype != np.float32:
        return "%s: dtype %s, expected float32" % (name, got.dtype), None
    if got.shape != ref.shape:
        return "%s: shape %s, expected %s" % (name, got.shape, ref.shape), None
    if np.isnan(got).any():
        return "%s: %d NaN" % (name, int(np.isnan(got).sum())), None
    if not np.array_equal(np.isneginf(got), np.isneginf(ref)) or np.isposinf(got).any():
        return "%s: -inf pattern differs (%d vs %d expected)" % (
            name, int(np.isneginf(got).sum()), int(np.isneginf(ref).sum())), None
    fin = np.isfinite(ref)
    if not fin.any():
        return None, 0.0
    scale = max(1e-6, float(np.abs(ref[fin]).max()))
    err = float(np.abs(got[fin].astype(np.float64) - ref[fin]).max()) / scale
    if err > TOL:
        return "%s: relative error %.3g > %g" % (name, err, TOL), err
    return None, err


def run_case(args, case, rng, tmp):
    b, hq, hkv, nq, nk, d, dv = case.shape
    q = rng.standard_normal((b, hq, nq, d)).astype(np.float32)
    k = rng.standard_normal((b, hkv, nk, d)).astype(np.float32)
    v = rng.standard_normal((b, hkv, nk, dv)).astype(np.float32)
    files = {x: os.path.join(tmp, x + ".npy") for x in ("q", "k", "v", "mask", "out", "weights", "lse")}
    np.save(files["q"], q)
    np.save(files["k"], k)
    np.save(files["v"], v)
    mask = None
    if case.opts.get("mask") is not None:
        kind, shape = case.opts["mask"]
        mask = make_mask(rng, kind, shape, (b, hq, nq, nk))
        np.save(files["mask"], mask)
    o = case.opts
    ref = attention(q, k, v, scale=o.get("scale"), causal=o.get("causal"), kv_lengths=o.get("kv_lengths"),
                    mask=mask, alibi=bool(o.get("alibi")), rope_base=o.get("rope_base"),
                    rope_style=o.get("rope_style", "half"), window=o.get("window"))
    problems, errs = [], []
    for backend in args.backends:
        for x in ("out", "weights", "lse"):
            if os.path.exists(files[x]):
                os.remove(files[x])
        cmd = java_cmd(args, args.jar) + attend_args(case, files) + ["--backend", backend]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            problems.append("%s: exit %d: %s" % (backend, p.returncode, p.stderr.strip().splitlines()[-1:]))
            continue
        worst = 0.0
        for x, r in zip(("out", "weights", "lse"), ref):
            why, err = compare(x, np.load(files[x], allow_pickle=False), r)
            if why:
                problems.append("%s %s" % (backend, why))
            elif err is not None:
                worst = max(worst, err)
        errs.append("%s %.1e" % (backend, worst))
    return problems, errs


def bad_input_cases(args, tmp):
    """(name, extra args or replacements, fragment expected on stderr)."""
    rng = np.random.default_rng(1)
    q = rng.standard_normal((1, 2, 4, 8)).astype(np.float32)
    good = {x: os.path.join(tmp, x + ".npy") for x in ("q", "k", "v")}
    for x in good:
        np.save(good[x], q)
    bad = os.path.join(tmp, "garbage.npy")
    with open(bad, "wb") as f:
        f.write(b"this is not a numpy file")
    f64 = os.path.join(tmp, "f64.npy")
    np.save(f64, q.astype(np.float64))
    kd = os.path.join(tmp, "kd.npy")
    np.save(kd, rng.standard_normal((1, 2, 4, 9)).astype(np.float32))
    badmask = os.path.join(tmp, "badmask.npy")
    np.save(badmask, np.ones((3, 5), dtype=bool))
    missing = os.path.join(tmp, "missing.npy")
    return good, [
        ("missing input", {"--q": missing}, []),
        ("garbage npy", {"--k": bad}, []),
        ("float64 input", {"--v": f64}, []),
        ("head dim mismatch", {"--k": kd}, []),
        ("mask does not broadcast", {}, ["--mask", badmask]),
        ("kv-lengths not numbers", {}, ["--kv-lengths", "1,x"]),
        ("kv-lengths wrong count", {}, ["--kv-lengths", "1,2"]),
        ("scale NaN", {}, ["--scale", "nan"]),
        ("window malformed", {}, ["--window", "3"]),
        ("both causal", {}, ["--causal", "--causal-top-left"]),
        ("rope-style without rope", {}, ["--rope-style", "half"]),
        ("rope odd D", {"--q": kd, "--k": kd, "--v": kd}, ["--rope", "10000"]),
    ]


def run_bad(args, tmp):
    results = []
    good, cases = bad_input_cases(args, tmp)
    outs = {x: os.path.join(tmp, "bad_" + x + ".npy") for x in ("out", "weights", "lse")}
    for name, repl, extra in cases:
        base = {"--q": good["q"], "--k": good["k"], "--v": good["v"]}
        base.update(repl)
        cmd = java_cmd(args, args.jar)
        for key, val in base.items():
            cmd += [key, val]
        cmd += ["--out", outs["out"], "--weights", outs["weights"], "--lse", outs["lse"], "--backend", "cpu"] + extra
        before = set(os.listdir(tmp))
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        lines = p.stderr.splitlines()
        problems = []
        if p.returncode == 0:
            problems.append("exit status 0")
        if len(lines) != 1 or not lines[0].strip():
            problems.append("stderr has %d lines: %r" % (len(lines), p.stderr[:300]))
        if "Exception" in p.stderr and "\tat " in p.stderr:
            problems.append("stack trace on stderr")
        created = sorted(set(os.listdir(tmp)) - before)
        if created:
            problems.append("files created: %s" % created)
        results.append(("bad input: " + name, problems, (lines[0] if lines else "")[:120]))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jar", default="java/target/attention4j.jar", help="the shaded attention4j jar")
    ap.add_argument("--java", default="java", help="the java launcher")
    ap.add_argument("--backends", default="cpu,reference", help="comma-separated backends to check")
    ap.add_argument("--seed", type=int, default=20260424)
    ap.add_argument("--random", type=int, default=24, help="number of random cases besides the fixed ones")
    ap.add_argument("--filter", default="", help="run only cases whose name contains this")
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once (each starts its own JVMs)")
    args = ap.parse_args()
    args.backends = [x for x in args.backends.split(",") if x]
    if not os.path.isfile(args.jar):
        print("error: jar not found: %s (build it with mvn package)" % args.jar, file=sys.stderr)
        return 2

    try:
        self_check()
    except AssertionError as e:
        print("FAIL the reference's own hand-computed checks: %r" % (e,))
        print("0 passed, 1 failed")
        return 1
    print("PASS the reference's own hand-computed checks")
    checked = 1

    rng = np.random.default_rng(args.seed)
    cases = fixed_cases() + random_cases(rng, args.random)
    cases = [(n, c) for n, c in enumerate(cases) if args.filter in c.name]
    passed, failed = checked, 0
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="a4j-ref-") as tmp:
        def one(item):
            n, case = item
            t = time.time()
            case_dir = os.path.join(tmp, "case%d" % n)
            os.mkdir(case_dir)
            try:
                # Each case draws from its own stream, so results do not depend on --jobs or --filter.
                problems, errs = run_case(args, case, np.random.default_rng([args.seed, n]), case_dir)
            except Exception as e:  # a crash of the harness or the jar fails this case, not the run
                problems, errs = ["harness: %s: %s" % (type(e).__name__, e)], []
            return case, problems, errs, time.time() - t

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for case, problems, errs, secs in pool.map(one, cases):
                status = "FAIL" if problems else "PASS"
                passed += not problems
                failed += bool(problems)
                print("%s %-32s %-70s %s (%.1fs)%s" % (status, case.name, case.describe(), " ".join(errs), secs,
                                                      "" if not problems else "\n    " + "\n    ".join(problems)),
                      flush=True)
        if not args.filter or "bad" in args.filter:
            for name, problems, line in run_bad(args, tmp):
                status = "FAIL" if problems else "PASS"
                passed += not problems
                failed += bool(problems)
                print("%s %-32s %s%s" % (status, name, line, "" if not problems else "\n    " +
                                         "\n    ".join(problems)), flush=True)
    print("(%.0f s, backends %s, seed %d)" % (time.time() - t0, ",".join(args.backends), args.seed))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

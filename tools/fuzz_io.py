#!/usr/bin/env python3
"""Hostile-input fuzz of the attention4j CLI (issue 8): .npy headers, special files and every output-path kind.

Each case runs the CLI jar in its own scratch directory and is classified by what a user would lose:

  crash    exit status other than 0 (done), 2 (usage/input refused) or 3 (engine error), or a Java stack
           trace / "Exception in thread" on stderr
  hang     no exit within --timeout seconds (default 20; the process group is killed)
  dataloss a file that existed before the run (an input, a symlink, a device node, a victim file) changed, moved
           or vanished, unless the case names it as an output the run may write and the run succeeded
  partial  a failed run left a new file behind (output or temporary), or a successful one left litter
  noisy    a failed run printed more than one non-log line on stderr, or control bytes (ANSI escapes, NUL)
  wrong    the exit status is not the one the case expects (a valid call refused, an aliasing call accepted)

The target is 0 in every class. Bounded by --max-cases and --max-seconds; not part of CI (it starts a JVM per
case: about 250 cases, 2-4 minutes on 2 cores).

  mvn -B -ntp -q -pl java -DskipTests package            # builds java/target/attention4j.jar
  python3 tools/fuzz_io.py                               # prints the summary; --verbose lists every case
  python3 tools/fuzz_io.py --report docs/benchmarks/fuzz_io.txt

Run as root it makes its own character device (mknod c 1 3, a null device inside the scratch directory) instead
of pointing the CLI at the system's /dev/null.
"""
import argparse
import concurrent.futures as cf
import hashlib
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import numpy as np

OK, REFUSE, ANY = "ok", "refuse", "any"
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d+ +(TRACE|DEBUG|INFO) ")
STACK = re.compile(r"(^\s+at [\w.$]+\(|Exception in thread|^Caused by: )", re.M)
CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


# ---------------------------------------------------------------------------------------------------- npy bytes

def npy_bytes(header, data=b"", major=1, minor=0, magic=b"\x93NUMPY", hlen=None, pad=True):
    """A .npy file: magic, version, header length (2 bytes for v1, 4 for v2/v3), header, data."""
    if isinstance(header, str):
        header = header.encode("latin-1" if major < 3 else "utf-8")
    lenbytes = 2 if major == 1 else 4
    if pad:
        total = len(magic) + 2 + lenbytes + len(header) + 1
        header = header + b" " * ((-total) % 64) + b"\n"
    n = len(header) if hlen is None else hlen
    return magic + bytes([major & 0xFF, minor & 0xFF]) + n.to_bytes(lenbytes, "little") + header + data


def dict_header(descr="'<f4'", fortran="False", shape="(1, 2, 5, 4)"):
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


def q_data(n=40):
    return np.random.default_rng(1).standard_normal(n).astype("<f4").tobytes()


def valid_q():
    return npy_bytes(dict_header(), q_data())


# ---------------------------------------------------------------------------------------------------- cases

class Case:
    """One CLI run: files to make, arguments, the exit it should get and the paths it may write on success."""

    def __init__(self, name, args, expect, files=None, setup=None, may_write=(), watch=()):
        self.name, self.args, self.expect = name, args, expect
        self.files = files or {}       # relative path -> bytes, written before the run
        self.setup = setup             # callable(dir) for links, FIFOs, devices, modes
        self.may_write = set(may_write)  # relative paths a successful run may create or replace
        self.watch = list(watch)       # absolute paths outside the scratch directory to snapshot too


def base_files():
    rng = np.random.default_rng(7)
    out = {}
    for name, shape in (("q.npy", (1, 2, 5, 4)), ("k.npy", (1, 2, 7, 4)), ("v.npy", (1, 2, 7, 4))):
        buf = tempfile.SpooledTemporaryFile()
        np.save(buf, rng.standard_normal(shape).astype(np.float32))
        buf.seek(0)
        out[name] = buf.read()
    buf = tempfile.SpooledTemporaryFile()
    np.save(buf, rng.random((1, 1, 5, 7)) > 0.3)
    buf.seek(0)
    out["m.npy"] = buf.read()
    buf = tempfile.SpooledTemporaryFile()
    np.save(buf, rng.random((1, 2, 5, 7)).astype(np.float32))
    buf.seek(0)
    out["w.npy"] = buf.read()
    return out


def attend(q="q.npy", k="k.npy", v="v.npy", out="o.npy", *extra):
    return ["attend", "--q", q, "--k", k, "--v", v, "--out", out, *extra]


def hostile_headers(rng, mutations):
    """(name, bytes) of malformed or strange .npy files, all meant to be refused unless the name ends in '?'."""
    good = valid_q()
    hdr_end = good.index(b"\n") + 1
    cases = []
    for ch, close in (("(", ")"), ("[", "]")):
        for depth in (17, 20000, 200000):
            cases.append((f"nest {ch}x{depth} in shape", npy_bytes(dict_header(shape=ch * depth + "1" + close * depth), q_data(), major=2)))
        cases.append((f"nest {ch}x20000 unclosed", npy_bytes("{'shape': " + ch * 20000, major=2)))
    cases.append(("nest {x20000", npy_bytes("{" * 20000, major=2)))
    cases.append(("nest mixed ([x10000", npy_bytes(dict_header(shape="([" * 10000), major=2)))
    cases.append(("header length 0xFFFF, file short", npy_bytes(dict_header(), b"", hlen=0xFFFF)))
    cases.append(("header length 2^32-1, v2, file short", npy_bytes(dict_header(), b"", major=2, hlen=0xFFFFFFFF)))
    cases.append(("header length 2^31, v3, file short", npy_bytes(dict_header(), b"", major=3, hlen=1 << 31)))
    cases.append(("header length 0", npy_bytes(b"", q_data(), pad=False)))
    cases.append(("header length past data", npy_bytes(dict_header(), q_data(), hlen=len(good))))
    cases.append(("header 2 MiB of spaces (v2)", npy_bytes(dict_header() + " " * (2 << 20), q_data(), major=2)))
    for off in sorted({0, 1, 5, 6, 7, 8, 9, 10, 11, 30, hdr_end - 2, hdr_end - 1, hdr_end, hdr_end + 1,
                       hdr_end + 4, len(good) - 4, len(good) - 1}):
        cases.append((f"truncated at {off}/{len(good)}", good[:off]))
    for off in rng.sample(range(1, len(good)), 6):
        cases.append((f"truncated at {off}/{len(good)} (random)", good[:off]))
    cases.append(("magic NUMPZ", npy_bytes(dict_header(), q_data(), magic=b"\x93NUMPZ")))
    cases.append(("magic without 0x93", npy_bytes(dict_header(), q_data(), magic=b"ZNUMPY")))
    cases.append(("zeros", bytes(256)))
    cases.append(("text file", b"1.0 2.0 3.0\n" * 20))
    cases.append(("png bytes", b"\x89PNG\r\n\x1a\n" + bytes(100)))
    for major, minor in ((0, 0), (4, 0), (255, 255), (1, 7), (2, 200)):
        cases.append((f"version {major}.{minor}", npy_bytes(dict_header(), q_data(), major=major, minor=minor)))
    for shape in ("(1, 2, 5, 4000000000)", "(1, 2, -5, 4)", "(-1, -2, -5, -4)", "(65536, 65536, 65536, 65536)",
                  "(9223372036854775807, 2, 5, 4)", "(18446744073709551616, 1, 1, 1)", "(10**3, 1, 1, 1)",
                  "(1" + "0" * 400 + ", 1, 1, 1)", "()", "(40,)", "(1, 2, 5)", "(1, 1, 2, 5, 4)",
                  "(1.5, 2, 5, 4)", "(True, 2, 5, 4)", "(0x1, 2, 5, 4)", "(+1, 2, 5, 4)", "(1_0, 2, 5, 4)",
                  "(1, 2, 5, 4", "1, 2, 5, 4", "[1, 2, 5, 4]", "(1 2 5 4)", "(,)", "(1,, 2, 5, 4)",
                  "('1', 2, 5, 4)", "(None, 2, 5, 4)", "(1, 2, 5, 4)) ", "(0, 2, 5, 4)"):
        expect_ok = shape in ("[1, 2, 5, 4]",)  # NumPy writes tuples, reads a list too
        cases.append((f"shape {shape[:40]}" + ("?" if expect_ok else ""), npy_bytes(dict_header(shape=shape), q_data())))
    for digits in ("\u0661", "\uff11", "\u00b9", "\U0001d7cf"):
        cases.append((f"v3 non-ASCII digit U+{ord(digits):04X}",
                      npy_bytes(dict_header(shape="(%s, 2, 5, 4)" % digits), q_data(), major=3)))
    cases.append(("v3 non-ASCII key", npy_bytes("{'d\u00e9scr': '<f4', 'fortran_order': False, 'shape': (1, 2, 5, 4), }", q_data(), major=3)))
    cases.append(("v3 invalid UTF-8", npy_bytes(b"{'descr': '\xff\xfe<f4', 'fortran_order': False, 'shape': (1, 2, 5, 4), }", q_data(), major=3)))
    cases.append(("ANSI escape in descr", npy_bytes(dict_header(descr="'\x1b[31m<f4\x1b[0m'"), q_data())))
    cases.append(("ANSI clear-screen in shape", npy_bytes(dict_header(shape="(1, 2, \x1b[2J\x1b[H5, 4)"), q_data())))
    cases.append(("NUL in header", npy_bytes(dict_header(descr="'<f4\x00'"), q_data())))
    cases.append(("bell and backspace in header", npy_bytes(dict_header(descr="'<f4\x07\x08\x08'"), q_data())))
    cases.append(("CR in header?", npy_bytes(dict_header(shape="(1, 2,\r 5, 4)"), q_data())))
    for descr in ("'<f8'", "'>f4'", "'|b1'", "'<f2'", "'<i4'", "'<f4 '", "'f4'", "'float32'", "'<c8'", "'|O'",
                  "\"[('a', '<f4')]\"", "[('a', '<f4')]", "'<U4'", "''", "None", "'" + "f" * 10000 + "'"):
        # "'float32'" is refused too: NumPy writes '<f4' and the parser reads what NumPy writes
        cases.append((f"dtype {descr[:30]}", npy_bytes(dict_header(descr=descr), q_data() * 2)))
    cases.append(("fortran_order True", npy_bytes(dict_header(fortran="True"), q_data())))
    cases.append(("fortran_order 1", npy_bytes(dict_header(fortran="1"), q_data())))
    cases.append(("fortran_order 'False'", npy_bytes(dict_header(fortran="'False'"), q_data())))
    cases.append(("missing shape key", npy_bytes("{'descr': '<f4', 'fortran_order': False, }", q_data())))
    cases.append(("missing descr key", npy_bytes("{'fortran_order': False, 'shape': (1, 2, 5, 4), }", q_data())))
    cases.append(("duplicate shape key", npy_bytes(dict_header() + "{'shape': (40,)}", q_data())))
    cases.append(("duplicate key inside", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 5, 4), 'shape': (40,), }", q_data())))
    cases.append(("extra key?", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 5, 4), 'x': 1, }", q_data())))
    cases.append(("not a dict", npy_bytes("[1, 2, 3]", q_data())))
    cases.append(("python code", npy_bytes("__import__('os').system('touch pwned')", q_data())))
    cases.append(("data one float short", npy_bytes(dict_header(), q_data()[:-4])))
    cases.append(("data one byte short", npy_bytes(dict_header(), q_data()[:-1])))
    cases.append(("data one float long", npy_bytes(dict_header(), q_data() + bytes(4))))
    cases.append(("data 1 MiB long", npy_bytes(dict_header(), q_data() + bytes(1 << 20))))
    cases.append(("no data", npy_bytes(dict_header(), b"")))
    cases.append(("NaN and inf data?", npy_bytes(dict_header(), np.array([np.nan, np.inf, -np.inf, 3.4e38] * 10, "<f4").tobytes())))
    for i in range(mutations):
        buf = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(hdr_end) if rng.random() < 0.8 else rng.randrange(len(buf))
            op = rng.random()
            if op < 0.6:
                buf[pos] = rng.randrange(256)
            elif op < 0.8:
                buf.insert(pos, rng.choice(b"([{,:'\"0123456789\x00\x1b\n"))
            elif len(buf) > 1:
                del buf[pos]
        cases.append((f"mutation {i}?", bytes(buf)))
    return cases


def special_inputs():
    """(name, setup(dir) -> path) of inputs that are not regular files."""
    def fifo(d):
        p = os.path.join(d, "fifo.npy")
        os.mkfifo(p)
        return p

    def directory(d):
        p = os.path.join(d, "dir.npy")
        os.mkdir(p)
        return p

    def empty(d):
        p = os.path.join(d, "empty.npy")
        open(p, "wb").close()
        return p

    def link_to_fifo(d):
        p = fifo(d)
        os.symlink("fifo.npy", os.path.join(d, "lf.npy"))
        return os.path.join(d, "lf.npy")

    def link_dangling(d):
        os.symlink("nowhere.npy", os.path.join(d, "dl.npy"))
        return os.path.join(d, "dl.npy")

    def link_loop(d):
        os.symlink("loop2.npy", os.path.join(d, "loop1.npy"))
        os.symlink("loop1.npy", os.path.join(d, "loop2.npy"))
        return os.path.join(d, "loop1.npy")

    return [("empty file", empty), ("directory", directory), ("FIFO with no writer", fifo),
            ("symlink to a FIFO", link_to_fifo), ("/dev/zero", lambda d: "/dev/zero"),
            ("/dev/urandom", lambda d: "/dev/urandom"), ("/proc/self/mem", lambda d: "/proc/self/mem"),
            ("missing file", lambda d: os.path.join(d, "missing.npy")), ("dangling symlink", link_dangling),
            ("symlink loop", link_loop), ("empty name", lambda d: "")]


def output_cases(is_root):
    """Cases over every kind of output path; each expects a refusal (or success where noted) and no data loss."""
    cases = []
    sub = lambda d: os.makedirs(os.path.join(d, "sub"), exist_ok=True)
    for target in ("q.npy", "k.npy", "v.npy", "m.npy"):
        for spelling in (target, "./" + target, "sub/../" + target, "{abs}/" + target, ".//" + target):
            cases.append(Case(f"--out {spelling} (an input)", attend("q.npy", "k.npy", "v.npy", spelling, "--mask", "m.npy"),
                              REFUSE, setup=sub))
        cases.append(Case(f"--out symlink to {target}", attend("q.npy", "k.npy", "v.npy", "lnk.npy", "--mask", "m.npy"),
                          REFUSE, setup=lambda d, t=target: os.symlink(t, os.path.join(d, "lnk.npy"))))
        cases.append(Case(f"--out hard link to {target}", attend("q.npy", "k.npy", "v.npy", "hard.npy", "--mask", "m.npy"),
                          REFUSE, setup=lambda d, t=target: os.link(os.path.join(d, t), os.path.join(d, "hard.npy"))))
        cases.append(Case(f"--weights {target} (an input)", attend("q.npy", "k.npy", "v.npy", "o.npy", "--mask", "m.npy", "--weights", target), REFUSE))
        cases.append(Case(f"--lse {target} (an input)", attend("q.npy", "k.npy", "v.npy", "o.npy", "--mask", "m.npy", "--lse", target), REFUSE))
    cases.append(Case("--out through a symlinked directory to q", attend(out="ld/q.npy"), REFUSE,
                      setup=lambda d: os.symlink(".", os.path.join(d, "ld"))))
    cases.append(Case("--weights equal to --out", attend("q.npy", "k.npy", "v.npy", "o.npy", "--weights", "o.npy"), REFUSE))
    cases.append(Case("--lse equal to --out", attend("q.npy", "k.npy", "v.npy", "o.npy", "--lse", "./o.npy"), REFUSE))
    cases.append(Case("--weights equal to --lse", attend("q.npy", "k.npy", "v.npy", "o.npy", "--weights", "x.npy", "--lse", "x.npy"), REFUSE))
    cases.append(Case("--weights symlink to --lse (missing)", attend("q.npy", "k.npy", "v.npy", "o.npy", "--weights", "wl.npy", "--lse", "l.npy"),
                      REFUSE, setup=lambda d: os.symlink("l.npy", os.path.join(d, "wl.npy"))))
    cases.append(Case("--weights symlink to --lse (existing)", attend("q.npy", "k.npy", "v.npy", "o.npy", "--weights", "wl.npy", "--lse", "l.npy"),
                      REFUSE, files={"l.npy": b"keep me"}, setup=lambda d: os.symlink("l.npy", os.path.join(d, "wl.npy"))))
    cases.append(Case("--out hard link to --lse", attend("q.npy", "k.npy", "v.npy", "hl.npy", "--lse", "l.npy"),
                      REFUSE, files={"l.npy": b"keep me"}, setup=lambda d: os.link(os.path.join(d, "l.npy"), os.path.join(d, "hl.npy"))))
    cases.append(Case("--out dangling symlink", attend(out="dang.npy"), REFUSE,
                      setup=lambda d: os.symlink("victim_missing.npy", os.path.join(d, "dang.npy"))))
    cases.append(Case("--out symlink to another file", attend(out="other.npy"), REFUSE, files={"victim.npy": b"precious"},
                      setup=lambda d: os.symlink("victim.npy", os.path.join(d, "other.npy"))))
    cases.append(Case("--out symlink to a directory", attend(out="sd"), REFUSE, setup=lambda d: (sub(d), os.symlink("sub", os.path.join(d, "sd")))))
    cases.append(Case("--out FIFO (no reader)", attend(out="ofifo"), REFUSE, setup=lambda d: os.mkfifo(os.path.join(d, "ofifo"))))
    if is_root:
        cases.append(Case("--out character device (own null, c 1 3)", attend(out="null"), REFUSE,
                          setup=lambda d: os.mknod(os.path.join(d, "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))))
        cases.append(Case("--weights character device (own null)", attend("q.npy", "k.npy", "v.npy", "o.npy", "--weights", "null"), REFUSE,
                          setup=lambda d: os.mknod(os.path.join(d, "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))))
    cases.append(Case("--out 0444 file", attend(out="ro.npy"), REFUSE, files={"ro.npy": b"read only"},
                      setup=lambda d: os.chmod(os.path.join(d, "ro.npy"), 0o444)))
    cases.append(Case("--lse 0444 file", attend("q.npy", "k.npy", "v.npy", "o.npy", "--lse", "ro.npy"), REFUSE, files={"ro.npy": b"read only"},
                      setup=lambda d: os.chmod(os.path.join(d, "ro.npy"), 0o444)))
    # root may write in a 0555 directory (as cp does); anybody else is refused by the directory check
    cases.append(Case("--out in a 0555 directory", attend(out="rod/o.npy"), ANY if is_root else REFUSE, may_write={"rod/o.npy"},
                      setup=lambda d: (os.mkdir(os.path.join(d, "rod")), os.chmod(os.path.join(d, "rod"), 0o555))))
    cases.append(Case("--out a directory", attend(out="sub"), REFUSE, setup=sub))
    cases.append(Case("--out .", attend(out="."), REFUSE))
    cases.append(Case("--out empty", attend(out=""), REFUSE))
    cases.append(Case("--out missing parent", attend(out="nodir/o.npy"), REFUSE))
    cases.append(Case("--out trailing slash", attend(out="o.npy/"), REFUSE))
    cases.append(Case("--out parent is a file", attend(out="q.npy/o.npy"), REFUSE))
    cases.append(Case("--out -", attend(out="-"), ANY, may_write={"-"}))
    cases.append(Case("--out ANSI name", attend(out="\x1b[31mred.npy"), OK, may_write={"\x1b[31mred.npy"}))
    cases.append(Case("--out name with newline", attend(out="a\nb.npy"), OK, may_write={"a\nb.npy"}))
    cases.append(Case("--out existing unrelated file (replaced)", attend(out="old.npy"), OK, files={"old.npy": b"old"}, may_write={"old.npy"}))
    cases.append(Case("all outputs, fresh", attend("q.npy", "k.npy", "v.npy", "o.npy", "--weights", "wo.npy", "--lse", "lo.npy"), OK,
                      may_write={"o.npy", "wo.npy", "lo.npy"}))
    cases.append(Case("--out 255-byte name", attend(out="o" * 251 + ".npy"), OK, may_write={"o" * 251 + ".npy"}))
    cases.append(Case("--out 256-byte name", attend(out="o" * 252 + ".npy"), REFUSE))
    # an input that fails after the output exists: the old output must survive untouched
    cases.append(Case("bad --k with existing --out", attend(k="bad.npy", out="old.npy"), REFUSE,
                      files={"old.npy": b"old", "bad.npy": b"\x93NUMPY\x01\x00"}))
    cases.append(Case("shape mismatch with existing --out", attend(k="q.npy", v="v.npy", out="old.npy"), REFUSE, files={"old.npy": b"old"}))
    return cases


def heatmap_and_bench_cases(hostile, specials):
    cases = []
    for name, data in hostile[::3]:
        cases.append(Case(f"heatmap --weights {name}", ["heatmap", "--weights", "h.npy", "--out", "h.png"],
                          ANY if name.endswith("?") else REFUSE, files={"h.npy": data}, may_write={"h.png"}))
        cases.append(Case(f"bench --inputs q={name}", ["bench", "--inputs", "in", "--iters", "1", "--warmup", "0"],
                          ANY if name.endswith("?") else REFUSE, files={"in/q.npy": data, "in/k.npy": None, "in/v.npy": None}))
    for name, make in specials:
        cases.append(Case(f"heatmap --weights {name}", ["heatmap", "--weights", "{special}", "--out", "h.png"], REFUSE, setup=make))
        cases.append(Case(f"bench --inputs with q {name}", ["bench", "--inputs", "in", "--iters", "1", "--warmup", "0"], REFUSE,
                          files={"in/k.npy": None, "in/v.npy": None},
                          setup=lambda d, m=make: _special_as(d, m, "in/q.npy")))
    cases.append(Case("bench --inputs missing dir", ["bench", "--inputs", "nope", "--iters", "1", "--warmup", "0"], REFUSE))
    cases.append(Case("bench --inputs a file", ["bench", "--inputs", "q.npy", "--iters", "1", "--warmup", "0"], REFUSE))
    cases.append(Case("bench --inputs FIFO", ["bench", "--inputs", "f", "--iters", "1", "--warmup", "0"], REFUSE,
                      setup=lambda d: os.mkfifo(os.path.join(d, "f"))))
    cases.append(Case("heatmap --out equal to --weights", ["heatmap", "--weights", "w.npy", "--out", "w.npy"], REFUSE))
    cases.append(Case("heatmap --out ./ spelling of --weights", ["heatmap", "--weights", "w.npy", "--out", "sub/../w.npy"], REFUSE,
                      setup=lambda d: os.mkdir(os.path.join(d, "sub"))))
    cases.append(Case("heatmap --out symlink to --weights", ["heatmap", "--weights", "w.npy", "--out", "wl.png"], REFUSE,
                      setup=lambda d: os.symlink("w.npy", os.path.join(d, "wl.png"))))
    cases.append(Case("heatmap --out hard link to --weights", ["heatmap", "--weights", "w.npy", "--out", "wh.png"], REFUSE,
                      setup=lambda d: os.link(os.path.join(d, "w.npy"), os.path.join(d, "wh.png"))))
    cases.append(Case("heatmap --out FIFO", ["heatmap", "--weights", "w.npy", "--out", "pf"], REFUSE,
                      setup=lambda d: os.mkfifo(os.path.join(d, "pf"))))
    cases.append(Case("heatmap --out 0444", ["heatmap", "--weights", "w.npy", "--out", "ro.png"], REFUSE, files={"ro.png": b"ro"},
                      setup=lambda d: os.chmod(os.path.join(d, "ro.png"), 0o444)))
    cases.append(Case("heatmap --out directory", ["heatmap", "--weights", "w.npy", "--out", "."], REFUSE))
    cases.append(Case("heatmap valid", ["heatmap", "--weights", "w.npy", "--out", "h.png", "--head", "1"], OK, may_write={"h.png"}))
    cases.append(Case("heatmap --head out of range", ["heatmap", "--weights", "w.npy", "--out", "h.png", "--head", "7"], REFUSE))
    cases.append(Case("heatmap --batch -1", ["heatmap", "--weights", "w.npy", "--out", "h.png", "--batch", "-1"], REFUSE))
    cases.append(Case("bench valid --inputs", ["bench", "--inputs", "in", "--iters", "1", "--warmup", "0"], OK,
                      files={"in/q.npy": None, "in/k.npy": None, "in/v.npy": None}))
    return cases


def _special_as(d, make, rel):
    """Makes the special file and puts it (or a link to it) at rel."""
    p = make(d)
    dst = os.path.join(d, rel)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if p == "":
        return
    os.symlink(p if os.path.isabs(p) else os.path.abspath(p), dst)


def all_cases(rng, mutations, is_root):
    hostile = hostile_headers(rng, mutations)
    specials = special_inputs()
    cases = [Case("valid call", attend(), OK, may_write={"o.npy"}),
             Case("valid call with mask", attend("q.npy", "k.npy", "v.npy", "o.npy", "--mask", "m.npy"), OK, may_write={"o.npy"})]
    for name, data in hostile:
        cases.append(Case(f"--q {name}", attend(q="h.npy"), ANY if name.endswith("?") else REFUSE,
                          files={"h.npy": data}, may_write={"o.npy"}))
    for name, data in hostile[1::4]:
        cases.append(Case(f"--mask {name}", attend("q.npy", "k.npy", "v.npy", "o.npy", "--mask", "h.npy"),
                          ANY if name.endswith("?") or "b1" in name else REFUSE, files={"h.npy": data}, may_write={"o.npy"}))
    for name, make in specials:
        for arg in ("q", "v", "mask"):
            args = attend() if arg != "mask" else attend("q.npy", "k.npy", "v.npy", "o.npy", "--mask", "m.npy")
            i = args.index("--" + arg) + 1
            args = list(args)
            args[i] = "{special}"
            cases.append(Case(f"--{arg} {name}", args, REFUSE, setup=make,
                              watch=[p for p in ("/dev/zero", "/dev/urandom") if p in name]))
    cases += output_cases(is_root)
    cases += heatmap_and_bench_cases(hostile, specials)
    return cases


# ---------------------------------------------------------------------------------------------------- running

def snapshot(root, extra):
    """Path -> what it is (type, mode, link target, content hash), without following links."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            snap[os.path.relpath(p, root)] = describe(p)
    for p in extra:
        snap[p] = describe(p)
    return snap


def describe(p):
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return None
    kind = stat.S_IFMT(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(p))
    if stat.S_ISREG(st.st_mode):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return ("file", stat.S_IMODE(st.st_mode), st.st_ino, h.hexdigest())
    return (kind, stat.S_IMODE(st.st_mode), st.st_rdev if (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)) else 0)


def run_case(case, java, base, timeout):
    d = tempfile.mkdtemp(prefix="a4jfuzz-")
    try:
        for rel, data in {**base, **case.files}.items():
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if data is None:  # bench inputs: the valid q/k/v under another name
                data = base[os.path.basename(rel)]
            with open(p, "wb") as f:
                f.write(data)
        special = case.setup(d) if case.setup else None
        args = [a.replace("{abs}", d) for a in case.args]
        if isinstance(special, str):
            args = [special if a == "{special}" else a for a in args]
        before = snapshot(d, case.watch)
        t0 = time.monotonic()
        proc = subprocess.Popen(java + args, cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            rc = None
        secs = time.monotonic() - t0
        after = snapshot(d, case.watch)
        return classify(case, rc, out, err, before, after, secs)
    finally:
        for dirpath, dirnames, _ in os.walk(d):
            for n in dirnames:
                try:
                    os.chmod(os.path.join(dirpath, n), 0o755)
                except OSError:
                    pass
        shutil.rmtree(d, ignore_errors=True)


def classify(case, rc, out, err, before, after, secs):
    problems = []
    text = err.decode("utf-8", "replace")
    if rc is None:
        problems.append("hang")
    elif rc not in (0, 2, 3) or STACK.search(text):
        problems.append("crash")
    ok = rc == 0
    for p, was in before.items():
        now = after.get(p)
        if now != was and not (ok and p in case.may_write):
            problems.append("dataloss")
            break
    new = [p for p in after if p not in before]
    if (not ok and new) or (ok and any(p not in case.may_write for p in new)):
        problems.append("partial")
    if rc not in (0, None):
        lines = [ln for ln in text.splitlines() if ln.strip() and not LOG_LINE.match(ln)]
        if len(lines) != 1 or CONTROL.search(err.replace(b"\n", b"").replace(b"\t", b"")):
            problems.append("noisy")
    if rc is not None and "crash" not in problems:
        if (case.expect == OK and rc != 0) or (case.expect == REFUSE and rc == 0):
            problems.append("wrong")
    first = next((ln for ln in text.splitlines() if ln.strip() and not LOG_LINE.match(ln)), "")
    return case.name, rc, secs, problems, first[:160], [p for p in new]


def printable(text):
    """Text with control and non-ASCII characters as escapes, so the report is safe to cat."""
    return "".join(c if " " <= c <= "~" else ascii(c)[1:-1] for c in text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jar", default=os.path.join(os.path.dirname(__file__), "..", "java", "target", "attention4j.jar"))
    ap.add_argument("--java", default="java")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--mutations", type=int, default=40, help="seeded random byte mutations of a valid header")
    ap.add_argument("--max-cases", type=int, default=10_000)
    ap.add_argument("--max-seconds", type=float, default=900)
    ap.add_argument("--timeout", type=float, default=20, help="seconds before a run counts as a hang")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--report", help="also write the summary and every case to this file")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    jar = os.path.abspath(a.jar)
    if not os.path.isfile(jar):
        sys.exit(f"error: {jar} not found; build it with: mvn -B -ntp -q -pl java -DskipTests package")
    java = [a.java, "-jar", jar]
    rng = random.Random(a.seed)
    cases = all_cases(rng, a.mutations, os.geteuid() == 0)[: a.max_cases]
    base = base_files()
    t0 = time.monotonic()
    results, skipped = [], 0
    with cf.ThreadPoolExecutor(a.jobs) as pool:
        futures = [pool.submit(lambda c=c: None if time.monotonic() - t0 > a.max_seconds else run_case(c, java, base, a.timeout))
                   for c in cases]
        for f in futures:  # in case order
            r = f.result()
            if r is None:
                skipped += 1
            else:
                results.append(r)
    counts = {k: sum(k in r[3] for r in results) for k in ("crash", "hang", "dataloss", "partial", "noisy", "wrong")}
    rcs = {}
    for r in results:
        rcs[r[1]] = rcs.get(r[1], 0) + 1
    lines = [f"attention4j CLI fuzz: {len(results)} cases run ({skipped} left over --max-seconds), seed {a.seed}, "
             f"{a.mutations} mutations, {time.monotonic() - t0:.0f} s, jar {os.path.relpath(jar)}",
             "exit statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(rcs.items(), key=lambda kv: str(kv[0]))),
             "crash %(crash)d  hang %(hang)d  dataloss %(dataloss)d  partial %(partial)d  noisy %(noisy)d  wrong %(wrong)d" % counts]
    detail = []
    for name, rc, secs, problems, first, new in results:
        flag = ("  <-- " + ",".join(problems)) if problems else ""
        detail.append(f"{'-' if rc is None else rc:>3} {secs:5.1f}s  {printable(name)[:70]:70}  {printable(first)[:150]}{flag}")
    print("\n".join(lines))
    bad = [d for d, r in zip(detail, results) if r[3]]
    print("\n".join(detail if a.verbose else bad))
    if a.report:
        with open(a.report, "w") as f:
            f.write("\n".join(lines) + "\n\n" + "\n".join(detail) + "\n")
    return 1 if any(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

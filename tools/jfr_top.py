#!/usr/bin/env python3
"""Top frames of a JFR recording's execution samples: self time (top frame) and inclusive time of
attention4j's methods, as percentages of the samples after a skipped warm-up.

  jfr print --events jdk.ExecutionSample rec.jfr > rec.txt
  python3 tools/jfr_top.py rec.txt [--skip SECONDS] [--top N]
"""
import argparse
import collections
import re


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump", help="output of `jfr print --events jdk.ExecutionSample`")
    ap.add_argument("--skip", type=float, default=0.0, help="seconds from the first sample to leave out (warm-up)")
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    events = open(a.dump).read().split("jdk.ExecutionSample")[1:]
    times = []
    for e in events:
        m = re.search(r"startTime = (\d+):(\d+):([\d.]+)", e)
        times.append(int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) if m else 0.0)
    t0 = min(times) if times else 0.0
    top, incl, n = collections.Counter(), collections.Counter(), 0
    for e, t in zip(events, times):
        if t - t0 < a.skip:
            continue
        frames = re.findall(r"^\s+([\w.$<>]+)\(", e, re.M)
        if not frames:
            continue
        n += 1
        top[frames[0]] += 1
        for f in set(frames):
            incl[f] += 1
    print(f"samples {n} (after {a.skip:.0f} s of warm-up)")
    print("self time:")
    for f, c in top.most_common(a.top):
        print(f"  {100 * c / n:5.1f}%  {f}")
    print("inclusive, attention4j methods:")
    for f, c in [x for x in incl.most_common() if "attention4j" in x[0]][: a.top]:
        print(f"  {100 * c / n:5.1f}%  {f}")


if __name__ == "__main__":
    main()

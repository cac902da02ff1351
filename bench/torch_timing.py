"""How the GPU races time PyTorch (issue 11): as attention4j's calls are timed, and as PyTorch's own throughput.

time_sync_ms: wall clock around each call and a synchronisation (attention4j's device calls return synchronised),
median over ROUNDS rounds after warm-up. time_events_ms: back-to-back calls between two CUDA events (no host
sync between calls). Both are printed; ratios against attention4j use the first.
"""
import statistics
import time

import torch

ROUNDS = 5


def time_sync_ms(fn, iters):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    per_round = max(1, iters // ROUNDS)
    rounds = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(per_round):
            fn()
            torch.cuda.synchronize()
        rounds.append((time.perf_counter() - t0) * 1e3 / per_round)
    return statistics.median(rounds)


def time_events_ms(fn, iters):
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / iters

"""Where PyTorch's loop iteration spends its time: the other side of `bun bench/profile-step.ts` (issue 14 asks for
the profile of both sides where a target stays out of reach).

    /usr/bin/python3 bench/peers/torch_profile_loop.py [L0|L1|L2] [iterations=10]

Runs the loop workload of bench/peers/torch_loops.py (the same iteration bench/run.ts times against the engine) for one
warm-up window of 8 iterations, then `iterations` (rounded up to whole windows) under torch.profiler on the CPU with every core's thread, and prints the
operators with the most self time, one row per (operator, input shapes), in ms per iteration, so that each
convolution's forward and backward can be set next to the engine's kernels. Run it on a quiet machine.
"""
import os
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_loops import prepare_loop  # noqa: E402 (beside this file)


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "L0"
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    if name not in ("L0", "L1", "L2") or iterations < 1:
        raise SystemExit(f"usage: torch_profile_loop.py [L0|L1|L2] [iterations >= 1], got {' '.join(sys.argv[1:])}")
    torch.set_num_threads(os.cpu_count())
    window, about = prepare_loop(name, "cpu")
    # bench/run.ts times windows of window.iterations iterations; here whole windows too, counted per iteration
    windows = max(1, -(-iterations // window.iterations))
    iterations = windows * window.iterations
    window()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        start = time.perf_counter()
        for _ in range(windows):
            window()
        wall = (time.perf_counter() - start) / iterations * 1e3
    rows = sorted(prof.key_averages(group_by_input_shape=True), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in rows) / iterations / 1e3
    print(f"{name}: {wall:.1f} ms per iteration under the profiler ({iterations} iterations, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}); operators' self time {total:.1f} ms per iteration; {about}")
    print(f"{'self ms/it':>10} {'share':>6} {'calls/it':>8}  operator  input shapes")
    for e in rows[:25]:
        ms = e.self_cpu_time_total / iterations / 1e3
        shapes = " ".join(str(s) for s in e.input_shapes if s)
        print(f"{ms:10.1f} {ms / total:6.1%} {e.count / iterations:8.1f}  {e.key}  {shapes[:110]}")


if __name__ == "__main__":
    main()

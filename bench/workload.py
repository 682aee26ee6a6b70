# SPDX-License-Identifier: BSD-3-Clause
"""The end-to-end workload, run by the real Python client against one
running cluster. Prints one JSON object: every figure, and for each its
cost (wall time and the CPU time of the client, the controller and the
engines, per operation), which shows who bounds it.

    /usr/bin/python3 bench/workload.py CLIENT_FILE ENGINES T0
        [--controller-pid PID] [--engine-pids PID,PID] [--quick] [--only PARTS]
        [--array-repeats N]

PARTS (comma-separated) limits the run to some of: map, burst, apply,
execute, array (push and pull), queue_status.

T0 is the time.time() at which the controller was launched: the
engines-ready figure runs from there to wait_for_engines returning.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import ipyparallel as ipp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import tree_cpu_seconds  # noqa: E402

SIZES = {
    # figure: (full, quick)
    "map_tasks": (5000, 200),
    "burst_calls": (1000, 50),
    "apply_sync_rounds": (500, 30),
    "execute_rounds": (200, 20),
    "array_mib": (64, 4),
    "array_repeats": (3, 1),
    "queue_status_rounds": (200, 20),
}


PARTS = ["map", "burst", "apply", "execute", "array", "queue_status"]


def noop(x=None):
    return x


def percentile(samples, q):
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Meter:
    """Wall and CPU time of the client, the controller and the engines
    over one figure's operations."""

    def __init__(self, controller_pid, engine_pids):
        self.controller_pid = controller_pid
        self.engine_pids = engine_pids
        self.costs = {}

    def _cpu(self):
        return (time.process_time(),
                tree_cpu_seconds(self.controller_pid) if self.controller_pid else 0.0,
                sum(tree_cpu_seconds(p) for p in self.engine_pids))

    def measure(self, name, ops, fn):
        """Runs fn() once; returns its wall time and records the costs."""
        c0, t0 = self._cpu(), time.perf_counter()
        result = fn()
        wall = time.perf_counter() - t0
        c1 = self._cpu()
        self.costs[name] = {
            "ops": ops, "wall_s": wall, "client_cpu_s": c1[0] - c0[0],
            "controller_cpu_s": c1[1] - c0[1], "engines_cpu_s": c1[2] - c0[2],
        }
        return wall, result


def timed(fn, rounds):
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("client_file")
    parser.add_argument("engines", type=int)
    parser.add_argument("t0", type=float)
    parser.add_argument("--controller-pid", type=int, default=0)
    parser.add_argument("--engine-pids", default="")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(PARTS))
    parser.add_argument("--array-repeats", type=int, default=None)
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if not parts <= set(PARTS):
        parser.error(f"--only: unknown part(s) {sorted(parts - set(PARTS))}; choose from {PARTS}")
    size = {k: v[1] if args.quick else v[0] for k, v in SIZES.items()}
    if args.array_repeats:
        size["array_repeats"] = args.array_repeats
    meter = Meter(args.controller_pid, [int(p) for p in args.engine_pids.split(",") if p])
    out = {}

    # The client file exists once the controller is up; engines-ready is
    # measured from the controller's launch.
    rc = ipp.Client(args.client_file, timeout=60)
    rc.wait_for_engines(args.engines, timeout=120)
    out["ready_s"] = time.time() - args.t0
    cpu0 = time.process_time()

    dv = rc[:]
    e0 = rc[rc.ids[0]]
    lview = rc.load_balanced_view()
    # Warm up every path once (imports, first connections).
    dv.apply_sync(noop)
    lview.map_sync(noop, range(2 * args.engines))

    if "map" in parts:
        n = size["map_tasks"]
        wall, _ = meter.measure("map_tasks_per_s", n, lambda: lview.map_sync(noop, range(n)))
        out["map_tasks_per_s"] = n / wall

    if "burst" in parts:
        n = size["burst_calls"]

        def burst():
            for ar in [dv.apply_async(noop) for _ in range(n)]:
                ar.get(timeout=300)

        wall, _ = meter.measure("burst_tasks_per_s", n * len(dv.targets), burst)
        out["burst_tasks_per_s"] = n * len(dv.targets) / wall

    if "apply" in parts:
        n = size["apply_sync_rounds"]
        _, samples = meter.measure("apply_rtt_p50_ms", n, lambda: timed(lambda: e0.apply_sync(noop), n))
        meter.costs["apply_rtt_p99_ms"] = meter.costs["apply_rtt_p50_ms"]
        out["apply_rtt_p50_ms"] = 1e3 * percentile(samples, 50)
        out["apply_rtt_p99_ms"] = 1e3 * percentile(samples, 99)

    if "execute" in parts:
        n = size["execute_rounds"]
        _, samples = meter.measure("execute_rtt_p50_ms", n,
                                   lambda: timed(lambda: e0.execute("pass", block=True), n))
        out["execute_rtt_p50_ms"] = 1e3 * percentile(samples, 50)

    if "array" in parts:
        array = np.ones(size["array_mib"] * 2**20 // 8)
        mb = array.nbytes / 1e6
        n = size["array_repeats"]
        _, push = meter.measure("push_mb_per_s", n,
                                lambda: timed(lambda: e0.push({"bench_array": array}, block=True), n))

        def pull_all():
            samples = []
            for _ in range(n):
                t = time.perf_counter()
                back = e0.pull("bench_array", block=True)
                samples.append(time.perf_counter() - t)
                assert back.nbytes == array.nbytes
                del back
            return samples

        _, pull = meter.measure("pull_mb_per_s", n, pull_all)
        out["push_mb_per_s"] = mb / statistics.median(push)
        out["pull_mb_per_s"] = mb / statistics.median(pull)
        e0.execute("del bench_array", block=True)

    if "queue_status" in parts:
        n = size["queue_status_rounds"]
        _, samples = meter.measure("queue_status_p50_ms", n, lambda: timed(rc.queue_status, n))
        out["queue_status_p50_ms"] = 1e3 * percentile(samples, 50)

    out["client_cpu_s"] = time.process_time() - cpu0
    out["client_max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["costs"] = meter.costs
    rc.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

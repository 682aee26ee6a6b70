# SPDX-License-Identifier: BSD-3-Clause
"""The end-to-end workload, run by the real Python client against one
running cluster. Prints one JSON object with every figure.

    /usr/bin/python3 bench/workload.py CLIENT_FILE ENGINES T0 [--quick]

T0 is the time.time() at which the controller was launched: the
engines-ready figure runs from there to wait_for_engines returning.
"""
import json
import os
import resource
import statistics
import sys
import time

import ipyparallel as ipp
import numpy as np

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


def noop(x=None):
    return x


def percentile(samples, q):
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn, rounds):
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return samples


def main():
    client_file, n_engines, t0 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    quick = "--quick" in sys.argv[4:]
    size = {k: v[1] if quick else v[0] for k, v in SIZES.items()}
    out = {}

    # The client file exists once the controller is up; engines-ready is
    # measured from the controller's launch.
    rc = ipp.Client(client_file, timeout=60)
    rc.wait_for_engines(n_engines, timeout=120)
    out["ready_s"] = time.time() - t0
    cpu0 = time.process_time()

    dv = rc[:]
    e0 = rc[rc.ids[0]]
    lview = rc.load_balanced_view()
    # Warm up every path once (imports, first connections).
    dv.apply_sync(noop)
    lview.map_sync(noop, range(2 * n_engines))

    n = size["map_tasks"]
    t = time.perf_counter()
    lview.map_sync(noop, range(n))
    out["map_tasks_per_s"] = n / (time.perf_counter() - t)

    n = size["burst_calls"]
    t = time.perf_counter()
    ars = [dv.apply_async(noop) for _ in range(n)]
    for ar in ars:
        ar.get(timeout=300)
    out["burst_tasks_per_s"] = n * len(dv.targets) / (time.perf_counter() - t)

    samples = timed(lambda: e0.apply_sync(noop), size["apply_sync_rounds"])
    out["apply_rtt_p50_ms"] = 1e3 * percentile(samples, 50)
    out["apply_rtt_p99_ms"] = 1e3 * percentile(samples, 99)

    samples = timed(lambda: e0.execute("pass", block=True), size["execute_rounds"])
    out["execute_rtt_p50_ms"] = 1e3 * percentile(samples, 50)

    array = np.ones(size["array_mib"] * 2**20 // 8)
    mb = array.nbytes / 1e6
    push = timed(lambda: e0.push({"bench_array": array}, block=True), size["array_repeats"])
    pull = []
    for _ in range(size["array_repeats"]):
        t = time.perf_counter()
        back = e0.pull("bench_array", block=True)
        pull.append(time.perf_counter() - t)
        assert back.nbytes == array.nbytes
        del back
    out["push_mb_per_s"] = mb / statistics.median(push)
    out["pull_mb_per_s"] = mb / statistics.median(pull)
    e0.execute("del bench_array", block=True)

    samples = timed(rc.queue_status, size["queue_status_rounds"])
    out["queue_status_p50_ms"] = 1e3 * percentile(samples, 50)

    out["client_cpu_s"] = time.process_time() - cpu0
    out["client_max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rc.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

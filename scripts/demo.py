# SPDX-License-Identifier: BSD-3-Clause
"""The main job: a real cluster doing real work.

Starts our ipcontroller and N engines in a fresh profile on loopback, drives
them from the unmodified Python client (Debian's ipyparallel), prints the
results, and shuts everything down. Engines are ours when the build has
them (the default), or Debian's Python ipengine with IPP_DEMO_ENGINE=python.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "python"))
from cluster_fixtures import LocalCluster  # noqa: E402

import ipyparallel as ipp  # noqa: E402


def estimate_pi(n):
    import random
    inside = 0
    for _ in range(n):
        x, y = random.random(), random.random()
        inside += x * x + y * y <= 1.0
    return inside


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    n_engines = int(os.environ.get("IPP_DEMO_ENGINES", "4"))
    engine_cmd = None
    ours = os.path.join(build, "ipengine")
    if os.environ.get("IPP_DEMO_ENGINE", "ours") == "ours" and os.path.exists(ours):
        engine_cmd = [ours]
    print("engines: " + (ours if engine_cmd else "Debian's Python ipengine"))
    with tempfile.TemporaryDirectory(prefix="ipp-demo-") as tmp:
        profile = os.path.join(tmp, "profile_demo")
        cluster = LocalCluster([os.path.join(build, "ipcontroller")], profile, engine_cmd=engine_cmd)
        try:
            t0 = time.monotonic()
            cluster.start_controller()
            print(f"controller up: {cluster.client_file}")
            cluster.start_engines(n_engines)
            rc = cluster.client(n_engines=n_engines, timeout=60)
            print(f"{len(rc.ids)} engines ready after {time.monotonic() - t0:.1f}s: ids {rc.ids}")

            dv = rc[:]
            pids = dv.apply_sync(os.getpid)
            print(f"engine pids: {pids}")

            lv = rc.load_balanced_view()
            t0 = time.monotonic()
            samples = 200_000
            hits = lv.map_sync(estimate_pi, [samples] * 32)
            pi = 4.0 * sum(hits) / (samples * 32)
            print(f"pi ~= {pi:.5f} from {samples * 32:,} samples in 32 load-balanced tasks "
                  f"({time.monotonic() - t0:.2f}s)")

            dv.scatter("chunk", list(range(1000)), block=True)
            dv.execute("partial = sum(x * x for x in chunk)", block=True)
            total = sum(dv.gather("partial", block=True))
            print(f"sum of squares 0..999 via scatter/execute/gather = {total} "
                  f"(expected {sum(x * x for x in range(1000))})")

            t0 = time.monotonic()
            n = 2000
            ars = [lv.apply_async(lambda: None) for _ in range(n)]
            for ar in ars:
                ar.get()
            dt = time.monotonic() - t0
            print(f"{n} no-op tasks through the task scheduler: {n / dt:,.0f} tasks/s")

            status = rc.queue_status()
            done = sum(v["completed"] for k, v in status.items() if k != "unassigned")
            print(f"queue_status: {done} tasks completed, {status['unassigned']} unassigned")
            rc.shutdown(targets="all", hub=True, block=True)
            rc.close()
            cluster.controller.wait(timeout=15)
            print(f"controller exited with status {cluster.controller.returncode}")
            ok = abs(pi - 3.14159) < 0.01 and total == sum(x * x for x in range(1000))
            return 0 if ok and cluster.controller.returncode == 0 else 1
        finally:
            cluster.close()


if __name__ == "__main__":
    sys.exit(main())

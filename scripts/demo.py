# SPDX-License-Identifier: BSD-3-Clause
"""The main job: a real cluster doing real work.

`ipcluster start --daemonize` starts our ipcontroller and N of our engines
in a fresh profile on loopback and returns once they have registered; the
unmodified Python client (Debian's ipyparallel) finds the cluster through
its cluster file, runs real work, and `ipcluster stop` stops everything.
IPP_DEMO_ENGINE=python runs Debian's Python ipengine instead of ours.
"""
import os
import subprocess
import sys
import tempfile
import time

import ipyparallel as ipp  # noqa: E402


def estimate_pi(n):
    import random
    inside = 0
    for _ in range(n):
        x, y = random.random(), random.random()
        inside += x * x + y * y <= 1.0
    return inside


def running(pid):
    """Alive and not a zombie waiting for init to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def ipcluster(build, *args):
    args = [*args, "--profile=demo"]
    print("$ ipcluster " + " ".join(args), flush=True)
    return subprocess.run([os.path.join(build, "ipcluster"), *args], timeout=300).returncode


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    n_engines = int(os.environ.get("IPP_DEMO_ENGINES", "4"))
    start = ["start", f"-n={n_engines}", "--daemonize"]
    if os.environ.get("IPP_DEMO_ENGINE", "ours") == "python":
        start.append("--LocalEngineSetLauncher.engine_cmd=['/usr/bin/python3', '-m', 'ipyparallel.engine']")
    with tempfile.TemporaryDirectory(prefix="ipp-demo-") as tmp:
        os.environ["IPYTHONDIR"] = tmp
        t0 = time.monotonic()
        if ipcluster(build, *start) != 0:
            return 1
        pids, ok = [], False
        try:
            cluster = ipp.Cluster.from_file(profile="demo")
            print(f"cluster file: {cluster.cluster_file}")
            rc = cluster.connect_client_sync()
            rc.wait_for_engines(n_engines, timeout=60)
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
            rc.close()
            ok = abs(pi - 3.14159) < 0.01 and total == sum(x * x for x in range(1000))
        finally:
            stopped = ipcluster(build, "stop") == 0
        left = [p for p in pids if running(p)]
        print("stopped: no engine process left" if not left else f"engine processes left: {left}")
        return 0 if ok and stopped and not left else 1


if __name__ == "__main__":
    sys.exit(main())

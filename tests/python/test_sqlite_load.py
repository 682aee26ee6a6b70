# SPDX-License-Identifier: BSD-3-Clause
"""100,000 tasks through our controller with --sqlitedb: every record is in
the file, and the controller's memory stays flat while they accumulate.

Each task returns 1 KiB, so keeping results (or records) in memory would
cost at least 100 MB; the bound below allows a small fraction of that.
The tasks are real (our engines run them); the submitter speaks the wire
protocol with raw zmq (raw_submitter.py) because the Python Client's
per-task bookkeeping would take minutes for 100,000 tasks.
"""
import os
import sqlite3
import time

import pytest

from cluster_fixtures import LocalCluster
from raw_submitter import RawSubmitter

pytestmark = pytest.mark.timeout(300)

TASKS = 100_000


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_100k_tasks_flat_memory(tmp_path, bin_path):
    # Log level WARN: at INFO the hub writes three lines per task (as hub.py).
    c = LocalCluster([bin_path("ipcontroller")], tmp_path / "profile_load", engine_cmd=[bin_path("ipengine")],
                     controller_args=["--sqlitedb"], log_level=30)
    try:
        c.start_controller()
        c.start_engines(2)
        c.client(n_engines=2).close()
        rss = {}
        started = time.monotonic()
        submitter = RawSubmitter(c.client_file, bytes, (1024,))  # bytes(1024): a 1 KiB result
        try:
            submitter.run(TASKS, on_progress=lambda n: rss.__setitem__(n, rss_mib(c.controller.pid)),
                          progress_every=10_000, timeout=240)
        finally:
            submitter.close()
        took = time.monotonic() - started
        print(f"\n{TASKS} tasks in {took:.1f} s ({TASKS / took:.0f}/s); controller RSS (MiB) by tasks done: "
              + ", ".join(f"{n // 1000}k={v:.0f}" for n, v in sorted(rss.items())))
        assert set(submitter.replies.values()) == {"ok"}
        assert len(submitter.replies) == TASKS

        # Flat: per 10,000 tasks of the second half, the typical (median)
        # growth is a few MiB at most -- keeping the 1 KiB results would add
        # 10 MiB per 10,000 tasks, and the bookkeeping before it was bounded
        # added 8. The median ignores a one-off step (a new malloc arena
        # or a transient queue when the shared machine is busy).
        marks = sorted(rss)
        steps = sorted(rss[b] - rss[a] for a, b in zip(marks, marks[1:]) if a >= TASKS // 2)
        median = steps[len(steps) // 2]
        assert median < 4, f"controller RSS grows {median:.1f} MiB per 10,000 tasks: {rss}"
        assert rss[TASKS] < 200, rss

        # Every record is in the file, with its result, within a batch or two.
        deadline = time.monotonic() + 10
        db = sqlite3.connect(f"file:{c.profile_dir}/tasks.db?mode=ro", uri=True)
        try:
            while True:
                done = db.execute("SELECT count(*) FROM 'ipython-tasks' WHERE completed IS NOT NULL "
                                  "AND result_buffers IS NOT NULL").fetchone()[0]
                if done == TASKS or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert done == TASKS
            assert db.execute("SELECT count(*) FROM 'ipython-tasks'").fetchone()[0] == TASKS
        finally:
            db.close()
        assert os.path.getsize(f"{c.profile_dir}/tasks.db") > TASKS * 1024
    finally:
        c.close()

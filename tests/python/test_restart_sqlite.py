# SPDX-License-Identifier: BSD-3-Clause
"""`ipcontroller --sqlitedb --restore` after the controller was SIGKILLed.

What a user checks after a crash and restart: the same connection files
(ports, key) still work, the engines that were connected are there with
their ids (an engine that died meanwhile goes away on its own), every
result completed before the kill can be fetched by msg_id from a new
client, and no msg_id is lost -- unfinished ones are in the database and
can be resubmitted.
"""
import json
import os
import pickle
import signal
import sqlite3
import time

import ipyparallel as ipp
import pytest

from cluster_fixtures import LocalCluster, wait_for

pytestmark = pytest.mark.timeout(180)


@ipp.interactive
def square(x):
    return x * x


@ipp.interactive
def slow(x, seconds):
    import time
    time.sleep(seconds)
    return x


@ipp.interactive
def pid():
    import os
    return os.getpid()


@ipp.interactive
def doubled(a):
    return a * 2


def read(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.parametrize("engine", ["python", "ours"])
def test_sigkill_then_restore(tmp_path, bin_path, engine):
    engine_cmd = None if engine == "python" else [bin_path("ipengine")]
    c = LocalCluster([bin_path("ipcontroller")], tmp_path / "profile_restart", engine_cmd=engine_cmd,
                     controller_args=["--sqlitedb", "--restore"])
    try:
        c.start_controller()
        c.start_engines(2)
        rc = c.client(n_engines=2)
        # Engine 2 has no nanny (which would unregister it when it dies):
        # only the heart monitor can notice it is gone after the restart.
        c.start_engines(1, extra=["--IPEngine.enable_nanny=False"])
        rc.wait_for_engines(3, timeout=30)
        pids = dict(zip(rc.ids, rc[:].apply_sync(pid)))
        lb = rc.load_balanced_view()
        done = {}
        for i in range(30):
            ar = lb.apply_async(square, i)
            done[ar.msg_ids[0]] = i * i
        for i in rc.ids:
            ar = rc[i].apply_async(square, 100 + i)
            done[ar.msg_ids[0]] = (100 + i) ** 2
        for msg_id, value in done.items():
            assert rc.get_result(msg_id).get(timeout=30) == value
        time.sleep(0.3)  # more than one write batch (50 ms)

        # Mid-run: work on every engine and one task still queued.
        running = [lb.apply_async(slow, i, 2).msg_ids[0] for i in range(4)]
        direct = rc[0].apply_async(slow, "direct", 2).msg_ids[0]
        wait_for(lambda: sum(s["tasks"] for k, s in rc.queue_status().items() if k != "unassigned") >= 2,
                 10, "tasks to reach the engines")
        time.sleep(0.3)
        files = (read(c.client_file), read(c.engine_file))
        c.controller.send_signal(signal.SIGKILL)
        c.controller.wait(timeout=10)
        rc.close()
        dead = c.engines[2]
        dead.kill()  # engine 2 dies while the controller is down
        dead.wait(timeout=10)

        c.start_controller()
        assert (read(c.client_file), read(c.engine_file)) == files  # same ports and key
        rc = c.client()
        assert sorted(rc.ids) == [0, 1, 2]  # restored at once, without waiting for them
        # The heart monitor learned the restored hearts: the silent one goes.
        wait_for(lambda: sorted(rc.ids) == [0, 1], 30, "the dead engine to be dropped")
        assert dict(zip(rc.ids, rc[:].apply_sync(pid))) == {0: pids[0], 1: pids[1]}

        assert rc.get_result(list(done)).get(timeout=30) == list(done.values())
        status = rc.result_status(list(done))
        assert sorted(status["completed"]) == sorted(done) and status["pending"] == []
        history = set(rc.hub_history())
        assert set(done) | set(running) | {direct} <= history

        # The direct request ran on engine 0 across the restart: its reply
        # reached the new controller, which recorded it.
        assert rc.get_result(direct).get(timeout=30) == "direct"
        # Load-balanced tasks that were running on engines that survived:
        # their replies reached the new controller, which relayed and
        # recorded them (Python's drops them: they would stay unfinished).
        live = {rc._engines[i] for i in (0, 1)}
        ran_live = [r["msg_id"] for r in rc.db_query({"msg_id": {"$in": running}},
                                                     keys=["msg_id", "engine_uuid"])
                    if r["engine_uuid"] in live]
        assert ran_live
        wait_for(lambda: all(r["completed"] for r in rc.db_query({"msg_id": {"$in": ran_live}},
                                                                  keys=["completed"])),
                 30, "the late replies to be recorded")
        assert rc.get_result(ran_live).get(timeout=30) == [running.index(m) for m in ran_live]
        # The others (on the engine that died, or still queued in the
        # scheduler) are in the database, unfinished, and can be resubmitted.
        unfinished = [r["msg_id"] for r in rc.db_query({"msg_id": {"$in": running}, "completed": None},
                                                        keys=["msg_id"])]
        assert unfinished
        assert sorted(rc.resubmit(unfinished).get(timeout=30)) == \
            sorted(running.index(m) for m in unfinished)
        rc.close()
    finally:
        c.close()


def test_big_buffers_are_in_the_file_after_a_kill(tmp_path, bin_path):
    """Requests and results with big buffers (8 MiB arrays; a big request
    waits for its result to be written as one row) are in the file as
    Python's SQLiteDB stores them: after a SIGKILL and a restart, get_result
    returns the array, db_query the buffers, and pickle reads the column."""
    np = pytest.importorskip("numpy")
    profile = tmp_path / "profile_big"
    c = LocalCluster([bin_path("ipcontroller")], profile, engine_cmd=[bin_path("ipengine")],
                     controller_args=["--sqlitedb"])
    try:
        c.start_controller()
        c.start_engines(1)
        rc = c.client(n_engines=1)
        a = np.arange(1 << 20, dtype=np.float64)
        e0 = rc[rc.ids[0]]
        pushed = e0.push({"big": a}, block=False)
        pushed.get(timeout=60)
        applied = e0.apply_async(doubled, a)
        assert (applied.get(timeout=60) == 2 * a).all()
        ids = [pushed.msg_ids[0], applied.msg_ids[0]]
        time.sleep(0.5)  # completed records are written within a batch delay (50 ms)
        c.controller.send_signal(signal.SIGKILL)
        c.controller.wait(timeout=10)
        rc.close()
        for f in (c.client_file, c.engine_file):
            os.remove(f)  # the restart writes new ones (new ports)

        c.start_controller()
        rc = c.client()
        assert (rc.get_result(ids[1]).get(timeout=30) == 2 * a).all()
        records = {r["msg_id"]: r for r in rc.db_query({"msg_id": {"$in": ids}},
                                                         keys=["buffers", "result_buffers", "completed"])}
        assert records[ids[0]]["completed"] and records[ids[1]]["completed"]
        assert a.nbytes in [len(b) for b in records[ids[0]]["buffers"]]  # the pushed array
        assert a.nbytes in [len(b) for b in records[ids[1]]["buffers"]]  # the argument
        assert a.nbytes in [len(b) for b in records[ids[1]]["result_buffers"]]  # the result
        rc.close()
        with sqlite3.connect(profile / "tasks.db") as db:
            (blob,) = db.execute('SELECT result_buffers FROM "ipython-tasks" WHERE msg_id = ?',
                                 (ids[1],)).fetchone()
        assert a.nbytes in [len(b) for b in pickle.loads(blob)]
    finally:
        c.close()

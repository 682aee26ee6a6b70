# SPDX-License-Identifier: BSD-3-Clause
"""Our ipcontroller with the real Python client and Debian's Python engines."""
import os
import signal
import stat
import subprocess
import time

import ipyparallel as ipp
import pytest

from cluster_fixtures import LocalCluster, wait_for


# Functions run on engines must not refer to this module (engines cannot
# import it): @interactive makes them live in the engine's namespace.
@ipp.interactive
def double(x):
    return x * 2


@ipp.interactive
def square(x):
    return x ** 2


@ipp.interactive
def seven():
    return 7


@pytest.fixture
def cluster(tmp_path, bin_path):
    c = LocalCluster([bin_path("ipcontroller")], tmp_path / "profile_test")
    yield c
    c.close()


def test_connection_files_are_private_and_complete(cluster):
    cluster.start_controller()
    import json
    for path in (cluster.client_file, cluster.engine_file):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(cluster.client_file) as f:
        client = json.load(f)
    for key in ("ssh", "interface", "registration", "control", "mux", "task", "task_scheme",
                "iopub", "notification", "broadcast", "key", "pack", "unpack", "signature_scheme"):
        assert key in client


def test_python_engines_register_and_compute(cluster):
    cluster.start_controller()
    cluster.start_engines(2)
    rc = cluster.client(n_engines=2)
    try:
        assert sorted(rc.ids) == [0, 1]
        dv = rc[:]
        assert dv.apply_sync(double, 21) == [42, 42]
        lv = rc.load_balanced_view()
        assert lv.map_sync(square, range(20)) == [x ** 2 for x in range(20)]
        dv["a"] = 5
        assert dv["a"] == [5, 5]
        dv.execute("b = a + 1", block=True)
        assert dv.pull("b", block=True) == [6, 6]
        bv = rc.broadcast_view()
        assert bv.apply_sync(seven) == [7, 7]
        status = rc.queue_status()
        assert status["unassigned"] == 0
        assert set(k for k in status if k != "unassigned") == {0, 1}
    finally:
        rc.close()


def test_engine_registers_without_waiting_for_a_heartbeat_period(tmp_path, bin_path):
    """A heart that connects is pinged at once and its first pong completes
    the registration; Python's controller waits one or two periods (here
    60-120 s)."""
    c = LocalCluster([bin_path("ipcontroller")], tmp_path / "profile_test")
    try:
        # Not start_controller: it sets --ping=250.
        c.controller = subprocess.Popen(
            [bin_path("ipcontroller"), f"--profile-dir={c.profile_dir}", "--ping=60000"],
            stdout=c._log("controller.log"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(c.engine_file), 20, "the connection files")
        c.start_engines(1)
        rc = c.client(n_engines=1, timeout=45)
        try:
            assert rc[:].apply_sync(seven) == [7]
        finally:
            rc.close()
    finally:
        c.close()


def test_shutdown_hub_stops_controller_and_removes_files(cluster):
    cluster.start_controller()
    rc = cluster.client()
    rc.shutdown(hub=True)
    rc.close()
    cluster.controller.wait(timeout=10)
    assert cluster.controller.returncode == 0
    assert not os.path.exists(cluster.client_file)


def test_sigterm_exits_zero(cluster):
    cluster.start_controller()
    cluster.controller.send_signal(signal.SIGTERM)
    assert cluster.controller.wait(timeout=10) == 0
    assert not os.path.exists(cluster.engine_file)


def test_seed_003_manual_controller_and_engine_with_copied_file(tmp_path, bin_path):
    """Seed 003, "Starting the controller and engine on different hosts":
    `ipcontroller --ip="*"`, copy ipcontroller-engine.json to the engine
    host, `ipengine --file=...`, and the client file to the client host."""
    import json
    import shutil
    import subprocess
    c = LocalCluster([bin_path("ipcontroller")], tmp_path / "profile_host0",
                     controller_args=["--ip=*"])
    try:
        c.start_controller()
        with open(c.engine_file) as f:
            assert json.load(f)["interface"] == "tcp://*"
        engine_host = tmp_path / "host1"
        engine_host.mkdir()
        copied = shutil.copy(c.engine_file, engine_host / "ipcontroller-engine.json")
        env = dict(os.environ, IPYTHONDIR=str(engine_host / "ipython"))
        c.engines.append(subprocess.Popen(
            ["/usr/bin/python3", "-m", "ipyparallel.engine", f"--file={copied}"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL))
        client_copy = shutil.copy(c.client_file, tmp_path / "ipcontroller-client.json")
        rc = ipp.Client(client_copy, timeout=10)
        try:
            rc.wait_for_engines(1, timeout=30)
            assert rc[:].apply_sync(double, 4) == [8]
        finally:
            rc.close()
    finally:
        c.close()


def test_reuse_keeps_ports_and_key_across_restarts(tmp_path, bin_path):
    import json
    c = LocalCluster([bin_path("ipcontroller")], tmp_path / "profile_reuse", controller_args=["--reuse"])
    try:
        c.start_controller()
        with open(c.client_file) as f:
            first = json.load(f)
        c.controller.send_signal(signal.SIGTERM)
        assert c.controller.wait(timeout=10) == 0
        assert os.path.exists(c.client_file), "--reuse must leave the connection files in place"
        c.start_controller()
        with open(c.client_file) as f:
            second = json.load(f)
        assert second == first
        c.start_engines(1)
        rc = c.client(n_engines=1)
        try:
            assert rc[:].apply_sync(double, 1) == [2]
        finally:
            rc.close()
    finally:
        c.close()

# SPDX-License-Identifier: BSD-3-Clause
"""Our ipcluster with the real Python client and Debian's Python ipcluster:
start/stop/list/engines/clean, cluster files read both ways, and a process
table with nothing left behind."""
import json
import os
import signal
import subprocess
import time

import ipyparallel as ipp
import pytest

from ipcluster_fixtures import (FAST, PY, PYTHON_CONTROLLER, PYTHON_ENGINE, PYTHON_IPCLUSTER, cluster_file,
                                describe, kill_all, processes_mentioning, launched_pids, read_cluster_file, run, wait_gone)

pytestmark = pytest.mark.timeout(120)


@ipp.interactive
def where():
    import os
    return os.getpid(), os.getcwd()


@pytest.fixture
def ipcluster(bin_path, ipython_dir):
    """Runs our ipcluster; kills whatever a failed test left running."""
    exe = bin_path("ipcluster")
    started = []

    def run_ours(*args, timeout=90, check=None):
        return run([exe, *args], timeout=timeout, check=check)

    run_ours.exe = exe
    run_ours.started = started
    yield run_ours
    for f in (ipython_dir / "profile_default" / "security").glob("cluster-*.json"):
        try:
            kill_all(launched_pids(json.loads(f.read_text())))
        except ValueError:
            pass
    kill_all(started)


@pytest.fixture
def profile_dir(ipython_dir):
    return str(ipython_dir / "profile_default")


def assert_all_gone(pids):
    left = wait_gone(pids)
    assert not left, "processes left behind:\n" + describe(left)


def test_daemonized_cluster_is_used_listed_and_stopped_by_python(ipcluster, profile_dir):
    t0 = time.monotonic()
    p = ipcluster("start", "-n", "2", "--daemonize", *FAST, check=0)
    took = time.monotonic() - t0
    assert "Leaving cluster running: " + cluster_file(profile_dir) in p.stderr
    assert "2 of 2 engines registered" in p.stderr
    d = read_cluster_file(profile_dir)
    pids = launched_pids(d)
    assert len(pids) == 3
    assert d["controller"]["class"] == "local" and d["engines"]["class"] == "local"
    assert d["cluster"]["controller_args"] == ["--HeartMonitor.period=500"]

    # Python reads our file and connects: the engines are already up.
    cluster = ipp.Cluster.from_file(profile_dir=profile_dir)
    assert cluster.controller is not None and len(cluster.engines) == 1
    rc = cluster.connect_client_sync()
    try:
        assert len(rc.ids) == 2, f"engines not registered when --daemonize returned ({took:.1f}s)"
        results = rc[:].apply_sync(where)
        assert sorted(pid for pid, _ in results) == sorted(pids[1:])
    finally:
        rc.close()

    # Both list commands show it the same way.
    ours = ipcluster("list", check=0).stdout
    theirs = run(PYTHON_IPCLUSTER + ["list"], check=0).stdout
    assert ours == theirs
    assert ours.splitlines()[1].split() == ["default", "''", "True", "2", "Local"]

    run(PYTHON_IPCLUSTER + ["stop"], check=0, timeout=60)
    assert not os.path.exists(cluster_file(profile_dir))
    assert_all_gone(pids)


def test_python_started_cluster_is_listed_and_stopped_by_ours(ipcluster, profile_dir):
    run(PYTHON_IPCLUSTER + ["start", "-n", "1", "--daemonize", "--cluster-id=py"], check=0, timeout=60)
    try:
        d = read_cluster_file(profile_dir, "py")
        pids = launched_pids(d)
        listing = ipcluster("list", "-o", "json", check=0).stdout
        clusters = json.loads(listing)
        assert [c["cluster"]["cluster_id"] for c in clusters] == ["py"]
        assert clusters[0]["controller"]["state"]["pid"] == d["controller"]["state"]["pid"]
        t0 = time.monotonic()
        ipcluster("stop", "--cluster-id=py", check=0)
        assert time.monotonic() - t0 < 10
        assert not os.path.exists(cluster_file(profile_dir, "py"))
        assert_all_gone(pids)
    finally:
        if os.path.exists(cluster_file(profile_dir, "py")):
            run(PYTHON_IPCLUSTER + ["stop", "--cluster-id=py"], timeout=60)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_foreground_start_stops_everything_on_signal(ipcluster, tmp_path, profile_dir, sig):
    log = open(tmp_path / "fg.log", "w+")
    proc = subprocess.Popen([ipcluster.exe, "start", "-n", "2", *FAST], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    ipcluster.started.append(proc.pid)
    try:
        deadline = time.monotonic() + 60
        while "All 2 engines registered" not in open(log.name).read():
            assert proc.poll() is None, open(log.name).read()
            assert time.monotonic() < deadline, open(log.name).read()
            time.sleep(0.1)
        pids = launched_pids(read_cluster_file(profile_dir))
        # A second start of the same cluster is refused with status 10.
        assert ipcluster("start", "-n", "1").returncode == 10
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0, open(log.name).read()
        assert not os.path.exists(cluster_file(profile_dir))
        assert_all_gone(pids)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_stop_without_cluster_file_exits_11(ipcluster):
    p = ipcluster("stop", "--cluster-id=nothing")
    assert p.returncode == 11
    assert "cluster-nothing.json" in p.stderr


def test_engines_adds_a_set_to_a_running_cluster_and_stop_removes_all(ipcluster, profile_dir):
    ipcluster("start", "-n", "1", "--daemonize", *FAST, check=0)
    p = ipcluster("engines", "--n=2", "--daemonize", check=0)
    assert "2 of 2 engines registered" in p.stderr
    d = read_cluster_file(profile_dir)
    assert "controller" in d
    assert len(d["engines"]["sets"]) == 2
    assert sum(s["n"] for s in d["engines"]["sets"].values()) == 3
    pids = launched_pids(d)
    rc = ipp.Client(profile_dir=profile_dir)
    try:
        rc.wait_for_engines(3, timeout=30)
    finally:
        rc.close()
    assert "True          3 Local" in ipcluster("list", check=0).stdout
    ipcluster("stop", check=0)
    assert_all_gone(pids)


def test_engines_for_a_hand_started_controller(ipcluster, bin_path, profile_dir):
    # Seed 003: ipcontroller by hand, then `ipcluster engines --n=4` on a node.
    controller = subprocess.Popen([bin_path("ipcontroller"), f"--profile-dir={profile_dir}",
                                   "--HeartMonitor.period=500"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    ipcluster.started.append(controller.pid)
    try:
        client_file = os.path.join(profile_dir, "security", "ipcontroller-client.json")
        deadline = time.monotonic() + 20
        while not os.path.exists(client_file):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        p = ipcluster("engines", "--n=4", "--daemonize", check=0)
        assert "4 of 4 engines registered" in p.stderr
        pids = launched_pids(read_cluster_file(profile_dir))
        assert len(pids) == 4
        ipcluster("stop", check=0)
        assert_all_gone(pids)
        assert controller.poll() is None  # not ours to stop
    finally:
        controller.terminate()
        controller.wait(timeout=10)


def test_python_programs_through_controller_cmd_and_engine_cmd(ipcluster, profile_dir):
    p = ipcluster("start", "-n", "1", "--daemonize", "--cluster-id=pyprog",
                  f"--LocalControllerLauncher.controller_cmd={PYTHON_CONTROLLER!r}",
                  f"--LocalEngineSetLauncher.engine_cmd={PYTHON_ENGINE!r}", *FAST, check=0)
    assert "1 of 1 engines registered" in p.stderr
    d = read_cluster_file(profile_dir, "pyprog")
    pids = launched_pids(d)
    with open(f"/proc/{d['controller']['state']['pid']}/cmdline", "rb") as f:
        assert b"ipyparallel.controller" in f.read()
    ipcluster("stop", "--cluster-id=pyprog", check=0)
    assert_all_gone(pids)


def test_engine_that_exits_is_reported_with_its_log(ipcluster, tmp_path, profile_dir):
    bad = tmp_path / "bad_engine.sh"
    bad.write_text("#!/bin/sh\necho 'engine cannot start: no module named numpy' >&2\nexit 3\n")
    bad.chmod(0o755)
    p = ipcluster("start", "-n", "2", f"--LocalEngineSetLauncher.engine_cmd=['{bad}']", *FAST)
    assert p.returncode == 1
    assert "exited with status 3" in p.stderr
    assert "engine cannot start: no module named numpy" in p.stderr
    log = os.path.join(profile_dir, "log")
    logs = [f for f in os.listdir(log) if f.startswith("ipengine-")]
    assert logs and any(os.path.join(log, f) in p.stderr for f in logs)
    assert "Engines shut down early" in p.stderr
    assert not os.path.exists(cluster_file(profile_dir))
    left = processes_mentioning(profile_dir)
    assert not left, "processes left behind:\n" + describe(left)


def test_loopback_warning_for_engines_on_other_hosts(ipcluster):
    # mpiexec with a host file places engines on other hosts.
    args = ["start", "-n", "1", "--engines=mpi", "--MPILauncher.mpi_args=['--hostfile', '/nonexistent/hosts']",
            "--daemonize", *FAST]
    p = ipcluster(*args)
    assert "engines will be started on other hosts" in p.stderr
    assert "c.Cluster.controller_ip = '*'" in p.stderr
    assert "127.0.0.1" in p.stderr
    # The mpiexec failure itself is reported, with nothing left running.
    assert p.returncode == 1
    assert "mpiexec" in p.stderr or "hostfile" in p.stderr
    p = ipcluster(*args[:-2], "--ip=*", *FAST)
    assert "engines will be started on other hosts" not in p.stderr


def test_seed_001_mpi_profile(ipcluster, ipython_dir):
    # Seed 001: a profile whose ipcluster_config.py selects the MPI launchers
    # with the IPython 0.x names, then `ipcluster start -n 4 --profile=mpi`.
    ipcluster("profile", "create", "--profile=mpi", check=0)
    prof = str(ipython_dir / "profile_mpi")
    with open(os.path.join(prof, "ipcluster_config.py"), "a") as f:
        f.write("c.IPClusterEngines.engine_launcher_class = 'MPIEngineSetLauncher'\n"
                "c.IPClusterStart.controller_launcher_class = 'MPIControllerLauncher'\n")
    ipcluster("start", "-n", "2", "--profile=mpi", "--daemonize", *FAST, check=0)
    d = read_cluster_file(prof)
    assert d["controller"]["class"] == "mpi" and d["engines"]["class"] == "mpi"
    pids = launched_pids(d)
    rc = ipp.Cluster.from_file(profile_dir=prof).connect_client_sync()
    try:
        rc.wait_for_engines(2, timeout=30)

        @ipp.interactive
        def rank():
            from mpi4py import MPI
            return MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()
        assert sorted(rc[:].apply_sync(rank)) == [(0, 2), (1, 2)]
    finally:
        rc.close()
    assert "mpi              ''                               True          2 MPI" in \
        run(PYTHON_IPCLUSTER + ["list"], check=0).stdout
    ipcluster("stop", "--profile=mpi", check=0)
    assert_all_gone(pids)


def test_work_dir_ip_and_location(ipcluster, tmp_path, profile_dir):
    work = tmp_path / "work"
    work.mkdir()
    ipcluster("start", "-n", "1", "--daemonize", f"--work-dir={work}", "--ip=127.0.0.1", "--location=localhost",
              *FAST, check=0)
    d = read_cluster_file(profile_dir)
    assert d["cluster"]["controller_ip"] == "127.0.0.1" and d["cluster"]["controller_location"] == "localhost"
    with open(f"/proc/{d['controller']['state']['pid']}/cmdline", "rb") as f:
        argv = f.read().split(b"\0")
    assert b"--ip=127.0.0.1" in argv and b"--location=localhost" in argv and b"--cluster-id" in argv
    pids = launched_pids(d)
    rc = ipp.Client(profile_dir=profile_dir)
    try:
        rc.wait_for_engines(1, timeout=30)
        assert rc[:].apply_sync(where)[0][1] == str(work)
    finally:
        rc.close()
    ipcluster("stop", check=0)
    assert_all_gone(pids)


def test_clean_refuses_running_clusters_and_removes_files(ipcluster, profile_dir):
    ipcluster("start", "-n", "1", "--daemonize", *FAST, check=0)
    pids = launched_pids(read_cluster_file(profile_dir))
    p = ipcluster("clean")
    assert p.returncode == 1 and "still running" in p.stderr
    assert os.path.exists(cluster_file(profile_dir))
    ipcluster("stop", check=0)
    assert_all_gone(pids)
    open(os.path.join(profile_dir, "log", "ipengine-old.log"), "w").close()
    ipcluster("clean", check=0)
    assert os.listdir(os.path.join(profile_dir, "log")) == []
    assert not [f for f in os.listdir(os.path.join(profile_dir, "security")) if f.startswith("ipcontroller-")]


def test_profile_create_locate_list_and_start(ipcluster, ipython_dir):
    p = ipcluster("profile", "create", "--profile=mine", check=0)
    prof = ipython_dir / "profile_mine"
    assert p.stdout.strip() == str(prof)
    for name in ("ipcluster_config.py", "ipcontroller_config.py", "ipengine_config.py"):
        text = (prof / name).read_text()
        assert "c = get_config()" in text
    assert ipcluster("profile", "locate", "mine", check=0).stdout.strip() == str(prof)
    assert "    mine" in ipcluster("profile", "list", check=0).stdout
    assert ipcluster("profile", "locate", "nope").returncode == 1
    # The written files load without a warning, in ours and in Python's apps.
    with open(prof / "ipcluster_config.py", "a") as f:
        f.write("c.Cluster.n = 1\nc.Cluster.controller_args = ['--HeartMonitor.period=500']\n")
    p = ipcluster("start", "--profile=mine", "--daemonize", check=0)
    assert "WARNING" not in p.stderr, p.stderr
    assert "1 of 1 engines registered" in p.stderr
    pids = launched_pids(read_cluster_file(str(prof)))
    py = run(PYTHON_IPCLUSTER + ["list", "--profile=mine"], check=0)
    assert "mine" in py.stdout and "True" in py.stdout
    ipcluster("stop", "--profile=mine", check=0)
    assert_all_gone(pids)


def test_no_subcommand_and_unknown_launcher(ipcluster):
    p = ipcluster()
    assert p.returncode == 1 and "start" in p.stdout and "profile" in p.stdout
    p = ipcluster("start", "--engines=nosuch")
    assert p.returncode == 1
    assert "nosuch" in p.stderr and "sshproxy" in p.stderr


def test_daemonize_names_late_engines_after_engine_timeout(ipcluster, tmp_path, profile_dir):
    slow = tmp_path / "slow_engine.sh"
    slow.write_text("#!/bin/sh\nexec sleep 60\n")
    slow.chmod(0o755)
    p = ipcluster("start", "-n", "2", "--daemonize", "--Cluster.engine_timeout=3",
                  f"--LocalEngineSetLauncher.engine_cmd=['{slow}']", *FAST, check=0)
    assert "Only 0 of 2 engines registered after 3 s" in p.stderr
    assert "not registered yet: engine 1 (log: " + os.path.join(profile_dir, "log") in p.stderr
    pids = launched_pids(read_cluster_file(profile_dir))
    assert len(pids) == 3  # left running: they may still come
    ipcluster("stop", check=0)
    assert_all_gone(pids)


def test_foreground_engines_stop_on_ctrl_c_and_leave_the_controller(ipcluster, tmp_path, profile_dir):
    ipcluster("start", "-n", "1", "--daemonize", *FAST, check=0)
    first = launched_pids(read_cluster_file(profile_dir))
    log = open(tmp_path / "engines.log", "w+")
    proc = subprocess.Popen([ipcluster.exe, "engines", "--n=1"], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    ipcluster.started.append(proc.pid)
    try:
        deadline = time.monotonic() + 60
        while "All 1 engines registered" not in open(log.name).read():
            assert proc.poll() is None and time.monotonic() < deadline, open(log.name).read()
            time.sleep(0.1)
        d = read_cluster_file(profile_dir)
        assert len(d["engines"]["sets"]) == 2
        added = [p for p in launched_pids(d) if p not in first]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, open(log.name).read()
        assert_all_gone(added)
        d = read_cluster_file(profile_dir)
        assert len(d["engines"]["sets"]) == 1 and "controller" in d
    finally:
        if proc.poll() is None:
            proc.kill()
    ipcluster("stop", check=0)
    assert_all_gone(first)


def test_controller_alone_then_engines(ipcluster, profile_dir):
    p = ipcluster("start", "-n", "0", "--daemonize", *FAST, check=0)
    assert "controller runs alone" in p.stderr
    assert read_cluster_file(profile_dir)["engines"]["sets"] == {}
    ipcluster("engines", "-n", "1", "--daemonize", check=0)
    pids = launched_pids(read_cluster_file(profile_dir))
    assert len(pids) == 2
    ipcluster("stop", check=0)
    assert_all_gone(pids)


def test_list_shows_clusters_of_launchers_this_build_lacks(ipcluster, ipython_dir):
    # e.g. a Windows HPC cluster file: listed as written, with a warning.
    sec = ipython_dir / "profile_hpc" / "security"
    sec.mkdir(parents=True)
    (sec / "cluster-w.json").write_text(json.dumps({
        "cluster": {"cluster_id": "w", "profile_dir": str(sec.parent)},
        "controller": {"class": "winhpc", "state": {}},
        "engines": {"class": "winhpc", "sets": {"1": {"n": 3}}}}))
    p = ipcluster("list", check=0)
    assert p.stdout.splitlines()[1].split() == ["hpc", "w", "True", "3", "WindowsHPC"]
    assert "not checked" in p.stderr


def test_clean_logs_spares_other_running_clusters(ipcluster, profile_dir):
    ipcluster("start", "-n", "1", "--daemonize", "--cluster-id=a", *FAST, check=0)
    a = read_cluster_file(profile_dir, "a")
    logs = [a["controller"]["state"]["output_file"]] + \
        [e["output_file"] for s in a["engines"]["sets"].values() for e in s["engines"].values()]
    stale = os.path.join(profile_dir, "log", "ipengine-old-1-0.log")
    open(stale, "w").close()
    ipcluster("start", "-n", "1", "--daemonize", "--cluster-id=b", *FAST, check=0)  # --clean-logs defaults to True
    assert not os.path.exists(stale)
    assert all(os.path.exists(f) for f in logs)
    pids = launched_pids(a) + launched_pids(read_cluster_file(profile_dir, "b"))
    ipcluster("stop", "--all", check=0)
    assert_all_gone(pids)
    assert ipcluster("list", check=0).stdout.count("\n") == 1

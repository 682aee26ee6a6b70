# SPDX-License-Identifier: BSD-3-Clause
"""ipcluster's Slurm launchers against a real single-node Slurm.

tests/tools/slurm-local (a copy of the team's shared/tools/slurm-local)
starts munged, slurmctld and slurmd from Debian's slurm-wlm in a private
directory, on free ports, without touching /etc/slurm. Engines (and the
controller) then run as real Slurm jobs: sbatch, srun tasks with the job's
SLURM_* environment, scancel on `ipcluster stop`.

When Slurm cannot run here for a reason outside this project (not root,
packages not installable, daemons refused by the machine), the tests are
skipped with the tool's own explanation.
"""
import json
import os
import pathlib
import socket
import subprocess
import time

import ipyparallel as ipp
import pytest

from cluster_run import kill_mentioning, run, wait_until_gone

SLURM_LOCAL = pathlib.Path(__file__).resolve().parents[1] / "tools" / "slurm-local"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A running single-node Slurm; yields the environment that reaches it."""
    if os.geteuid() != 0:
        pytest.skip("slurm-local runs slurmctld/slurmd as root; these tests run as uid %d" % os.geteuid())
    d = tmp_path_factory.mktemp("slurm")
    env = dict(os.environ, SLURM_LOCAL_DIR=str(d / "slurm"), SLURM_LOCAL_LINK_ETC="0",
               SLURM_LOCAL_CTLD_PORT=str(free_port()), SLURM_LOCAL_SLURMD_PORT=str(free_port()),
               SLURM_LOCAL_TIMEOUT="60")
    try:
        r = subprocess.run([str(SLURM_LOCAL), "start"], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        subprocess.run([str(SLURM_LOCAL), "clean"], env=env, capture_output=True, timeout=120)
        pytest.skip("slurm-local start did not finish within 300 s (apt or the Slurm daemons hang here)")
    if r.returncode != 0:
        subprocess.run([str(SLURM_LOCAL), "clean"], env=env, capture_output=True, timeout=120)
        pytest.skip("Slurm cannot run on this machine; slurm-local start said:\n" + r.stderr[-3000:])
    for line in r.stdout.splitlines():
        if line.startswith("export SLURM_CONF="):
            env["SLURM_CONF"] = line.split("=", 1)[1]
    assert "SLURM_CONF" in env, r.stdout
    yield env
    subprocess.run([str(SLURM_LOCAL), "clean"], env=env, capture_output=True, text=True, timeout=120)


def squeue(env):
    r = subprocess.run(["squeue", "-h", "-o", "%i %j %T"], env=env, capture_output=True, text=True, timeout=30)
    return [line.split() for line in r.stdout.splitlines()]


@pytest.fixture
def cluster(slurm, tmp_path, build_dir):
    ipython = tmp_path / "ipython"
    work = tmp_path / "work"
    work.mkdir()
    env = dict(slurm, IPYTHONDIR=str(ipython))
    env.pop("IPP_CLUSTER_ID", None)

    class Cluster:
        root = tmp_path

        def profile(self, config):
            d = ipython / "profile_slurm"
            d.mkdir(parents=True)
            (d / "ipcluster_config.py").write_text(config)
            return d

        def ipcluster(self, *args, timeout=150):
            return run([str(build_dir / "ipcluster"), *args], env, work, timeout)

    yield Cluster()
    for job in squeue(slurm):
        subprocess.run(["scancel", job[0]], env=slurm, capture_output=True, timeout=30)
    kill_mentioning(str(tmp_path))


@ipp.interactive
def environment_variable(name):
    import os
    return os.environ.get(name)


def run_job(profile, n):
    """A job from the real Python client; returns each engine's SLURM_JOB_ID."""
    rc = ipp.Client(str(profile / "security" / "ipcontroller-client.json"), timeout=20)
    try:
        rc.wait_for_engines(n, timeout=60)
        assert rc.load_balanced_view().map_sync(pow, range(10), [3] * 10) == [i ** 3 for i in range(10)]
        return rc[:].apply_sync(environment_variable, "SLURM_JOB_ID")
    finally:
        rc.close()


def assert_stopped(cluster, profile, slurm):
    deadline = time.monotonic() + 30
    while squeue(slurm) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert squeue(slurm) == [], "Slurm jobs left after ipcluster stop"
    left = wait_until_gone(str(profile), 20)
    assert not left, f"processes left after ipcluster stop: {left}"
    assert not list((profile / "security").glob("cluster-*.json"))


@pytest.mark.timeout(240)
def test_engines_as_a_slurm_job(cluster, slurm):
    profile = cluster.profile("c.Cluster.engine_launcher_class = 'slurm'\n"
                              "c.SlurmLauncher.queue = 'debug'\n"
                              "c.SlurmEngineSetLauncher.timelimit = '10:00'\n")
    r = cluster.ipcluster("start", "--profile=slurm", "-n", "3", "--daemonize")
    assert r.returncode == 0, r.stdout
    assert "All 3 engines registered" in r.stdout, r.stdout

    state = json.loads((profile / "security" / "cluster-.json").read_text())
    assert state["engines"]["class"] == "slurm"
    (engine_set,) = state["engines"]["sets"].values()
    job_id = engine_set["job_id"]
    script = (cluster.root / "work" / "slurm_engine.sbatch").read_text()
    assert script.startswith("#!/bin/sh\n#SBATCH --ntasks=3\n#SBATCH --time=10:00\n#SBATCH --partition=debug\n"
                             "#SBATCH --job-name=ipy-engine-\nsrun ")
    assert [job_id, "ipy-engine-", "RUNNING"] in squeue(slurm)

    # the engines really are the job's srun tasks
    assert run_job(profile, 3) == [job_id] * 3

    r = cluster.ipcluster("stop", "--profile=slurm")
    assert r.returncode == 0, r.stdout
    assert_stopped(cluster, profile, slurm)


@pytest.mark.timeout(240)
def test_controller_and_engines_as_slurm_jobs(cluster, slurm):
    profile = cluster.profile("c.Cluster.controller_launcher_class = 'slurm'\n"
                              "c.Cluster.engine_launcher_class = 'ipyparallel.cluster.launcher.SlurmEngineSetLauncher'\n"
                              "c.Cluster.n = 2\n")
    r = cluster.ipcluster("start", "--profile=slurm", "--cluster-id=job", "--daemonize")
    assert r.returncode == 0, r.stdout
    state = json.loads((profile / "security" / "cluster-job.json").read_text())
    controller_job = state["controller"]["state"]["job_id"]
    names = {job[1]: job for job in squeue(slurm)}
    assert names["ipy-controller-job"][0] == controller_job
    assert names["ipy-controller-job"][2] == "RUNNING"
    assert "ipy-engine-job" in names

    rc = ipp.Client(str(profile / "security" / "ipcontroller-job-client.json"), timeout=20)
    try:
        rc.wait_for_engines(2, timeout=60)
        assert sorted(rc[:].apply_sync(environment_variable, "SLURM_PROCID")) == ["0", "1"]
    finally:
        rc.close()

    r = cluster.ipcluster("stop", "--profile=slurm", "--cluster-id=job")
    assert r.returncode == 0, r.stdout
    assert_stopped(cluster, profile, slurm)

# SPDX-License-Identifier: BSD-3-Clause
"""ipcluster's batch launchers with the profiles of seeds 001 and 003.

PBS, SGE, LSF and HTCondor cannot be installed here, so their commands are
the fakes in tests/fixtures/fake_batch: they record the script ipcluster
rendered and run it on this machine, so the controller and engines really
start, register and run a job from the real Python client; qdel/bkill/
condor_rm kill the job. (Slurm is real: test_ipcluster_slurm.py.)
"""
import json
import os
import pathlib
import shutil
import signal
import subprocess

import pytest

from cluster_run import kill_mentioning, processes_mentioning, run, wait_until_gone

FAKES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "fake_batch"
PY = "/usr/bin/python3"

# seed 001 ("IPython.parallel" era docs), verbatim but for the mpiexec path
SEED001_ENGINE_TEMPLATE = """\
#PBS -N ipython
#PBS -j oe
#PBS -l walltime=00:10:00
#PBS -l nodes={n/4}:ppn=4
#PBS -q {queue}
cd $PBS_O_WORKDIR
export PATH=$HOME/usr/local/bin
export PYTHONPATH=$HOME/usr/local/lib/python2.7/site-packages
mpiexec -n {n} ipengine --profile-dir={profile_dir}
"""
SEED001_CONTROLLER_TEMPLATE = """\
#PBS -N ipython
#PBS -j oe
#PBS -l walltime=00:10:00
#PBS -l nodes=1:ppn=4
#PBS -q {queue}
cd $PBS_O_WORKDIR
export PATH=$HOME/usr/local/bin
export PYTHONPATH=$HOME/usr/local/lib/python2.7/site-packages
ipcontroller --profile-dir={profile_dir}
"""
SEED001_CONFIG = """\
c.IPClusterStart.controller_launcher_class = 'PBSControllerLauncher'
c.IPClusterEngines.engine_launcher_class = 'PBSEngineSetLauncher'
c.PBSEngineSetLauncher.batch_template_file = "pbs.engine.template"
c.PBSControllerLauncher.batch_template_file = "pbs.controller.template"
c.PBSLauncher.queue = 'veryshort.q'
c.IPClusterEngines.n = 4
"""

# seed 003 (ipyparallel 7+ docs): the templates as strings in the config
SEED003_CONFIG = '''\
c.Cluster.controller_launcher_class = 'pbs'
c.Cluster.engine_launcher_class = 'pbs'
c.PBSEngineSetLauncher.batch_template = """\\
#PBS -N ipython-parallel  # set the name of the job (convenient)
#PBS -V  # export environment variables, required
#PBS -j oe  # merge stdout and error
#PBS -o {output_file}  # send output to a file
#PBS -l walltime=00:10:00  # max runtime 10 minutes
#PBS -l nodes={n//4}:ppn=4  # 4 processes per node
#PBS -q {queue}  # run on the specified queue

export PATH=$HOME/usr/local/bin:$PATH
mpiexec -n {n} {program_and_args}  # start the configured program
"""
c.PBSControllerLauncher.batch_template = """\\
#PBS -N ipython
#PBS -j oe
#PBS -o {output_file}
#PBS -l walltime=00:10:00
#PBS -l nodes=1:ppn=1
#PBS -q {queue}

export PATH=$HOME/usr/local/bin:$PATH
{program_and_args} # or ipcontroller --ip=*
"""
c.PBSLauncher.queue = 'veryshort.q'
c.Cluster.n = 4
'''


@pytest.fixture
def batch(tmp_path, build_dir):
    """A throwaway IPython dir, HOME and fake batch state; everything under tmp_path."""
    home = tmp_path / "home"
    local_bin = home / "usr" / "local" / "bin"
    local_bin.mkdir(parents=True)
    for prog in ("ipcontroller", "ipengine", "ipcluster"):
        (local_bin / prog).symlink_to(build_dir / prog)
    (local_bin / "mpiexec").symlink_to(shutil.which("mpiexec") or "/usr/bin/mpiexec")
    ipython = tmp_path / "ipython"
    ipython.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ)
    env.update(IPYTHONDIR=str(ipython), HOME=str(home), FAKE_BATCH_DIR=str(tmp_path / "fake-batch"),
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1",
               # mpiexec insists on finding its ssh agent even for local ranks
               OMPI_MCA_plm_rsh_agent=shutil.which("ssh") or "/usr/bin/ssh")
    env.pop("IPP_CLUSTER_ID", None)

    class Batch:
        root = tmp_path

        def profile(self, name, config):
            d = ipython / f"profile_{name}"
            d.mkdir()
            (d / "ipcluster_config.py").write_text(config)
            return d

        def env_for(self, system):
            e = dict(env)
            e["PATH"] = f"{FAKES / ('bin-' + system)}:{build_dir}:{env['PATH']}"
            return e

        def ipcluster(self, system, *args, timeout=120, extra_env=None):
            e = self.env_for(system)
            e.update(extra_env or {})
            return run([str(build_dir / "ipcluster"), *args], e, work, timeout)

        def python_ipcluster(self, system, *args, timeout=120):
            return run([PY, "-m", "ipyparallel.cluster", *args], self.env_for(system), work, timeout)

        def jobs(self):
            d = tmp_path / "fake-batch" / "jobs"
            return {p.name: json.loads((p / "job.json").read_text()) for p in d.iterdir()} if d.exists() else {}

        def job_script(self, job_id):
            return (tmp_path / "fake-batch" / "jobs" / job_id / "script").read_text()

    yield Batch()
    kill_mentioning(str(tmp_path))


def client_job(profile_dir, n):
    """A real job from the Python client: load-balanced map and a direct apply."""
    import ipyparallel as ipp
    rc = ipp.Client(str(profile_dir / "security" / "ipcontroller-client.json"), timeout=20)
    try:
        rc.wait_for_engines(n, timeout=60)
        assert rc.load_balanced_view().map_sync(pow, range(12), [2] * 12) == [i * i for i in range(12)]
        pids = rc[:].apply_sync(os.getpid)
        assert len(set(pids)) == n
        return pids
    finally:
        rc.close()


def assert_all_stopped(batch, profile_dir):
    left = wait_until_gone(str(batch.root), 20)
    assert not left, f"left running after ipcluster stop: {left}"
    assert not list((profile_dir / "security").glob("cluster-*.json"))
    for job_id, job in batch.jobs().items():
        assert job["state"] == "deleted", f"job {job_id} was not deleted: {job}"


@pytest.mark.timeout(150)
def test_seed001_pbs_profile_with_template_files(batch):
    profile = batch.profile("pbs", SEED001_CONFIG)
    (batch.root / "work" / "pbs.engine.template").write_text(SEED001_ENGINE_TEMPLATE)
    (batch.root / "work" / "pbs.controller.template").write_text(SEED001_CONTROLLER_TEMPLATE)

    r = batch.ipcluster("pbs", "start", "--profile=pbs", "--daemonize")
    assert r.returncode == 0, r.stdout
    assert "All 4 engines registered" in r.stdout

    jobs = batch.jobs()
    assert len(jobs) == 2
    controller_script = (batch.root / "work" / "pbs_controller").read_text()
    assert controller_script == SEED001_CONTROLLER_TEMPLATE.replace("{queue}", "veryshort.q").replace(
        "{profile_dir}", str(profile))
    engine_script = (batch.root / "work" / "pbs_engines").read_text()
    assert "#PBS -l nodes=1.0:ppn=4\n" in engine_script  # {n/4}: Python 3 division, as 7.1 renders it
    assert f"mpiexec -n 4 ipengine --profile-dir={profile}\n" in engine_script
    assert batch.job_script("101") == engine_script  # what qsub got
    assert oct((batch.root / "work" / "pbs_engines").stat().st_mode & 0o777) == "0o700"

    state = json.loads((profile / "security" / "cluster-.json").read_text())
    assert state["controller"]["class"] == "pbs"
    assert state["controller"]["state"]["job_id"] == "100"
    assert state["engines"]["class"] == "ipyparallel.cluster.launcher.PBSEngineSetLauncher"
    (engine_set,) = state["engines"]["sets"].values()
    assert engine_set["job_id"] == "101" and engine_set["n"] == 4 and engine_set["queue"] == "veryshort.q"
    assert engine_set["batch_template"] == SEED001_ENGINE_TEMPLATE

    client_job(profile, 4)

    r = batch.ipcluster("pbs", "stop", "--profile=pbs")
    assert r.returncode == 0, r.stdout
    assert_all_stopped(batch, profile)


@pytest.mark.timeout(150)
def test_seed003_pbs_profile_with_templates_in_config_and_ipcluster_engines(batch):
    profile = batch.profile("pbs", SEED003_CONFIG)
    r = batch.ipcluster("pbs", "start", "--profile=pbs", "--daemonize")
    assert r.returncode == 0, r.stdout
    state = json.loads((profile / "security" / "cluster-.json").read_text())
    (engine_set,) = state["engines"]["sets"].values()
    output_file = engine_set["output_file"]
    assert output_file.startswith(str(profile / "log" / "ipengine-"))
    script = (batch.root / "work" / "pbs_engines").read_text()
    assert f"#PBS -o {output_file}  # send output to a file\n" in script
    assert "#PBS -l nodes=1:ppn=4  # 4 processes per node\n" in script
    # the job's output went to {output_file}: our engines log there
    assert "Completed registration" in pathlib.Path(output_file).read_text()

    # seed 003: "ipcluster engines --n=4" adds engines to the running cluster
    r = batch.ipcluster("pbs", "engines", "--profile=pbs", "--n=2", "--daemonize")
    assert r.returncode == 0, r.stdout
    state = json.loads((profile / "security" / "cluster-.json").read_text())
    assert sorted(s["n"] for s in state["engines"]["sets"].values()) == [2, 4]
    client_job(profile, 6)

    r = batch.ipcluster("pbs", "stop", "--profile=pbs")
    assert r.returncode == 0, r.stdout
    assert_all_stopped(batch, profile)
    assert len(batch.jobs()) == 3


@pytest.mark.timeout(150)
@pytest.mark.parametrize("system,engines,controller", [
    ("sge", "sge", "sge"),
    ("lsf", "ipyparallel.cluster.launcher.LSFEngineSetLauncher", "local"),
    ("htcondor", "HTCondor", "htcondor"),
])
def test_default_templates(batch, system, engines, controller):
    profile = batch.profile("batch", "c.BatchSystemLauncher.queue = 'short'\n")
    r = batch.ipcluster(system, "start", "--profile=batch", "-n", "2", f"--engines={engines}",
                        f"--controller={controller}", "--daemonize")
    assert r.returncode == 0, r.stdout
    jobs = batch.jobs()
    engine_job = jobs[max(jobs, key=int)]
    assert engine_job["n"] == 2  # job array of 2 from the inserted line
    script = batch.job_script(engine_job["id"])
    if system == "sge":
        assert script.startswith("#$ -V\n#$ -t 1-2\n#$ -q short\n#$ -S /bin/sh\n#$ -N ipengine\n")
    elif system == "lsf":
        assert script.startswith("#!/bin/sh\n#BSUB -J ipengine[1-2]\n#BSUB -q short\n")
        assert engine_job["script_path"] is None  # bsub < script
    else:
        assert script.endswith("\nqueue 2")
        assert "executable      = ipengine\n" in script
    client_job(profile, 2)
    r = batch.ipcluster(system, "stop", "--profile=batch")
    assert r.returncode == 0, r.stdout
    assert_all_stopped(batch, profile)


@pytest.mark.timeout(120)
def test_python_ipcluster_stops_ours_and_ours_stops_pythons(batch):
    profile = batch.profile("pbs", "c.Cluster.controller_launcher_class = 'pbs'\n"
                                   "c.Cluster.engine_launcher_class = 'ipyparallel.cluster.launcher.PBSEngineSetLauncher'\n")
    r = batch.ipcluster("pbs", "start", "--profile=pbs", "-n", "2", "--daemonize")
    assert r.returncode == 0, r.stdout
    r = batch.python_ipcluster("pbs", "stop", "--profile=pbs")
    assert r.returncode == 0, r.stdout
    assert_all_stopped(batch, profile)

    # Python's 7.1 ipcluster starts (its controller and engines), ours stops.
    # Its engines start while its controller may still be importing (a busy
    # machine): let them wait for the connection file longer than 10 s.
    (profile / "ipengine_config.py").write_text("c.IPEngine.wait_for_url_file = 60\n")
    r = batch.python_ipcluster("pbs", "start", "--profile=pbs", "--n=2", "--daemonize")
    assert r.returncode == 0, r.stdout
    client_job(profile, 2)
    r = batch.ipcluster("pbs", "stop", "--profile=pbs")
    assert r.returncode == 0, r.stdout
    assert_all_stopped(batch, profile)


@pytest.mark.timeout(120)
def test_foreground_ctrl_c_deletes_the_jobs(batch, build_dir):
    profile = batch.profile("fg", "c.Cluster.engine_launcher_class = 'lsf'\n")
    p = subprocess.Popen([str(build_dir / "ipcluster"), "start", "--profile=fg", "-n", "2"],
                         env=batch.env_for("lsf"), cwd=batch.root / "work", stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    try:
        for line in p.stdout:
            output.append(line)
            if "All 2 engines registered" in line:
                break
        client_job(profile, 2)
        p.send_signal(signal.SIGINT)
        rest, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    output.append(rest)
    assert p.returncode == 0, "".join(output)
    assert "Stopped job 100" in rest
    assert_all_stopped(batch, profile)


def assert_failed_cleanly(batch, profile, r, *needles):
    assert r.returncode != 0, r.stdout
    for needle in needles:
        assert needle in r.stdout
    assert not wait_until_gone(str(batch.root), 20), "processes left after the failed start"
    assert not list((profile / "security").glob("cluster-*.json"))


@pytest.mark.timeout(60)
def test_missing_template_variable(batch):
    profile = batch.profile("bad", "c.PBSEngineSetLauncher.batch_template = "
                                   "'#PBS -l walltime={walltime}\\n{program_and_args}\\n'\n")
    r = batch.ipcluster("pbs", "start", "--profile=bad", "-n", "2", "--engines=pbs", "--daemonize")
    assert_failed_cleanly(batch, profile, r, "PBSEngineSetLauncher.batch_template, line 1",
                          "name 'walltime' is not defined")
    assert batch.jobs() == {}


@pytest.mark.timeout(60)
def test_missing_template_variable_in_controller_template(batch):
    profile = batch.profile("bad", "c.PBSControllerLauncher.batch_template = '{program_and_args} --x={nodes}\\n'\n")
    r = batch.ipcluster("pbs", "start", "--profile=bad", "-n", "2", "--controller=pbs", "--daemonize")
    assert_failed_cleanly(batch, profile, r, "PBSControllerLauncher.batch_template", "name 'nodes' is not defined")
    assert batch.jobs() == {}


@pytest.mark.timeout(60)
def test_failing_submit_command(batch):
    profile = batch.profile("bad", "")
    r = batch.ipcluster("pbs", "start", "--profile=bad", "-n", "2", "--engines=pbs", "--daemonize",
                        extra_env={"FAKE_BATCH_SUBMIT_FAIL": "qsub: Unknown queue MSG=requested queue not found"})
    assert_failed_cleanly(batch, profile, r, "PBSEngineSetLauncher.submit_command",
                          "requested queue not found")


@pytest.mark.timeout(60)
def test_submit_command_without_job_id(batch):
    profile = batch.profile("bad", "c.SGELauncher.submit_command = ['/bin/sh', '-c', 'echo submitted']\n")
    r = batch.ipcluster("sge", "start", "--profile=bad", "-n", "2", "--engines=sge", "--daemonize")
    assert_failed_cleanly(batch, profile, r, "no job id in the output of", "SGEEngineSetLauncher.job_id_regexp")


@pytest.mark.timeout(60)
def test_unknown_launcher(batch):
    profile = batch.profile("bad", "")
    r = batch.ipcluster("pbs", "start", "--profile=bad", "--engines=nosuch", "--daemonize")
    assert_failed_cleanly(batch, profile, r, "Cluster.engine_launcher_class", "nosuch")

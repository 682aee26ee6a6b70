# SPDX-License-Identifier: BSD-3-Clause
"""ipcluster's SSH launchers against real OpenSSH servers on "hosts" made of
network namespaces (ssh_hosts.py), sharing this file system as a cluster
with a shared home does (seed 000). The engines are our ipengine, the
controller ours; the client is Debian's ipyparallel, and Debian's
`ipcluster list` reads the cluster files we write."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import ipyparallel as ipp
import pytest

from cluster_fixtures import PY, wait_for
from ssh_hosts import SshHosts, skip_reason

pytestmark = pytest.mark.timeout(240)

HOSTS = ["cl-0", "cl-1", "cl-2", "cl-3", "cl-4"]


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    h = SshHosts(tmp_path_factory.mktemp("hosts"), HOSTS)
    yield h
    h.close()


class Site:
    """A user's side: HOME with ~/.ssh/config naming the hosts, an IPython
    directory (beside HOME, so the remote profile path is the same
    absolute path on every host), and ipcluster run as the user would."""

    def __init__(self, tmp_path, hosts, build_dir, extra_hosts=()):
        self.hosts = hosts
        self.home = tmp_path / "home"
        (self.home / ".ssh").mkdir(parents=True)
        self.ssh_config = hosts.ssh_config(str(self.home / ".ssh" / "config"), extra_hosts)
        self.ipython_dir = tmp_path / "ipython"
        self.ipython_dir.mkdir()
        self.build = build_dir
        # Python's ipcluster runs the OpenSSH client, which reads the
        # password database's home, not $HOME: wrappers point it at our
        # config so it reaches the test's hosts (and never asks DNS for them).
        bindir = tmp_path / "bin"
        bindir.mkdir()
        for tool in ("ssh", "scp"):
            (bindir / tool).write_text(f'#!/bin/sh\nexec /usr/bin/{tool} -F {self.ssh_config} "$@"\n')
            (bindir / tool).chmod(0o755)
        self.env = dict(os.environ, HOME=str(self.home), IPYTHONDIR=str(self.ipython_dir),
                        PYTHONPATH=os.path.dirname(os.path.abspath(__file__)),
                        PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
        self.env.pop("SSH_AUTH_SOCK", None)
        self.procs = []

    def profile(self, name, ipcluster_config, ipcontroller_config=""):
        d = self.ipython_dir / f"profile_{name}"
        d.mkdir()
        (d / "ipcluster_config.py").write_text(ipcluster_config)
        if ipcontroller_config:
            (d / "ipcontroller_config.py").write_text(ipcontroller_config)
        return d

    def ipcluster(self, *args, timeout=120):
        return subprocess.run([str(self.build / "ipcluster"), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def start_foreground(self, *args, log):
        p = subprocess.Popen([str(self.build / "ipcluster"), "start", *args], env=self.env,
                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def client(self, profile, n, timeout=120):
        import ipyparallel as ipp
        old = os.environ.get("IPYTHONDIR")
        os.environ["IPYTHONDIR"] = str(self.ipython_dir)
        try:
            rc = ipp.Client(profile=profile, timeout=30)
            rc.wait_for_engines(n, timeout=timeout)
            return rc
        finally:
            if old is None:
                del os.environ["IPYTHONDIR"]
            else:
                os.environ["IPYTHONDIR"] = old

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


@pytest.fixture
def site(tmp_path, hosts, build_dir):
    s = Site(tmp_path, hosts, build_dir)
    yield s
    s.close()


@ipp.interactive
def _netns():
    import os
    return os.stat("/proc/self/ns/net").st_ino


@ipp.interactive
def _one():
    return 1


def engine_namespaces(rc):
    """The network namespace inode of every engine, i.e. the host it is on."""
    return rc[:].apply_sync(_netns)


def namespace_inode(hosts, name):
    return os.stat(f"/run/netns/{hosts.namespace[name]}").st_ino


def our_processes(marker):
    """Processes (anywhere) whose command line mentions `marker`."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf8", "replace")
        except OSError:
            continue
        if marker in cmd:
            out.append((int(pid), cmd))
    return out


def assert_nothing_left(hosts, names, marker):
    """No engine, controller or ipcluster of this test survives, on any host."""
    def clean():
        return not any(hosts.pids_in(n) for n in names) and not our_processes(marker)
    try:
        wait_for(clean, 20, "every process to end")
    except TimeoutError:
        left = {n: hosts.pids_in(n) for n in names}
        raise AssertionError(f"left running: {left} {our_processes(marker)}")


def python_ipcluster_list(site, profile):
    p = subprocess.run([PY, "-m", "ipyparallel.cluster", "list", f"--profile={profile}"],
                       env=site.env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


# --------------------------------------------------------------- seed 000 --

def test_seed_000_thirty_four_engines_on_five_hosts(site, hosts, tmp_path):
    """Seed 000: SSHEngineSetLauncher, shared file system (to_send/to_fetch
    empty), the engines dict built in a loop; 2 + 4 x 8 = 34 engines, all
    started (not capped by the CPU count: no -n given)."""
    ipengine = str(site.build / "ipengine")
    profile = site.profile("cluster", f"""
# ssh-based cluster
c.IPClusterEngines.engine_launcher_class = 'SSHEngineSetLauncher'
c.SSHLauncher.to_send = []
c.SSHLauncher.to_fetch = []

# connection management
c.IPControllerApp.reuse_files = True

# persistent store for jobs
c.HubFactory.db_class = 'SQLiteDB'

mcs = dict()
mcs['cl-0'] = {{ 'n': 2, 'engine_cmd': [ {ipengine!r} ] }}
for i in range(1, 5):
    mcs['cl-{{i}}'.format(i=i)] = {{ 'n': 8, 'engine_cmd': [ {ipengine!r} ] }}
c.SSHEngineSetLauncher.engines = mcs

# engines on other hosts need a controller they can reach
c.Cluster.controller_ip = '*'
c.Cluster.controller_location = {hosts.gateway['cl-0']!r}
""")
    t0 = time.monotonic()
    log = open(tmp_path / "ipcluster.log", "wb")
    p = site.start_foreground("--profile=cluster", log=log)
    rc = None
    try:
        rc = site.client("cluster", 34, timeout=150)
        started = time.monotonic() - t0
        inodes = engine_namespaces(rc)
        per_host = {n: inodes.count(namespace_inode(hosts, n)) for n in HOSTS}
        assert per_host == {"cl-0": 2, "cl-1": 8, "cl-2": 8, "cl-3": 8, "cl-4": 8}
        assert sorted(rc.ids) == list(range(34))

        # The cluster file, as Python's Cluster.to_dict() writes it.
        with open(profile / "security" / "cluster-.json") as f:
            d = json.load(f)
        assert d["engines"]["class"] == "ssh"
        (set_id, engine_set), = d["engines"]["sets"].items()
        assert engine_set["n"] == 34
        ids = set(engine_set["engines"])
        assert ids == {f"cl-0/{i}" for i in range(2)} | {f"cl-{h}/{i}" for h in range(1, 5) for i in range(8)}
        e = engine_set["engines"]["cl-3/7"]
        assert e["hostname"] == "cl-3" and e["pid"] > 0 and e["state"] == "running"
        assert e["remote_profile_dir"] == str(profile)
        # Debian's ipcluster and Cluster.from_file read it.
        listing = python_ipcluster_list(site, "cluster")
        assert "34" in listing and "SSH" in listing, listing
        loaded = subprocess.run(
            [PY, "-c", "import ipyparallel as ipp; c = ipp.Cluster.from_file(profile='cluster'); "
                       "(s,) = c.engines.values(); print(type(s).__name__, s.n, len(s.launchers))"],
            env=site.env, capture_output=True, text=True, timeout=60)
        assert loaded.stdout.split() == ["SSHEngineSetLauncher", "34", "34"], loaded.stderr
        print(f"34 engines registered {started:.1f} s after ipcluster start")
    finally:
        if rc is not None:
            rc.close()
        stop = site.ipcluster("stop", "--profile=cluster")
        assert stop.returncode == 0, stop.stderr
        assert p.wait(timeout=60) == 0
    assert not (profile / "security" / "cluster-.json").exists()
    assert_nothing_left(hosts, HOSTS, str(profile))


# --------------------------------------------------------------- seed 004 --

def test_seed_004_local_controller_ssh_engines(tmp_path, hosts, build_dir):
    """Seed 004 as written (IP, LOCALHOSTNAME and host1.example.com filled
    in through ~/.ssh/config): local controller on all interfaces with
    controller_location, SSHLauncher.hostname, engines on another host and
    on this one over ssh; connection files sent (to_send not set)."""
    local_name = socket.gethostname()
    s = Site(tmp_path, hosts, build_dir,
             extra_hosts=[("host1.example.com", hosts.address["cl-1"], 22),
                          (local_name, "127.0.0.1", hosts.head_port)])
    ip = hosts.gateway["cl-1"]
    profile = s.profile("snet", f"""
c.IPClusterEngines.engine_launcher_class = 'SSH'
c.IPClusterStart.controller_launcher_class = 'Local'
c.LocalControllerLauncher.controller_args = ["--ip=*"]
c.IPClusterStart.controller_location = '{ip}'
c.SSHLauncher.hostname = '{local_name}'
c.SSHEngineSetLauncher.engines = {{'host1.example.com' : 2, '{local_name}': 4}}
""", ipcontroller_config=f"c.HubFactory.client_ip = '{ip}'\n")
    log = open(tmp_path / "ipcluster.log", "wb")
    p = s.start_foreground('--profile=snet', log=log)
    rc = None
    try:
        rc = s.client("snet", 6, timeout=120)
        inodes = engine_namespaces(rc)
        assert inodes.count(namespace_inode(hosts, "cl-1")) == 2
        assert inodes.count(os.stat("/proc/self/ns/net").st_ino) == 4
        with open(profile / "security" / "cluster-.json") as f:
            sets = json.load(f)["engines"]["sets"]
        (engine_set,) = sets.values()
        assert set(engine_set["engines"]) == {"host1.example.com/0", "host1.example.com/1"} | {
            f"{local_name}/{i}" for i in range(4)}
    finally:
        if rc is not None:
            rc.close()
        stop = s.ipcluster("stop", "--profile=snet")
        assert stop.returncode == 0, stop.stderr
        assert p.wait(timeout=60) == 0
        s.close()
    assert_nothing_left(hosts, ["cl-1"], str(profile))


def test_every_engines_dict_form(site, hosts, tmp_path):
    """`n`, `(n, engine_args)`, a dict of SSHEngineLauncher traits, and a
    `user@host:port` key; identifiers are `<key>/<i>`; `-n 3` is an upper
    limit taken in dict order (the second engine of cl-2 is not started)."""
    key = f"{hosts.user}@cl-1:22"
    profile = site.profile("forms", f"""
c.Cluster.engine_launcher_class = 'ssh'
c.SSHEngineSetLauncher.engines = {{
    'cl-0': (1, ['--log-level=10']),
    {key!r}: 1,
    'cl-2': {{'n': 2, 'engine_args': ['--log-level=30'], 'remote_python': '/usr/bin/python3'}},
}}
c.Cluster.controller_ip = '*'
c.Cluster.controller_location = {hosts.gateway['cl-0']!r}
""")
    r = site.ipcluster("start", "--profile=forms", "--daemonize", "-n", "3", timeout=150)
    try:
        assert r.returncode == 0, r.stderr
        with open(profile / "security" / "cluster-.json") as f:
            (engine_set,) = json.load(f)["engines"]["sets"].values()
        engines = engine_set["engines"]
        assert set(engines) == {"cl-0/0", f"{key}/0", "cl-2/0"}
        assert engines[f"{key}/0"]["user"] == hosts.user
        assert engines[f"{key}/0"]["ssh_args"] == ["-p", "22"]
        assert engines["cl-2/0"]["remote_python"] == "/usr/bin/python3"
        wait_for(lambda: all(open(e["remote_output_file"]).read() for e in engines.values()), 30, "engine logs")
        # --log-level=10 shows debug lines ("Kernel: ..."), 30 hides info ones.
        wait_for(lambda: "Kernel:" in open(engines["cl-0/0"]["remote_output_file"]).read(), 30, "debug log")
        assert "Kernel:" not in open(engines[f"{key}/0"]["remote_output_file"]).read()
        assert "Completed registration" not in open(engines["cl-2/0"]["remote_output_file"]).read()
    finally:
        stop = site.ipcluster("stop", "--profile=forms")
        assert stop.returncode == 0, stop.stderr
    assert_nothing_left(hosts, ["cl-0", "cl-1", "cl-2"], str(profile))


# ------------------------------------------------- SSH controller, proxy --

def test_ssh_controller_launcher(site, hosts, tmp_path):
    """The controller on another host (SSHControllerLauncher.hostname); its
    connection files come back through to_fetch's default; local engines
    reach it at controller_location."""
    where = hosts.address["cl-2"]
    profile = site.profile("remotectl", f"""
c.Cluster.controller_launcher_class = 'ssh'
c.SSHControllerLauncher.hostname = 'cl-2'
c.SSHControllerLauncher.controller_args = ['--ip=*']
c.Cluster.controller_location = '{where}'
c.Cluster.n = 2
""")
    log = open(tmp_path / "ipcluster.log", "wb")
    p = site.start_foreground("--profile=remotectl", log=log)
    rc = None
    try:
        rc = site.client("remotectl", 2, timeout=90)
        assert rc[:].apply_sync(_one) == [1, 1]
        controller_pids = hosts.pids_in("cl-2")
        assert controller_pids, "no controller in cl-2"
        with open(profile / "security" / "cluster-.json") as f:
            ctl = json.load(f)["controller"]
        assert ctl["class"] == "ssh"
        assert ctl["state"]["hostname"] == "cl-2" and ctl["state"]["pid"] in controller_pids
    finally:
        if rc is not None:
            rc.close()
        stop = site.ipcluster("stop", "--profile=remotectl")
        assert stop.returncode == 0, stop.stderr
        assert p.wait(timeout=60) == 0
    assert_nothing_left(hosts, ["cl-2"], str(profile))


def test_ssh_proxy_engine_set(site, hosts, tmp_path):
    """SSHProxyEngineSetLauncher: `ipcluster engines -n 3` on cl-3 (our
    ipcluster there) in a profile configured for local engines."""
    remote_profile = site.profile("onnode", "c.Cluster.engine_launcher_class = 'local'\n")
    profile = site.profile("proxy", f"""
c.Cluster.engine_launcher_class = 'sshproxy'
c.SSHProxyEngineSetLauncher.hostname = 'cl-3'
c.SSHProxyEngineSetLauncher.remote_profile_dir = {str(remote_profile)!r}
c.Cluster.controller_ip = '*'
c.Cluster.controller_location = {hosts.gateway['cl-3']!r}
""")
    log = open(tmp_path / "ipcluster.log", "wb")
    p = site.start_foreground("--profile=proxy", "-n", "3", log=log)
    rc = None
    try:
        rc = site.client("proxy", 3, timeout=90)
        assert engine_namespaces(rc) == [namespace_inode(hosts, "cl-3")] * 3
        # The connection files were sent into the remote profile.
        assert (remote_profile / "security" / "ipcontroller-engine.json").exists()
    finally:
        if rc is not None:
            rc.close()
        stop = site.ipcluster("stop", "--profile=proxy")
        assert stop.returncode == 0, stop.stderr
        assert p.wait(timeout=60) == 0
    assert_nothing_left(hosts, ["cl-3"], str(profile))


# ---------------------------------------------------------------- errors --

@pytest.mark.parametrize("case", ["unreachable", "refused"])
def test_bad_host_fails_start_cleanly(site, hosts, tmp_path, case):
    """One host of the engines dict cannot be reached: ipcluster says which
    and why, exits non-zero, and nothing keeps running on any host."""
    if case == "unreachable":
        bad, reason = "cl-dead", "unreachable"
        with open(site.ssh_config, "a") as f:
            f.write(f"Host cl-dead\n  HostName {hosts.unreachable}\n")
        # (appended after "Host *": libssh and OpenSSH take the first value,
        # and HostName is not set there)
    else:
        bad, reason = "cl-4:2222", "connection refused"
    profile = site.profile("bad", f"""
c.Cluster.engine_launcher_class = 'ssh'
c.SSHEngineSetLauncher.engines = {{'cl-0': 2, {bad!r}: 2}}
c.Cluster.controller_ip = '*'
c.Cluster.controller_location = {hosts.gateway['cl-0']!r}
""")
    t0 = time.monotonic()
    r = site.ipcluster("start", "--profile=bad", timeout=90)
    took = time.monotonic() - t0
    assert r.returncode != 0
    assert bad in r.stderr and reason in r.stderr, r.stderr
    assert took < 60
    assert not (profile / "security" / "cluster-.json").exists()
    assert_nothing_left(hosts, ["cl-0", "cl-4"], str(profile))


# ------------------------------------------------------ ipengine --ssh --

CLIENT_IN_NAMESPACE = r"""
import json, sys
import ipyparallel as ipp
rc = ipp.Client(sys.argv[1], timeout=30)
rc.wait_for_engines(1, timeout=90)
@ipp.interactive
def where():
    import os
    return os.stat("/proc/self/ns/net").st_ino
print(json.dumps(rc[:].apply_sync(where)))
rc.shutdown(targets="all", block=True)
rc.close()
"""


@pytest.mark.parametrize("controller", ["ours", "python"])
def test_engine_tunnel_to_controller_on_another_hosts_loopback(tmp_path, hosts, build_dir, controller):
    """The controller runs on cl-4 and listens only on cl-4's loopback; our
    engine, on this machine, reaches it only through cl-4's sshd
    (--ssh/--sshkey). A client on cl-4 runs a task on it."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    profile = tmp_path / "profile_tunnel"
    profile.mkdir()
    ns = hosts.namespace["cl-4"]
    cmd = [str(build_dir / "ipcontroller")] if controller == "ours" else [PY, "-m", "ipyparallel.controller"]
    env = dict(os.environ, HOME=str(home))
    env.pop("SSH_AUTH_SOCK", None)
    procs = []
    try:
        ctl = subprocess.Popen(["ip", "netns", "exec", ns, *cmd, f"--profile-dir={profile}", "--ip=127.0.0.1"],
                               env=env, stdout=open(tmp_path / "controller.log", "wb"), stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
        procs.append(ctl)
        engine_file = profile / "security" / "ipcontroller-engine.json"
        client_file = profile / "security" / "ipcontroller-client.json"
        wait_for(lambda: ctl.poll() is not None or (engine_file.exists() and client_file.exists()), 30,
                 "the controller's files")
        assert ctl.poll() is None, (tmp_path / "controller.log").read_text()
        engine = subprocess.Popen([str(build_dir / "ipengine"), f"--profile-dir={profile}",
                                   f"--ssh={hosts.user}@{hosts.address['cl-4']}", f"--sshkey={hosts.key}"],
                                  env=env, stdout=open(tmp_path / "engine.log", "wb"), stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        procs.append(engine)
        client = subprocess.run(["ip", "netns", "exec", ns, PY, "-c", CLIENT_IN_NAMESPACE, str(client_file)],
                                env=env, capture_output=True, text=True, timeout=150)
        assert client.returncode == 0, client.stderr + (tmp_path / "engine.log").read_text()
        # The engine ran here, not in cl-4's namespace.
        assert json.loads(client.stdout.strip().splitlines()[-1]) == [os.stat("/proc/self/ns/net").st_ino]
        assert engine.wait(timeout=30) == 0
        assert "Tunneling connections to the controller" in (tmp_path / "engine.log").read_text()
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    assert_nothing_left(hosts, ["cl-4"], str(profile))

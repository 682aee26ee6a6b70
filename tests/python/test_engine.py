# SPDX-License-Identifier: BSD-3-Clause
"""Our ipengine with the real Python client, against Debian's Python
controller (and ours, once it serves engines: the `ours` parameter skips
itself while build/ipcontroller cannot start a controller)."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from cluster_fixtures import PY, LocalCluster, wait_for

PYTHON_CONTROLLER = [PY, "-m", "ipyparallel.controller"]


@pytest.fixture(params=["python", "ours"])
def controller_cmd(request, build_dir):
    if request.param == "python":
        return PYTHON_CONTROLLER
    p = build_dir / "ipcontroller"
    if not p.exists():
        pytest.skip("our ipcontroller is not built")
    return [str(p)]


@pytest.fixture
def cluster(tmp_path, ipython_dir, bin_path, controller_cmd, monkeypatch):
    # Functions defined in this module are pickled by reference: engines
    # import them from here, as ipyparallel's own suite imports its tests.
    monkeypatch.setenv("PYTHONPATH", os.path.dirname(os.path.abspath(__file__)))
    (tmp_path / "profile_test").mkdir()
    c = LocalCluster(controller_cmd, tmp_path / "profile_test", engine_cmd=[bin_path("ipengine")])
    try:
        c.start_controller()
    except (RuntimeError, TimeoutError) as e:
        c.close()
        if controller_cmd is not PYTHON_CONTROLLER:
            pytest.skip(f"our ipcontroller does not serve engines yet: {e}")
        raise
    yield c
    c.close()


def engine_log(cluster, i=0):
    with open(os.path.join(cluster.log_dir, f"engine{i}.log"), "rb") as f:
        return f.read().decode("utf8", "replace")


@pytest.fixture
def rc(cluster):
    cluster.start_engines(1)
    client = cluster.client(n_engines=1)
    yield client
    client.close()


def test_registration_is_logged(cluster, rc):
    assert rc.ids == [0]
    wait_for(lambda: "Completed registration with id 0" in engine_log(cluster), 10, "the log line")


def test_apply_direct_load_balanced_and_broadcast(rc):
    dv = rc[:]
    assert dv.apply_sync(lambda x, y=1: x * 2 + y, 20, y=2) == [42]
    lv = rc.load_balanced_view()
    assert lv.map_sync(lambda x: x ** 2, range(16)) == [x ** 2 for x in range(16)]
    assert rc.broadcast_view().apply_sync(lambda: 7) == [7]
    assert rc.broadcast_view(is_coalescing=True).apply_sync(lambda: 8) == [8]


def test_apply_runs_in_user_namespace(rc):
    dv = rc[0]
    dv["a"] = 5

    import ipyparallel as ipp

    @ipp.interactive
    def uses_global():
        global b
        b = a * 3  # noqa: F821 (user namespace)
        return b

    assert dv.apply_sync(uses_global) == 15
    assert dv["b"] == 15
    assert dv.apply_sync(lambda x: x + 1, ipp.Reference("b")) == 16
    # The temporary names of do_apply never stay behind.
    list_names = ipp.interactive(lambda: [k for k in globals() if k.endswith("_f")])
    assert len(dv.apply_sync(list_names)) == 1  # only the running request's


def test_push_pull_scatter_gather(rc):
    dv = rc[:]
    dv.push({"x": 1, "y": [1, 2, 3]}, block=True)
    assert dv.pull(("x", "y"), block=True) == [[1, [1, 2, 3]]]
    dv.scatter("s", list(range(10)), block=True)
    assert dv.gather("s", block=True) == list(range(10))
    data = bytes(range(256)) * 100  # above buffer_threshold: sent as a buffer
    dv["big"] = data
    assert dv["big"] == [data]


def test_execute_stdout_and_result(rc):
    dv = rc[:]
    ar = dv.execute("x = 5\nprint('out', x)\nx*2", silent=False, block=True)
    # The reply and the output travel on different sockets: clients wait
    # for `status: idle` before trusting the output.
    assert ar.wait_for_output(10)
    assert ar.stdout == ["out 5\n"]
    assert ar.execute_result[0]["data"]["text/plain"] == "10"
    assert ar.execute_result[0]["execution_count"] >= 1
    # magics go through IPython
    ar = dv.execute("%time y = 3", silent=False, block=True)
    assert dv["y"] == [3]


def test_execute_silent_has_no_result(rc):
    ar = rc[:].execute("z = 1\nz", block=True)
    assert ar.wait_for_output(10)
    assert ar.execute_result == [None]


def test_remote_errors(rc):
    import ipyparallel as ipp

    dv = rc[:]
    with pytest.raises(ipp.error.CompositeError) as info:
        dv.apply_sync(lambda: 1 / 0)
    err = info.value.elist[0]
    assert err[0] == "ZeroDivisionError"
    with pytest.raises(ipp.error.RemoteError) as info:
        rc[0].apply_sync(lambda: 1 / 0)
    assert info.value.ename == "ZeroDivisionError"
    assert info.value.engine_info["engine_id"] == 0
    assert info.value.engine_info["method"] == "apply"

    with pytest.raises(ipp.error.CompositeError) as info:
        dv.execute("raise ValueError('bad value')", block=True)
    assert info.value.elist[0][0] == "ValueError"
    assert "bad value" in info.value.elist[0][1]
    # the engine keeps serving
    assert dv.apply_sync(lambda: "alive") == ["alive"]


class RawClient:
    """A bare jupyter_client Session on the client-side mux and iopub
    sockets, to look at exactly what the engine sends."""

    def __init__(self, cluster):
        import zmq
        from jupyter_client.session import Session

        with open(cluster.client_file) as f:
            info = json.load(f)
        self.session = Session(key=info["key"].encode(),
                               signature_scheme=info["signature_scheme"])
        ctx = zmq.Context.instance()
        self.mux = ctx.socket(zmq.DEALER)
        self.mux.connect(f"{info['interface']}:{info['mux']}")
        self.iopub = ctx.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(f"{info['interface']}:{info['iopub']}")
        time.sleep(0.3)  # let the SUB subscription reach the relay

    def request(self, uuid, msg_type, content=None, buffers=None):
        return self.session.send(self.mux, msg_type, content or {}, ident=[uuid.encode()],
                                 buffers=buffers)

    def reply(self, timeout=10):
        assert self.mux.poll(timeout * 1000), "no reply"
        return self.session.recv(self.mux)[1]

    def iopub_until_idle(self, parent_id, timeout=10):
        msgs = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.iopub.poll(100):
                continue
            idents, msg = self.session.recv(self.iopub)
            if msg["parent_header"].get("msg_id") != parent_id:
                continue
            msgs.append((idents[0].decode(), msg))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return msgs
        raise AssertionError(f"no idle for {parent_id}: {msgs}")

    def close(self):
        self.mux.close(linger=0)
        self.iopub.close(linger=0)


@pytest.fixture
def raw(cluster, rc):
    r = RawClient(cluster)
    yield r
    r.close()


def test_apply_error_on_the_wire(rc, raw):
    from ipyparallel.serialize import pack_apply_message

    uuid = rc._engines[0]
    sent = raw.request(uuid, "apply_request", buffers=pack_apply_message(lambda: 1 / 0, (), {}))
    msg = raw.reply()
    assert msg["msg_type"] == "apply_reply"
    assert msg["parent_header"]["msg_id"] == sent["header"]["msg_id"]
    c = msg["content"]
    assert c["status"] == "error" and c["ename"] == "ZeroDivisionError"
    assert c["evalue"] == "division by zero"
    assert isinstance(c["traceback"], list) and c["traceback"]
    # the real id (newest behaviour; 7.1 sent -1) and the method
    assert c["engine_info"] == {"engine_uuid": uuid, "engine_id": 0, "method": "apply"}
    md = msg["metadata"]
    assert md["status"] == "error" and md["engine"] == uuid
    assert md["engine_info"] == {"engine_uuid": uuid, "engine_id": 0}
    assert md["dependencies_met"] is True
    for key in ("started", "is_broadcast", "is_coalescing", "original_msg_id"):
        assert key in md
    kinds = [m["msg_type"] for _, m in raw.iopub_until_idle(sent["header"]["msg_id"])]
    assert kinds[0] == "status" and "error" in kinds


def test_execute_iopub_order(rc, raw):
    uuid = rc._engines[0]
    sent = raw.request(uuid, "execute_request",
                       {"code": "x = 5\nprint('out', x)\nx*2", "silent": False,
                        "user_expressions": {}})
    msg = raw.reply()
    assert msg["msg_type"] == "execute_reply"
    assert msg["content"]["status"] == "ok"
    assert msg["content"]["execution_count"] >= 1
    msgs = raw.iopub_until_idle(sent["header"]["msg_id"])
    kinds = [m["msg_type"] for _, m in msgs]
    assert kinds == ["status", "execute_input", "stream", "execute_result", "status"]
    topics = [t for t, _ in msgs]
    assert topics == ["engine.0.status", "engine.0.execute_input", "engine.0.stdout",
                      "engine.0.execute_result", "engine.0.status"]
    assert msgs[2][1]["content"] == {"name": "stdout", "text": "out 5\n"}
    assert msgs[3][1]["content"]["data"]["text/plain"] == "10"


def test_stop_on_error_aborts_waiting_executes(rc):
    dv = rc[0]
    ar1 = dv.execute("import time; time.sleep(1); raise RuntimeError('x')", silent=False,
                     block=False)
    ar2 = dv.execute("a = 1", silent=False, block=False)
    with pytest.raises(Exception):
        ar1.get(timeout=10)
    with pytest.raises(Exception) as info:
        ar2.get(timeout=10)
    assert "Aborted" in type(info.value).__name__ or "aborted" in str(info.value).lower()


def test_abort_queued_task(rc):
    dv = rc[0]
    ar1 = dv.apply_async(lambda: __import__("time").sleep(1.5) or 1)
    ar2 = dv.apply_async(lambda: 2)
    rc.abort(ar2, block=True)
    assert ar1.get(timeout=10) == 1
    import ipyparallel as ipp

    try:
        r = ar2.get(timeout=10)
    except ipp.error.TaskAborted:
        pass
    else:
        assert isinstance(r, ipp.error.TaskAborted)
    assert dv.apply_sync(lambda: 3) == 3


def test_clear_namespace(rc):
    import ipyparallel as ipp

    dv = rc[:]
    # Blocking: `dv["gone"] = 1` is an asynchronous push (views default to
    # block=False), and a clear on the control channel may overtake it.
    dv.push({"gone": 1}, block=True)
    assert dv.pull("gone", block=True) == [1] * len(dv)
    rc.clear(block=True)
    with pytest.raises(ipp.error.CompositeError):
        dv.pull("gone", block=True)


def test_sigint_interrupts_running_task(rc):
    import ipyparallel as ipp

    dv = rc[0]
    ar = dv.apply_async(lambda: __import__("time").sleep(30))
    time.sleep(1)
    t0 = time.monotonic()
    rc.send_signal(signal.SIGINT, block=True)
    with pytest.raises(ipp.error.RemoteError) as info:
        ar.get(timeout=10)
    assert info.value.ename == "KeyboardInterrupt"
    assert time.monotonic() - t0 < 5
    assert dv.apply_sync(lambda: "still serving") == "still serving"
    # a signal name works too, and SIGINT between requests is ignored
    rc.send_signal("SIGINT", block=True)
    time.sleep(0.3)
    assert dv.apply_sync(lambda: 1) == 1


def test_gil_holding_task_keeps_heartbeat(cluster, rc):
    """PyDLL keeps the GIL during the C call: ten seconds at --ping=250 is 40
    beats, far beyond the controller's 10 allowed misses."""
    dv = rc[0]
    ar = dv.apply_async(lambda: __import__("ctypes").PyDLL(None).sleep(10))
    assert ar.get(timeout=30) == 0
    assert rc.ids == [0]
    assert dv.apply_sync(lambda: "alive") == "alive"
    assert "heart" not in cluster.controller_log().lower() or "stopped" not in cluster.controller_log()


def test_c_level_output_is_captured(rc):
    def noisy():
        import ctypes
        import os
        os.write(1, b"fd one\n")
        os.write(2, b"fd two\n")
        ctypes.CDLL(None).printf(b"printf %d\n", 42)
        os.system("echo from child")
        return 0

    ar = rc[0].apply_async(noisy)
    ar.get(timeout=10)
    assert ar.wait_for_output(10)
    assert "fd one\n" in ar.stdout
    assert "printf 42\n" in ar.stdout
    assert "from child\n" in ar.stdout
    assert ar.stderr == "fd two\n"


def pool_abs():
    import multiprocessing

    with multiprocessing.Pool(2) as pool:
        pool.map(print, range(3))
        return pool.map(abs, range(-3, 3))


def test_multiprocessing_pool_in_a_task(cluster, rc):
    """Forked workers inherit the engine's handlers and descriptors: their
    SIGTERM (Pool.terminate) must not stop the engine, and their output
    reaches the client through the captured descriptor."""
    ar = rc[0].apply_async(pool_abs)
    assert ar.get(timeout=60) == [3, 2, 1, 0, 1, 2]
    assert ar.wait_for_output(10)
    # Two workers print at once and print() writes the text and the newline
    # separately, so lines may interleave ("01\n\n2\n"); every character
    # must still arrive, once.
    assert sorted(ar.stdout.replace("\n", "")) == ["0", "1", "2"]
    assert ar.stdout.count("\n") == 3
    time.sleep(0.5)
    assert cluster.engines[0].poll() is None
    assert rc[0].apply_sync(lambda: "alive") == "alive"


def test_background_thread_output_goes_to_latest_request(rc):
    import ipyparallel as ipp

    @ipp.interactive
    def start_thread():
        import threading
        import time

        def later():
            time.sleep(0.5)
            print("from the thread")

        threading.Thread(target=later).start()

    ar1 = rc[0].apply_async(start_thread)
    ar1.get(timeout=10)
    ar2 = rc[0].apply_async(lambda: __import__("time").sleep(1.5))
    ar2.get(timeout=10)
    assert ar2.wait_for_output(10)
    # ipykernel: output uses the parent current when it is flushed
    assert ar2.stdout == "from the thread\n"


def test_display_and_datapub(rc):
    def disp():
        from IPython.display import HTML, display
        display(HTML("<b>hi</b>"))
        return 1

    ar = rc[0].apply_async(disp)
    ar.get(timeout=10)
    assert ar.wait_for_output(10)
    assert ar.outputs[0]["data"]["text/html"] == "<b>hi</b>"

    def pub():
        from ipyparallel.datapub import publish_data
        publish_data({"step": 1})
        return "done"

    ar = rc[0].apply_async(pub)
    assert ar.get(timeout=10) == "done"
    wait_for(lambda: ar.data == {"step": 1}, 5, "the data_message")


def test_kernel_info_and_unknown_request(rc, raw):
    uuid = rc._engines[0]
    raw.request(uuid, "bogus_request")
    raw.request(uuid, "kernel_info_request")
    msg = raw.reply()
    assert msg["msg_type"] == "kernel_info_reply"
    assert msg["content"]["status"] == "ok"
    assert msg["content"]["language_info"]["name"] == "python"
    assert msg["metadata"]["engine"] == uuid
    assert rc[0].apply_sync(lambda: 1) == 1


def test_unloadable_pickle_is_an_error_reply(rc, raw):
    uuid = rc._engines[0]
    raw.request(uuid, "apply_request", buffers=[b"not a pickle", b"nor this"])
    msg = raw.reply()
    assert msg["msg_type"] == "apply_reply"
    assert msg["content"]["status"] == "error"
    assert msg["content"]["engine_info"]["method"] == "apply"
    assert msg["metadata"]["status"] == "error"
    assert msg["metadata"]["engine"] == uuid
    assert rc[0].apply_sync(lambda: 1) == 1


def test_shutdown_exits_zero_and_unregisters(cluster, rc):
    rc.shutdown(targets=[0], block=True)
    assert cluster.engines[0].wait(timeout=10) == 0
    wait_for(lambda: rc.ids == [], 10, "the unregistration")


def test_sigterm_exits_zero(cluster, rc):
    cluster.engines[0].send_signal(signal.SIGTERM)
    assert cluster.engines[0].wait(timeout=10) == 0
    wait_for(lambda: rc.ids == [], 10, "the unregistration")


def test_sigkill_request_is_answered_before_death(cluster, rc):
    rc.send_signal(signal.SIGKILL, targets=[0], block=True)
    assert cluster.engines[0].wait(timeout=10) == -signal.SIGKILL
    # no nanny: the controller notices the silent heart (10 beats of 250 ms)
    wait_for(lambda: rc.ids == [], 20, "the engine's death")


def test_crash_in_user_code_is_engine_death(cluster, rc):
    rc[0].apply_async(lambda: __import__("os")._exit(3))
    assert cluster.engines[0].wait(timeout=10) == 3
    wait_for(lambda: rc.ids == [], 20, "the engine's death")


def test_controller_gone_engine_exits(cluster):
    cluster.start_engines(1, extra=["--IPEngine.max_heartbeat_misses=2"])
    cluster.client(n_engines=1).close()
    import psutil

    # The Python controller's heart monitor is a child process.
    procs = [cluster.controller.pid] + [
        c.pid for c in psutil.Process(cluster.controller.pid).children(recursive=True)]
    for pid in procs:
        os.kill(pid, signal.SIGKILL)
    cluster.controller.wait()
    assert cluster.engines[0].wait(timeout=20) == 0
    assert "Maximum number of heartbeats misses reached" in engine_log(cluster)


def test_startup_code_and_files(cluster, tmp_path):
    startup = tmp_path / "pystartup.py"
    startup.write_text("from_pythonstartup = 1\n")
    script = tmp_path / "script.py"
    script.write_text("from_script = 3\n")
    sdir = tmp_path / "profile_test" / "startup"
    sdir.mkdir(exist_ok=True)
    (sdir / "00-first.py").write_text("from_profile = 4\n")
    os.environ["PYTHONSTARTUP"] = str(startup)
    try:
        cluster.start_engines(1, extra=["-c", "from_command = 2", f"-s={script}"])
    finally:
        del os.environ["PYTHONSTARTUP"]
    rc = cluster.client(n_engines=1)
    try:
        got = rc[0].pull(["from_pythonstartup", "from_command", "from_script", "from_profile"],
                         block=True)
        assert got == [1, 2, 3, 4]
    finally:
        rc.close()


def test_connection_info_from_environment(cluster, tmp_path):
    with open(cluster.engine_file) as f:
        env = dict(os.environ, IPP_CONNECTION_INFO=f.read())
    (tmp_path / "elsewhere").mkdir()
    log = open(tmp_path / "envengine.log", "wb")
    p = subprocess.Popen([cluster.engine_cmd[0], f"--profile-dir={tmp_path / 'elsewhere'}",
                          "--IPEngine.wait_for_url_file=0"], env=env, stdout=log,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    cluster.engines.append(p)
    rc = cluster.client(n_engines=1)
    try:
        assert rc[:].apply_sync(lambda: 1) == [1]
    finally:
        rc.close()


def test_requested_id(cluster):
    cluster.start_engines(1, extra=["--IPEngine.id=5"])
    rc = cluster.client(n_engines=1)
    try:
        assert rc.ids == [5]
        assert rc[5].apply_sync(lambda: 5) == 5
    finally:
        rc.close()


def test_work_dir_ident_and_log_to_file(cluster, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    cluster.start_engines(1, extra=[f"--work-dir={work}", "--ident=0123abcd-engine",
                                    "--log-to-file"])
    rc = cluster.client(n_engines=1)
    try:
        assert rc._engines[rc.ids[0]] == "0123abcd-engine"
        assert rc[:].apply_sync(lambda: __import__("os").getcwd()) == [str(work)]
        logs = list((tmp_path / "profile_test" / "log").glob("ipengine-*.log"))
        assert logs
        wait_for(lambda: "Completed registration" in logs[0].read_text(), 10, "the log file")
    finally:
        rc.close()


# ---------------------------------------------------------- no controller --

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_registration_timeout_exits_255(tmp_path, ipython_dir, bin_path):
    conn = {"interface": "tcp://127.0.0.1", "registration": free_port(), "control": 1,
            "mux": 1, "task": 1, "iopub": 1, "hb_ping": 1, "hb_pong": 1, "broadcast": [1, 2],
            "key": "k", "location": "", "pack": "json", "unpack": "json",
            "signature_scheme": "hmac-sha256", "ssh": "", "curve_serverkey": None}
    f = tmp_path / "engine.json"
    f.write_text(json.dumps(conn))
    (tmp_path / "p").mkdir()
    t0 = time.monotonic()
    p = subprocess.run([bin_path("ipengine"), f"--file={f}", "--timeout=1",
                        f"--profile-dir={tmp_path / 'p'}"], capture_output=True, timeout=30)
    assert p.returncode == 255
    assert time.monotonic() - t0 < 10
    assert b"Registration timed out" in p.stderr


def test_missing_url_file_exits_1(tmp_path, ipython_dir, bin_path):
    (tmp_path / "p").mkdir()
    p = subprocess.run([bin_path("ipengine"), f"--profile-dir={tmp_path / 'p'}",
                        "--IPEngine.wait_for_url_file=0.3"], capture_output=True, timeout=30)
    assert p.returncode == 1
    assert b"url file never arrived" in p.stderr


def test_version_and_help(bin_path):
    p = subprocess.run([bin_path("ipengine"), "--version"], capture_output=True, timeout=30)
    assert p.returncode == 0 and p.stdout.strip() == b"7.1.0"
    p = subprocess.run([bin_path("ipengine"), "--help"], capture_output=True, timeout=30)
    assert p.returncode == 0 and b"--mpi" in p.stdout
    p = subprocess.run([bin_path("ipengine"), "--no-such-flag"], capture_output=True, timeout=30)
    assert p.returncode == 1


# -------------------------------------------------------------- ssh, mpi --

@pytest.fixture
def sshd(tmp_path, monkeypatch):
    """A real OpenSSH server on loopback with throwaway keys. HOME points at
    the test's directory, so the engine's ~/.ssh (known_hosts, which it
    learns on first contact as `ssh` would after "yes") is the test's own."""
    import getpass
    import shutil

    if not shutil.which("sshd") and not os.path.exists("/usr/sbin/sshd"):
        pytest.skip("openssh-server is not installed")
    d = tmp_path / "ssh"
    d.mkdir()
    for name in ("hostkey", "userkey", "otherkey"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)],
                       check=True)
    (d / "authorized_keys").write_text((d / "userkey.pub").read_text())
    port = free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/hostkey\n"
        f"AuthorizedKeysFile {d}/authorized_keys\nPidFile {d}/sshd.pid\nStrictModes no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nUsePAM no\nAllowTcpForwarding yes\n"
        "LogLevel VERBOSE\n")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation dir
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    log = open(d / "sshd.log", "wb")
    server = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(d / "sshd_config")],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: server.poll() is not None or _port_open(port), 10, "sshd")
        if server.poll() is not None:
            pytest.skip(f"sshd did not start: {(d / 'sshd.log').read_text()}")
        yield {"server": f"{getpass.getuser()}@127.0.0.1:{port}", "port": port,
               "key": str(d / "userkey"), "otherkey": str(d / "otherkey"),
               "home": home, "log": d / "sshd.log"}
    finally:
        server.terminate()
        server.wait()


def _port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_ssh_tunnel(cluster, sshd):
    """The engine reaches the controller (Python's and ours) only through
    the SSH server: its sockets are connected to its own forwarder, never
    to the controller's ports."""
    import psutil

    cluster.start_engines(1, extra=[f"--ssh={sshd['server']}", f"--sshkey={sshd['key']}"])
    rc = cluster.client(n_engines=1)
    try:
        assert rc[0].apply_sync(lambda: "through ssh") == "through ssh"
        pid = rc[0].apply_sync(lambda: __import__("os").getpid())
        with open(cluster.engine_file) as f:
            controller_ports = {v for k, v in json.load(f).items()
                                if isinstance(v, int)}
        engine_peers = {c.raddr.port for c in psutil.Process(pid).connections() if c.raddr}
        assert engine_peers and not (engine_peers & controller_ports)
        assert sshd["port"] in engine_peers  # one SSH connection carries them all
        assert not psutil.Process(pid).children()  # no ssh client process
        assert "Tunneling connections to the controller" in engine_log(cluster)
        # accept-new: the server's key was learnt in ~/.ssh/known_hosts.
        known = (sshd["home"] / ".ssh" / "known_hosts").read_text()
        assert f"[127.0.0.1]:{sshd['port']}" in known
        rc.shutdown(targets=[0], block=True)
        assert cluster.engines[0].wait(timeout=10) == 0
    finally:
        rc.close()


def test_ssh_tunnel_from_connection_file_ssh_and_default_key(tmp_path, ipython_dir, bin_path, sshd,
                                                             monkeypatch):
    """No --ssh: the engine file's "ssh" field names the server and the key
    is the default identity ~/.ssh/id_ed25519, as a user would have it."""
    import shutil

    monkeypatch.setenv("PYTHONPATH", os.path.dirname(os.path.abspath(__file__)))
    shutil.copy(sshd["key"], sshd["home"] / ".ssh" / "id_ed25519")
    (tmp_path / "profile_f").mkdir()
    c = LocalCluster([bin_path("ipcontroller")], tmp_path / "profile_f",
                     engine_cmd=[bin_path("ipengine")],
                     controller_args=[f"--enginessh={sshd['server']}"])
    try:
        c.start_controller()
        with open(c.engine_file) as f:
            assert json.load(f)["ssh"] == sshd["server"]
        c.start_engines(1)
        rc = c.client(n_engines=1)
        try:
            assert rc[0].apply_sync(lambda: 5) == 5
        finally:
            rc.close()
        assert "Tunneling connections to the controller via " + sshd["server"] in engine_log(c)
    finally:
        c.close()


def _conn_file(tmp_path, ssh=""):
    conn = {"interface": "tcp://127.0.0.1", "registration": free_port(), "control": 1,
            "mux": 1, "task": 1, "iopub": 1, "hb_ping": 1, "hb_pong": 1, "broadcast": [1, 2],
            "key": "k", "location": "", "pack": "json", "unpack": "json",
            "signature_scheme": "hmac-sha256", "ssh": ssh, "curve_serverkey": None}
    f = tmp_path / "engine.json"
    f.write_text(json.dumps(conn))
    return f


@pytest.mark.parametrize("case", ["bad key", "refused", "host key changed"])
def test_ssh_tunnel_failure_is_a_clear_error(tmp_path, ipython_dir, bin_path, sshd, case):
    """A bad key, an SSH server that is not there, or a changed host key:
    the engine says which server and why, exits 1 at once (no hang, no
    registration attempt), and leaves no process behind."""
    import psutil

    server, key, reason = sshd["server"], sshd["key"], ""
    if case == "bad key":
        key, reason = sshd["otherkey"], "authentication failed"
    elif case == "refused":
        server = f"{server.split(':')[0]}:{free_port()}"
        reason = "connection refused"
    else:
        other = open(sshd["otherkey"] + ".pub").read()
        (sshd["home"] / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{sshd['port']} {other}")
        reason = "host key mismatch"
    f = _conn_file(tmp_path)
    (tmp_path / "p").mkdir()
    args = [bin_path("ipengine"), f"--file={f}", f"--profile-dir={tmp_path / 'p'}", "--timeout=30"]
    if case == "refused":  # from the profile's config file this time
        (tmp_path / "p" / "ipengine_config.py").write_text(
            f"c.IPEngine.sshserver = {server!r}\nc.IPEngine.sshkey = {key!r}\n")
    else:
        args += [f"--ssh={server}", f"--sshkey={key}"]
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    children = []
    try:
        children = psutil.Process(p.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        pass
    out, _ = p.communicate(timeout=30)
    out = out.decode("utf8", "replace")
    assert p.returncode == 1, out
    assert time.monotonic() - t0 < 20
    assert "Cannot reach the controller through ssh" in out
    assert server.split("@")[1] in out and reason in out, out
    assert "Registering with controller" not in out
    assert not [c for c in children if c.is_running()]


def test_mpi_engines_request_their_rank(cluster, bin_path, tmp_path):
    import shutil

    if not shutil.which("mpiexec"):
        pytest.skip("openmpi-bin is not installed")
    pytest.importorskip("mpi4py")
    args = ["mpiexec", "-n", "2", "--oversubscribe"]
    if os.geteuid() == 0:
        args.append("--allow-run-as-root")
    args += [bin_path("ipengine"), "--mpi", f"--profile-dir={cluster.profile_dir}"]
    log = open(tmp_path / "mpi.log", "wb")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    cluster.engines.append(p)
    rc = cluster.client(n_engines=2, timeout=60)
    try:
        assert sorted(rc.ids) == [0, 1]
        ranks = rc[:].apply_sync(lambda: __import__("mpi4py.MPI").MPI.COMM_WORLD.rank)
        assert ranks == rc.ids
        assert rc[:].pull("mpi_size", block=True) == [2, 2]
        rc.shutdown(targets="all", block=True)
        assert p.wait(timeout=30) == 0
    finally:
        rc.close()


def test_curve_with_python_controller(tmp_path, ipython_dir, bin_path, monkeypatch):
    """IPP_ENABLE_CURVE=1: the controller's sockets are CURVE servers and
    the engine file carries curve_serverkey."""
    monkeypatch.setenv("IPP_ENABLE_CURVE", "1")
    monkeypatch.setenv("PYTHONPATH", os.path.dirname(os.path.abspath(__file__)))
    (tmp_path / "profile_curve").mkdir()
    c = LocalCluster(PYTHON_CONTROLLER, tmp_path / "profile_curve",
                     engine_cmd=[bin_path("ipengine")])
    try:
        c.start_controller()
        with open(c.engine_file) as f:
            assert json.load(f)["curve_serverkey"]
        c.start_engines(1)
        rc = c.client(n_engines=1)
        try:
            assert rc[0].apply_sync(lambda: "curve") == "curve"
        finally:
            rc.close()
        assert "Using CurveZMQ security" in engine_log(c)
    finally:
        c.close()

# SPDX-License-Identifier: BSD-3-Clause
"""Start a controller (Debian's Python one or ours) and engines in a
throwaway profile, and read what they cost (CPU, RSS of the process tree)."""
import os
import signal
import subprocess
import time

PY = "/usr/bin/python3"


def implementations(build_dir):
    """The two programs under comparison: (controller argv, engine argv)."""
    return {
        "python": ([PY, "-m", "ipyparallel.controller"], [PY, "-m", "ipyparallel.engine"]),
        "ours": ([os.path.join(build_dir, "ipcontroller")], [os.path.join(build_dir, "ipengine")]),
    }


class NotAvailable(Exception):
    """The controller refused the configuration (e.g. a database it lacks)."""


def _descendants(root):
    parent = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parent[int(name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    tree = []
    for pid in parent:
        p = pid
        while p > 1:
            if p == root:
                tree.append(pid)
                break
            p = parent.get(p, 0)
    return tree


def tree_rss_bytes(root):
    """Resident memory of `root` and its children (the Python controller
    runs its schedulers as child processes); shared pages count once per
    process, as `ps` shows them."""
    total = 0
    for pid in _descendants(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def tree_cpu_seconds(root):
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in _descendants(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


class Cluster:
    def __init__(self, controller_cmd, engine_cmd, profile_dir, log_dir, controller_args=()):
        self.controller_cmd = list(controller_cmd)
        self.engine_cmd = list(engine_cmd)
        self.profile_dir = str(profile_dir)
        self.log_dir = str(log_dir)
        self.controller_args = list(controller_args)
        self.controller = None
        self.engines = []
        security = os.path.join(self.profile_dir, "security")
        self.client_file = os.path.join(security, "ipcontroller-client.json")
        self.engine_file = os.path.join(security, "ipcontroller-engine.json")
        os.makedirs(self.log_dir, exist_ok=True)

    def _log(self, name):
        return open(os.path.join(self.log_dir, name), "ab")

    def start_controller(self, timeout=60):
        args = self.controller_cmd + [f"--profile-dir={self.profile_dir}"] + self.controller_args
        self.controller = subprocess.Popen(args, stdout=self._log("controller.log"),
                                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.controller.poll() is not None:
                log = self.controller_log()
                raise NotAvailable(f"controller exited with {self.controller.returncode}: "
                                   f"{log.strip().splitlines()[-1] if log.strip() else ''}")
            if os.path.exists(self.client_file) and os.path.exists(self.engine_file):
                # Python writes the files before its schedulers bind; give
                # them a moment, as users' scripts implicitly do.
                return
            time.sleep(0.02)
        raise TimeoutError("controller wrote no connection files")

    def start_engines(self, n):
        for _ in range(n):
            args = self.engine_cmd + [f"--profile-dir={self.profile_dir}"]
            self.engines.append(subprocess.Popen(
                args, stdout=self._log(f"engine{len(self.engines)}.log"),
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))

    def controller_log(self):
        try:
            with open(os.path.join(self.log_dir, "controller.log"), "rb") as f:
                return f.read().decode("utf8", "replace")[-4000:]
        except OSError:
            return ""

    def rss_bytes(self):
        return tree_rss_bytes(self.controller.pid) if self.controller else 0

    def wait_idle(self, timeout=20.0, quiet=0.5):
        """Waits until the controller has used no CPU for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.cpu_seconds()
            if now - last < 0.01:
                return
            last = now

    def cpu_seconds(self):
        return tree_cpu_seconds(self.controller.pid) if self.controller else 0.0

    def close(self):
        procs = self.engines + ([self.controller] if self.controller else [])
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # The Python controller's scheduler children die with it.
                for pid in _descendants(p.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                p.wait()
        self.engines = []

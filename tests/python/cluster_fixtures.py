# SPDX-License-Identifier: BSD-3-Clause
"""Start our controller (and Python or our engines) in a throwaway profile."""
import json
import os
import signal
import subprocess
import sys
import time

PY = "/usr/bin/python3"


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class LocalCluster:
    """ipcontroller + n engines in `profile_dir`; stops everything on close."""

    def __init__(self, controller_cmd, profile_dir, engine_cmd=None, controller_args=(), log_dir=None,
                 log_level=10):
        self.profile_dir = str(profile_dir)
        self.controller_cmd = list(controller_cmd)
        self.engine_cmd = list(engine_cmd or [PY, "-m", "ipyparallel.engine"])
        self.controller_args = list(controller_args)
        self.log_level = log_level
        self.log_dir = str(log_dir or os.path.dirname(self.profile_dir))
        os.makedirs(self.log_dir, exist_ok=True)
        self.controller = None
        self.engines = []
        self.client_file = os.path.join(self.profile_dir, "security", "ipcontroller-client.json")
        self.engine_file = os.path.join(self.profile_dir, "security", "ipcontroller-engine.json")

    def _log(self, name):
        return open(os.path.join(self.log_dir, name), "ab")

    def start_controller(self, timeout=20):
        args = self.controller_cmd + [f"--profile-dir={self.profile_dir}", "--ping=250",
                                      f"--log-level={self.log_level}"] + self.controller_args
        self.controller = subprocess.Popen(args, stdout=self._log("controller.log"),
                                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(lambda: self.controller.poll() is not None or
                 (os.path.exists(self.client_file) and os.path.exists(self.engine_file)),
                 timeout, "the connection files")
        if self.controller.poll() is not None:
            raise RuntimeError(f"controller exited with {self.controller.returncode}: {self.controller_log()}")

    def start_engines(self, n, extra=()):
        for i in range(n):
            args = self.engine_cmd + [f"--profile-dir={self.profile_dir}", f"--log-level={self.log_level}", *extra]
            p = subprocess.Popen(args, stdout=self._log(f"engine{len(self.engines)}.log"),
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            self.engines.append(p)

    def client(self, n_engines=None, timeout=30):
        import ipyparallel as ipp
        rc = ipp.Client(self.client_file, timeout=10)
        if n_engines:
            rc.wait_for_engines(n_engines, timeout=timeout)
        return rc

    def controller_log(self):
        try:
            with open(os.path.join(self.log_dir, "controller.log"), "rb") as f:
                return f.read().decode("utf8", "replace")[-5000:]
        except OSError:
            return ""

    def close(self):
        for p in self.engines + ([self.controller] if self.controller else []):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.engines + ([self.controller] if self.controller else []):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the ipcluster tests: run our (or Python's) ipcluster in a
throwaway IPYTHONDIR and check the process table afterwards."""
import json
import os
import signal
import subprocess
import time

PY = "/usr/bin/python3"
PYTHON_IPCLUSTER = [PY, "-m", "ipyparallel.cluster"]
PYTHON_CONTROLLER = [PY, "-m", "ipyparallel.controller"]
PYTHON_ENGINE = [PY, "-m", "ipyparallel.engine"]
# A short heartbeat period: engines count as registered after their first
# beat (3 s by default).
FAST = ["--", "--HeartMonitor.period=500"]


def run(cmd, timeout=90, check=None, **kwargs):
    """Runs a command, returns CompletedProcess with text stdout/stderr."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)
    if check is not None and p.returncode != check:
        raise AssertionError(f"{cmd} exited {p.returncode}, expected {check}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def cluster_file(profile_dir, cluster_id=""):
    return os.path.join(profile_dir, "security", f"cluster-{cluster_id}.json")


def read_cluster_file(profile_dir, cluster_id=""):
    with open(cluster_file(profile_dir, cluster_id)) as f:
        return json.load(f)


def launched_pids(cluster_dict):
    """Every pid a cluster file records (controller, engines, mpiexec)."""
    pids = []

    def walk(d):
        if isinstance(d, dict):
            pid = d.get("pid")
            if isinstance(pid, int) and pid > 0:
                pids.append(pid)
            for v in d.values():
                walk(v)
    walk(cluster_dict)
    return pids


def _stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields  # [state, ppid, pgrp, session, ...]


def alive(pid):
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def session_members(sessions):
    """Live processes whose session is one of `sessions` (launched processes
    lead their own sessions, so this finds their children too)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = _stat(int(name))
        if st is not None and st[0] != "Z" and int(st[3]) in sessions:
            found.append(int(name))
    return found


def wait_gone(pids, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)] + session_members(set(pids))
        if not left:
            return []
        time.sleep(0.1)
    return sorted(set([p for p in pids if alive(p)] + session_members(set(pids))))


def processes_mentioning(text, timeout=10):
    """Live processes whose command line contains `text` (e.g. a profile
    directory), after waiting up to `timeout` for them to go."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or not alive(int(name)):
                continue
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if text.encode() in f.read():
                        found.append(int(name))
            except OSError:
                pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def describe(pids):
    out = []
    for p in pids:
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                out.append(f"{p}: " + f.read().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return "\n".join(out)


def kill_all(pids):
    for p in pids + session_members(set(pids)):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass

# SPDX-License-Identifier: BSD-3-Clause
"""Running our ipcluster as a user does, and checking what it leaves behind."""
import os
import subprocess
import time


def run(argv, env, cwd, timeout=120):
    """Runs a command to completion; returns the CompletedProcess (text)."""
    return subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def processes_mentioning(text):
    """(pid, command line) of every process whose command line contains `text`."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf8", "replace").strip()
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and text in cmdline:
            found.append((int(entry), cmdline))
    return found


def wait_until_gone(text, timeout):
    """Waits until no process mentions `text`; returns those still there."""
    deadline = time.monotonic() + timeout
    while True:
        left = processes_mentioning(text)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def kill_mentioning(text):
    """Cleanup after a failed test: SIGKILL whatever still mentions `text`."""
    for pid, _ in processes_mentioning(text):
        try:
            os.kill(pid, 9)
        except OSError:
            pass

# SPDX-License-Identifier: BSD-3-Clause
"""Our controller with --sqlitedb when the database file misbehaves.

At start (locked by another process, read-only, not a database, damaged):
the controller exits with status 1 and says which file and why. At run time
(disk full, file system turned read-only, lock held by another process,
damaged pages): tasks keep flowing, results stay available to clients from
memory, a loud rate-limited error line says what is wrong, and once the
file is writable again every record is written. The controller never
crashes.

Full disks and read-only files are real: a small tmpfs the test mounts, a
read-only tmpfs, chattr +i (root is needed; chmod does not stop root).
"""
import contextlib
import os
import re
import sqlite3
import subprocess
import time

import ipyparallel as ipp
import pytest

from cluster_fixtures import LocalCluster, wait_for

pytestmark = pytest.mark.timeout(120)


@ipp.interactive
def blob(i, size):
    return bytes([i % 256]) * size


@contextlib.contextmanager
def tmpfs(path, size="8m"):
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root and CAP_SYS_ADMIN): {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(path)], capture_output=True)
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path, mode):
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def controller(tmp_path, bin_path, *args, engines=0):
    c = LocalCluster([bin_path("ipcontroller")], tmp_path / "profile_faults", engine_cmd=[bin_path("ipengine")],
                     controller_args=["--sqlitedb", *args], log_level=20)
    return c


def start_fails(c, *patterns):
    with pytest.raises(RuntimeError) as info:
        c.start_controller(timeout=30)
    assert c.controller.returncode == 1
    log = c.controller_log()
    for p in patterns:
        assert re.search(p, log), f"{p!r} not in:\n{log}"
    assert not os.path.exists(c.client_file), "no connection file for a controller that did not start"
    return log


def make_db(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE other (x)")
    db.commit()
    db.close()


# --- start-up -----------------------------------------------------------

def test_locked_file_is_a_clear_error_at_start(tmp_path, bin_path):
    c = controller(tmp_path, bin_path)
    os.makedirs(c.profile_dir, exist_ok=True)
    dbfile = os.path.join(c.profile_dir, "tasks.db")
    make_db(dbfile)
    holder = sqlite3.connect(dbfile, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the file
    try:
        start_fails(c, re.escape(dbfile), "locked", "another process")
    finally:
        holder.close()


def test_garbage_file_is_a_clear_error_at_start(tmp_path, bin_path):
    c = controller(tmp_path, bin_path)
    os.makedirs(c.profile_dir, exist_ok=True)
    with open(os.path.join(c.profile_dir, "tasks.db"), "wb") as f:
        f.write(os.urandom(64 * 1024))
    start_fails(c, "tasks.db", "not a database")


def test_damaged_database_is_a_clear_error_at_start(tmp_path, bin_path):
    c = controller(tmp_path, bin_path)
    os.makedirs(c.profile_dir, exist_ok=True)
    dbfile = os.path.join(c.profile_dir, "tasks.db")
    db = sqlite3.connect(dbfile)
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [(os.urandom(500),) for _ in range(200)])
    db.commit()
    db.close()
    with open(dbfile, "r+b") as f:  # keep the header, trash the pages
        f.seek(4096)
        f.write(os.urandom(os.path.getsize(dbfile) - 8192))
    start_fails(c, "tasks.db", "malformed|damaged|not a database")


def test_read_only_file_system_is_a_clear_error_at_start(tmp_path, bin_path):
    with tmpfs(tmp_path / "ro") as mnt:
        make_db(mnt / "tasks.db")
        remount(mnt, "ro")
        c = controller(tmp_path, bin_path, f"--SQLiteDB.location={mnt}")
        start_fails(c, re.escape(str(mnt / "tasks.db")), "read-only|readonly|not writable")


# --- run time -----------------------------------------------------------

class Running:
    """A controller with one engine whose SQLiteDB file lives in `location`."""

    def __init__(self, tmp_path, bin_path, location):
        self.c = controller(tmp_path, bin_path, f"--SQLiteDB.location={location}")
        self.c.start_controller()
        self.c.start_engines(1)
        self.rc = self.c.client(n_engines=1)
        self.view = self.rc.load_balanced_view()
        self.dbfile = os.path.join(location, "tasks.db")
        self.results = {}

    def run(self, n, size=100):
        ars = [self.view.apply_async(blob, len(self.results) + i, size) for i in range(n)]
        for i, ar in enumerate(ars):
            value = ar.get(timeout=30)
            self.results[ar.msg_ids[0]] = value
        return [ar.msg_ids[0] for ar in ars]

    def rows_in_file(self):
        db = sqlite3.connect(f"file:{self.dbfile}?mode=ro", uri=True, timeout=10)
        try:
            return {r[0] for r in db.execute("SELECT msg_id FROM 'ipython-tasks' WHERE completed IS NOT NULL")}
        finally:
            db.close()

    def new_client_gets(self, msg_ids):
        rc = self.c.client()
        try:
            return rc.get_result(msg_ids).get(timeout=30) == [self.results[m] for m in msg_ids]
        finally:
            rc.close()

    def log(self):
        # The whole log: LocalCluster.controller_log() keeps only its tail.
        with open(os.path.join(self.c.log_dir, "controller.log"), "rb") as f:
            return f.read().decode("utf8", "replace")

    def errors(self, pattern):
        return len(re.findall(pattern, self.log()))

    def close(self):
        self.rc.close()
        self.c.close()


def outage(r, start, end, *, error):
    """Tasks before, during and after a fault; checks the whole story."""
    before = r.run(5)
    wait_for(lambda: set(before) <= r.rows_in_file(), 10, "the first records to be written")
    start()
    during = r.run(30, size=20_000)  # ~600 KB of results that cannot be written
    failure = rf"SQLiteDB: cannot write to \S+: .*({error})"
    wait_for(lambda: r.errors(failure) > 0, 15, f"a log line matching {failure!r}")
    assert r.c.controller.poll() is None, "the controller must not die"
    assert r.new_client_gets(during), "results of the outage are served from memory"
    assert not set(during) <= r.rows_in_file()
    lines = r.errors(r"SQLiteDB: cannot write")
    assert 1 <= lines <= 6, f"{lines} 'cannot write' lines: the log must be rate-limited"
    end()
    wait_for(lambda: set(before + during) <= r.rows_in_file(), 15, "the waiting records to be written")
    after = r.run(5)
    wait_for(lambda: set(after) <= r.rows_in_file(), 10, "new records to be written")
    assert "writable again" in r.log()
    assert r.new_client_gets(before + during + after)
    assert r.c.controller.poll() is None


def test_full_disk_at_run_time(tmp_path, bin_path):
    with tmpfs(tmp_path / "small", size="4m") as mnt:
        r = Running(tmp_path, bin_path, mnt)
        filler = mnt / "filler"
        try:
            def fill():
                with open(filler, "wb") as f:
                    with contextlib.suppress(OSError):
                        while True:
                            f.write(b"\0" * 65536)
                            f.flush()

            outage(r, fill, lambda: os.remove(filler), error=r"SQLITE_FULL|disk is full")
        finally:
            r.close()


def chattr(flag, *paths):
    r = subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"chattr {flag} is not supported here: {r.stderr.strip()}")


def test_file_made_read_only_at_run_time(tmp_path, bin_path):
    """chattr +i (a file system cannot be remounted read-only while the
    controller has files open for writing, and chmod does not stop root)."""
    location = tmp_path / "immutable"
    location.mkdir()
    r = Running(tmp_path, bin_path, location)
    files = [location / name for name in ("tasks.db", "tasks.db-wal")]
    try:
        outage(r, lambda: chattr("+i", *files), lambda: chattr("-i", *files),
               error=r"SQLITE_READONLY|SQLITE_IOERR|read-only|readonly")
    finally:
        subprocess.run(["chattr", "-i", *map(str, files)], capture_output=True)
        r.close()


def test_lock_held_by_another_process_at_run_time(tmp_path, bin_path):
    location = tmp_path / "shared"
    location.mkdir()
    r = Running(tmp_path, bin_path, location)
    holder = None
    try:
        def lock():
            nonlocal holder
            holder = sqlite3.connect(r.dbfile, isolation_level=None, timeout=10)
            holder.execute("BEGIN IMMEDIATE")  # WAL: blocks writers only

        outage(r, lock, lambda: holder.close(), error=r"SQLITE_BUSY|locked")
    finally:
        if holder is not None:
            holder.close()
        r.close()


def test_damaged_pages_at_run_time(tmp_path, bin_path):
    """SQLite finds the damage when it reads those pages: errors are logged,
    client queries that need the file get a DatabaseError, tasks keep
    flowing and their results are served from memory."""
    location = tmp_path / "damaged"
    location.mkdir()
    r = Running(tmp_path, bin_path, location)
    try:
        first = r.run(200, size=2000)
        wait_for(lambda: set(first) <= r.rows_in_file(), 10, "records to be written")
        db = sqlite3.connect(r.dbfile)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything into the main file
        db.close()
        size = os.path.getsize(r.dbfile)
        with open(r.dbfile, "r+b") as f:
            f.seek(8192)
            f.write(os.urandom(size - 16384))
        later = r.run(20)
        wait_for(lambda: r.errors(r"SQLITE_CORRUPT") > 0, 10, "the damage to be noticed")
        assert r.c.controller.poll() is None
        assert r.new_client_gets(later)
        with pytest.raises(ipp.error.RemoteError, match="DatabaseError"):
            r.rc.db_query({"msg_id": {"$ne": ""}}, keys=["msg_id"])
    finally:
        r.close()

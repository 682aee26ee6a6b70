# SPDX-License-Identifier: BSD-3-Clause
"""Several "hosts" for SSH tests: network namespaces this module creates,
each joined to this machine by a veth pair on a private 10.x.y.0/24 that
exists only between the two ends, each running a real OpenSSH server on
port 22 of its own address. The file system is shared, as on a cluster
with a shared home (seed 000). Also one sshd on 127.0.0.1 of this
machine ("the head node itself").

Needs root, iproute2 and openssh-server; `skip_reason()` says what is
missing. Everything is removed by close(), including processes still
running inside the namespaces (there should be none: tests check)."""
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time

SSHD = "/usr/sbin/sshd"


def skip_reason():
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not os.path.exists(SSHD):
        return "openssh-server is not installed"
    if not shutil.which("ip"):
        return "iproute2 is not installed"
    probe = f"ippssh-probe-{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True)
    if r.returncode != 0:
        return f"cannot create network namespaces: {r.stderr.decode().strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _run(*args, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    subprocess.run(cmd, check=True, capture_output=True)


def _used_prefixes():
    out = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True).stdout
    return {".".join(w.split("/")[0].split(".")[:2]) for w in out.split() if w.count(".") == 3}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(log, address, port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    needle = f"Server listening on {address} port {port}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited: {open(log).read()}")
        if os.path.exists(log) and needle in open(log).read():
            return
        time.sleep(0.05)
    raise TimeoutError(f"sshd on {address}:{port} did not start: {open(log).read()}")


class SshHosts:
    """names[i] -> a namespace host; `head` is this machine's loopback sshd."""

    def __init__(self, workdir, names):
        self.dir = str(workdir)
        self.user = getpass.getuser()
        self.names = list(names)
        self.tag = f"{os.getpid() % 100000}"
        used = _used_prefixes()
        second = next(o for o in list(range(100 + os.getpid() % 100, 200)) + list(range(100, 200))
                      if f"10.{o}" not in used)
        self.prefix = f"10.{second}"
        self.namespaces = []
        self.links = []
        self.servers = []
        self.address = {}  # name -> its address
        self.gateway = {}  # name -> this machine's address on its link
        self.namespace = {}  # name -> netns name
        os.makedirs(self.dir, exist_ok=True)
        self.key = os.path.join(self.dir, "userkey")
        self.hostkey = os.path.join(self.dir, "hostkey")
        for k in (self.key, self.hostkey):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k], check=True)
        with open(os.path.join(self.dir, "authorized_keys"), "w") as f:
            f.write(open(self.key + ".pub").read())
        os.makedirs("/run/sshd", exist_ok=True)
        try:
            for i, name in enumerate(self.names):
                self._add_host(i, name)
            self.head_port = _free_port()
            self._start_sshd("head", "127.0.0.1", self.head_port, None)
        except BaseException:
            self.close()
            raise
        # An address on host 0's link that nobody has: packets to it go
        # nowhere but that link, and the connection fails as unreachable.
        self.unreachable = f"{self.prefix}.0.99"

    def _add_host(self, i, name):
        ns = f"ippssh-{self.tag}-{i}"
        local, remote = f"ips{self.tag}r{i}", f"ips{self.tag}n{i}"
        _run("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        _run("ip", "link", "add", local, "type", "veth", "peer", "name", remote)
        self.links.append(local)
        _run("ip", "link", "set", remote, "netns", ns)
        gw, addr = f"{self.prefix}.{i}.1", f"{self.prefix}.{i}.2"
        _run("ip", "addr", "add", f"{gw}/24", "dev", local)
        _run("ip", "link", "set", local, "up")
        _run("ip", "link", "set", "lo", "up", ns=ns)
        _run("ip", "addr", "add", f"{addr}/24", "dev", remote, ns=ns)
        _run("ip", "link", "set", remote, "up", ns=ns)
        # Back to this machine (the controller) whichever of its addresses.
        _run("ip", "route", "add", "default", "via", gw, ns=ns)
        self.address[name], self.gateway[name], self.namespace[name] = addr, gw, ns
        self._start_sshd(name, addr, 22, ns)

    def _start_sshd(self, name, address, port, ns):
        cfg = os.path.join(self.dir, f"sshd_{name}.conf")
        log = os.path.join(self.dir, f"sshd_{name}.log")
        with open(cfg, "w") as f:
            f.write(f"Port {port}\nListenAddress {address}\nHostKey {self.hostkey}\n"
                    f"AuthorizedKeysFile {self.dir}/authorized_keys\n"
                    f"PidFile {self.dir}/sshd_{name}.pid\nStrictModes no\n"
                    "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                    "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nUsePAM no\n"
                    "AllowTcpForwarding yes\nSubsystem sftp internal-sftp\nLogLevel VERBOSE\n"
                    "MaxStartups 100\nMaxSessions 100\n")
        cmd = (["ip", "netns", "exec", ns] if ns else []) + [SSHD, "-D", "-e", "-f", cfg, "-E", log]
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        self.servers.append(p)
        _wait_listening(log, address, port, p)

    def ssh_config(self, path, extra_hosts=()):
        """An OpenSSH client config naming every host (usable by libssh and
        by the `ssh` command: `ssh -F path cl-1`)."""
        lines = []
        for name in self.names:
            lines += [f"Host {name}", f"  HostName {self.address[name]}"]
        for name, hostname, port in extra_hosts:
            lines += [f"Host {name}", f"  HostName {hostname}", f"  Port {port}"]
        lines += ["Host *", f"  User {self.user}", f"  IdentityFile {self.key}",
                  f"  UserKnownHostsFile {self.dir}/known_hosts", "  StrictHostKeyChecking accept-new",
                  "  BatchMode yes", "  LogLevel ERROR"]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def pids_in(self, name):
        """Processes inside a host's namespace other than its sshd."""
        out = subprocess.run(["ip", "netns", "pids", self.namespace[name]],
                             capture_output=True, text=True).stdout.split()
        sshd = {p.pid for p in self.servers}
        return [int(p) for p in out if int(p) not in sshd and _cmdline(int(p)) != "" and
                not _cmdline(int(p)).startswith("sshd:")]

    def close(self):
        for p in self.servers:
            if p.poll() is None:
                p.terminate()
        for p in self.servers:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for ns in self.namespaces:
            out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
            for pid in out.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        for link in self.links:
            subprocess.run(["ip", "link", "del", link], capture_output=True)
        self.namespaces, self.links, self.servers = [], [], []


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf8", "replace").strip()
    except OSError:
        return ""

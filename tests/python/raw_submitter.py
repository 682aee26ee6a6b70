# SPDX-License-Identifier: BSD-3-Clause
"""A fast load-balanced task submitter speaking the wire protocol with raw
zmq: what ipyparallel's Client sends for `view.apply_async(f, *args)`
(signed apply_request messages on the task socket), without its per-task
bookkeeping, so that 100,000 real tasks take seconds of client time.

The messages are real: our controller verifies and schedules them, real
engines run them, and the hub records them in its store.
"""
import hashlib
import hmac
import json
import os
import time
import uuid

import zmq
from ipyparallel.serialize import pack_apply_message

DELIM = b"<IDS|MSG>"


class RawSubmitter:
    def __init__(self, client_file, f, args=()):
        with open(client_file) as fh:
            info = json.load(fh)
        ip = info["interface"].split("://", 1)[1]
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(f"tcp://{ip}:{info['task']}")
        self.key = info["key"].encode()
        self.session = str(uuid.uuid4())
        self.buffers = pack_apply_message(f, args, {})
        self.prefix = f"{self.session[:8]}_{os.getpid()}_"
        self.counter = 0
        self.metadata = json.dumps({"after": [], "follow": [], "timeout": None, "targets": [],
                                    "retries": 0}).encode()
        self.sent_ids = []
        self.replies = {}

    def _sign(self, parts):
        h = hmac.new(self.key, digestmod=hashlib.sha256)
        for p in parts:
            h.update(p)
        return h.hexdigest().encode()

    def send_one(self):
        msg_id = self.prefix + str(self.counter)
        self.counter += 1
        header = json.dumps({"msg_id": msg_id, "msg_type": "apply_request", "username": "load",
                             "session": self.session, "date": _now(), "version": "5.3"}).encode()
        parts = [header, b"{}", self.metadata, b"{}"]
        self.sock.send_multipart([DELIM, self._sign(parts)] + parts + list(self.buffers), copy=False)
        self.sent_ids.append(msg_id)
        return msg_id

    def receive(self, timeout_ms):
        """Takes the replies that arrive within `timeout_ms`; returns how many."""
        n = 0
        if not self.sock.poll(timeout_ms):
            return 0
        while True:
            try:
                frames = self.sock.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return n
            i = frames.index(DELIM)
            parent = json.loads(frames[i + 3])
            content = json.loads(frames[i + 5])
            self.replies[parent["msg_id"]] = content.get("status")
            n += 1

    def run(self, total, window=2000, on_progress=None, progress_every=10000, timeout=600):
        """Keeps `window` tasks in flight until `total` have been answered.
        Calls on_progress(answered) every `progress_every` replies."""
        deadline = time.monotonic() + timeout
        next_mark = progress_every
        while len(self.replies) < total:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.replies)} of {total} tasks answered")
            while self.counter < total and self.counter - len(self.replies) < window:
                self.send_one()
            self.receive(100)
            while on_progress and len(self.replies) >= next_mark:
                on_progress(next_mark)
                next_mark += progress_every

    def close(self):
        self.sock.close()
        self.ctx.term()


def _now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)

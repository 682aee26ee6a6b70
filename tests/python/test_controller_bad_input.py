# SPDX-License-Identifier: BSD-3-Clause
"""Garbage on every controller socket: logged and dropped, never a crash,
and the real client and engines keep working afterwards."""
import json
import os
import time

import ipyparallel as ipp
import pytest
import zmq
from jupyter_client.session import Session

from cluster_fixtures import LocalCluster


@ipp.interactive
def triple(x):
    return 3 * x


@pytest.fixture
def cluster(tmp_path, bin_path):
    c = LocalCluster([bin_path("ipcontroller")], tmp_path / "profile_bad")
    c.start_controller()
    c.start_engines(1)
    yield c
    c.close()


GARBAGE = [
    [b""],
    [b"\x00" * 3],
    [b"<IDS|MSG>"],
    [b"<IDS|MSG>", b"sig", b"{}", b"{}"],                       # truncated
    [b"<IDS|MSG>", b"", b"{}", b"{}", b"{}", b"{}"],             # unsigned
    [b"<IDS|MSG>", b"0" * 64, b"{}", b"{}", b"{}", b"{}"],       # wrong signature
    [b"<IDS|MSG>", b"abc", b"{}", b"{}", b"{}", b"{}"],          # short signature
    [b"no delimiter", b"at all"],
    [b"\xff\xfe" * 1000],
]


def signed(session, msg_type, content, ident=None, corrupt_json=False):
    msg = session.msg(msg_type, content=content)
    frames = session.serialize(msg, ident=ident)
    if corrupt_json:
        # Valid signature over invalid JSON: must be rejected after verifying.
        i = frames.index(b"<IDS|MSG>")
        frames[i + 5] = b"{not json"
        frames[i + 1] = session.sign(frames[i + 2:i + 6])
    return frames


def test_garbage_on_every_socket_leaves_controller_serving(cluster):
    with open(cluster.client_file) as f:
        cinfo = json.load(f)
    with open(cluster.engine_file) as f:
        einfo = json.load(f)
    session = Session(key=cinfo["key"].encode(), signature_scheme=cinfo["signature_scheme"])
    ctx = zmq.Context()
    sockets = []
    try:
        targets = [(zmq.DEALER, cinfo["interface"], cinfo[k]) for k in
                   ("registration", "control", "mux", "task", "broadcast")]
        targets += [(zmq.DEALER, einfo["interface"], einfo[k]) for k in
                    ("control", "mux", "task", "hb_pong")]
        targets += [(zmq.DEALER, einfo["interface"], p) for p in einfo["broadcast"]]
        targets += [(zmq.PUB, einfo["interface"], einfo["iopub"])]
        for kind, iface, port in targets:
            s = ctx.socket(kind)
            s.linger = 0
            s.connect(f"{iface}:{port}")
            sockets.append(s)
        time.sleep(0.3)  # PUB/SUB joins
        for s in sockets:
            for frames in GARBAGE:
                s.send_multipart(frames)
            # Signed but wrong: bad JSON, unknown msg_type, bad content, replay.
            s.send_multipart(signed(session, "apply_request", {}, corrupt_json=True))
            s.send_multipart(signed(session, "bogus_request", {}))
            s.send_multipart(signed(session, "queue_request", {"targets": "nonsense"}))
            s.send_multipart(signed(session, "db_request", {"query": {"msg_id": {"$bogus": 1}}}))
            replay = signed(session, "history_request", {})
            s.send_multipart(replay)
            s.send_multipart(replay)
        time.sleep(1.0)
        assert cluster.controller.poll() is None, cluster.controller_log()
        rc = cluster.client(n_engines=1)
        try:
            assert rc[:].apply_sync(triple, 5) == [15]
            assert rc.load_balanced_view().apply_sync(triple, 2) == 6
        finally:
            rc.close()
    finally:
        for s in sockets:
            s.close()
        ctx.term()


def test_bad_queries_get_error_replies(cluster):
    rc = cluster.client(n_engines=1)
    try:
        with pytest.raises(Exception):
            rc.db_query({"msg_id": {"$nonsense": 1}})
        with pytest.raises(Exception):
            rc.result_status(["no-such-msg-id"], status_only=False)
        # The client still works after the errors.
        assert rc[:].apply_sync(triple, 1) == [3]
    finally:
        rc.close()


def test_vanishing_client_does_not_disturb_others(cluster):
    rc1 = cluster.client(n_engines=1)
    ar = rc1.load_balanced_view().apply_async(ipp.interactive(lambda: __import__("time").sleep(0.5) or 1))
    rc1.close()  # gone before its reply arrives
    rc2 = cluster.client(n_engines=1)
    try:
        assert rc2.load_balanced_view().apply_sync(triple, 4) == 12
    finally:
        rc2.close()
    assert cluster.controller.poll() is None


def own_socket(cluster, channel):
    """A DEALER of our own (the client's sockets belong to its IO thread)."""
    with open(cluster.client_file) as f:
        info = json.load(f)
    session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"{info['interface']}:{info[channel]}")
    return session, sock


def test_request_for_unknown_engine_gets_an_error_not_a_hang(cluster):
    session, sock = own_socket(cluster, "mux")
    try:
        msg = session.msg("apply_request", content={})
        session.send(sock, msg, ident=b"not-an-engine")
        assert sock.poll(5000), "no reply for a request to an unknown engine"
        idents, reply = session.recv(sock, mode=zmq.NOBLOCK)
        assert idents == [b"not-an-engine"]
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "EngineError"
        assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    finally:
        sock.close()


def test_bad_queries_on_raw_socket_get_hub_error(cluster):
    session, sock = own_socket(cluster, "registration")
    try:
        session.send(sock, "bogus_request", content={})
        assert sock.poll(5000)
        _, reply = session.recv(sock, mode=zmq.NOBLOCK)
        assert reply["header"]["msg_type"] == "hub_error"
        assert reply["content"]["ename"] == "KeyError"
        assert "Bad Message Type" in reply["content"]["evalue"]
        session.send(sock, "queue_request", content={"targets": [99], "verbose": False})
        assert sock.poll(5000)
        _, reply = session.recv(sock, mode=zmq.NOBLOCK)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "IndexError"
    finally:
        sock.close()

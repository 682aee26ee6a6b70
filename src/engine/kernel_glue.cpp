// SPDX-License-Identifier: BSD-3-Clause
//
// The Python half of the C++ engine, run inside the embedded interpreter by
// PythonRuntime (python_runtime.cpp) as module `_ipp_engine_kernel`.
//
// C++ owns every socket, the request loop, status/busy/idle, replies and
// their metadata; this module only does what must happen in Python, and
// does it with the machine's own ipyparallel/ipykernel/IPython code so the
// results are the Python engine's: IPythonParallelKernel.do_apply (temp
// names, user namespace, serialize_object), IPythonKernel.do_execute
// (InteractiveShell.run_cell, execute_result, IPython tracebacks),
// shell.reset, ZMQDisplayPublisher / ZMQShellDisplayHook / datapub. Their
// Session is a jupyter_client Session whose socket is a stand-in that hands
// the signed frames to the C++ IOPub thread (_ipp_engine.iopub_send).
//
// Without ipykernel it falls back to a bare IPython InteractiveShell, and
// without IPython to plain exec() (BasicKernel below), as issue 4 asks.
#include "engine/kernel_glue.hpp"

namespace ipp::engine::detail {

const char* const kKernelGlueSource = R"PYGLUE(
import sys
import os
import io
import json
import logging
import signal
import traceback

import _ipp_engine as _cpp

kernel = None
session = None
iopub_socket = None
log = logging.getLogger("IPEngine")
_engine_id = -1
_uuid = ""


# ---------------------------------------------------------------- start-up --

class CppLogHandler(logging.Handler):
    """Forwards Python logging to the engine's C++ log (one log, one format)."""

    def emit(self, record):
        try:
            msg = self.format(record)
        except Exception:
            msg = str(record.msg)
        _cpp.log(record.levelno, msg)


def setup(argv, log_level, python_executable):
    """Before registration: what IPEngine does before its kernel exists."""
    # An embedded interpreter's sys.executable is this program; subprocess
    # and multiprocessing users expect a Python (the Python engine runs
    # under one).
    if python_executable:
        sys.executable = python_executable
        sys._base_executable = python_executable
    sys.argv = list(argv)
    # engine/app.py init_engine: sys.path.insert(0, '')
    sys.path.insert(0, "")
    handler = CppLogHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(log_level)


def mpi_rank():
    """IPEngine._id_default with use_mpi: the rank when COMM_WORLD.size > 1."""
    from mpi4py import MPI

    if MPI.COMM_WORLD.size > 1:
        log.debug("MPI rank = %i", MPI.COMM_WORLD.rank)
        return MPI.COMM_WORLD.rank
    return None


class IOPubSocket:
    """Stands in for the IOPub socket (an ipykernel IOPubThread in Python):
    jupyter_client Session.send() ends in send_multipart(frames)."""

    def send_multipart(self, msg_parts, flags=0, copy=True, track=False, **kwargs):
        _cpp.iopub_send(list(msg_parts))

    def send(self, data, flags=0, copy=True, track=False, **kwargs):
        _cpp.iopub_send([data])


class ReplyCollector:
    """Stands in for a shell/control stream for the rare request types that
    ipykernel answers itself (complete, inspect, history, ...): the reply
    frames, already signed, are handed back to C++ to send."""

    def __init__(self):
        self.sent = []

    def send_multipart(self, msg_parts, flags=0, copy=True, track=False, **kwargs):
        self.sent.append([bytes(p) for p in msg_parts])

    def flush(self, *args, **kwargs):
        pass


class OutStream(io.TextIOBase):
    """sys.stdout / sys.stderr, as ipykernel.iostream.OutStream: text goes to
    the C++ output capture, which publishes `stream` messages (0.2 s after
    the first write, on flush(), and at the end of each request)."""

    encoding = "UTF-8"

    def __init__(self, index, name):
        super().__init__()
        self._index = index
        self.name = name
        self.topic = None
        self.parent_header = {}

    def write(self, string):
        if not isinstance(string, str):
            raise TypeError(f"write() argument must be str, not {type(string)}")
        _cpp.stream_write(self._index, string)
        return len(string)

    def writelines(self, sequence):
        for string in sequence:
            self.write(string)

    def flush(self):
        _cpp.stream_flush(self._index)

    def isatty(self):
        return False

    def fileno(self):
        # ipykernel: the copy of the original descriptor, for subprocess.
        fd = _cpp.stream_fileno(self._index)
        if fd < 0:
            raise io.UnsupportedOperation("fileno")
        return fd

    def readable(self):
        return False

    def writable(self):
        return True

    def seekable(self):
        return False

    def set_parent(self, parent):
        # The C++ side tracks the current request; kept for API parity.
        self.parent_header = parent


def _make_session(opts):
    from jupyter_client.session import Session

    class EngineSession(Session):
        """The engine's Session: msg_ids from the C++ counter (one sequence
        for the whole engine) and metadata.engine on every message sent by
        type, as engine/app.py's send_with_metadata patch."""

        @property
        def msg_id(self):
            return _cpp.new_msg_id()

        def send(self, stream, msg_or_type, content=None, parent=None, ident=None,
                 buffers=None, track=False, header=None, metadata=None):
            metadata = metadata or {}
            metadata.setdefault("engine", self.session)
            return super().send(stream, msg_or_type, content=content, parent=parent,
                                ident=ident, buffers=buffers, track=track, header=header,
                                metadata=metadata)

    return EngineSession(
        key=opts["key"].encode("utf8"),
        signature_scheme=opts["signature_scheme"],
        session=opts["uuid"],
        username=opts["username"],
        packer="json",
        unpacker="json",
        buffer_threshold=opts["buffer_threshold"],
        item_threshold=opts["item_threshold"],
    )


def _make_config(shell_config):
    """traitlets Config for the kernel/shell classes (InteractiveShell.colors,
    ...). Strings may come from the command line, so they are deferred to
    the trait's from_string like traitlets does for CLI values."""
    from traitlets.config import Config
    from traitlets.config.loader import DeferredConfigString

    cfg = Config()
    for section, traits in shell_config.items():
        for trait, value in traits.items():
            if isinstance(value, dict) and "__lazy__" in value:
                log.warning("Ignoring lazily modified config %s.%s", section, trait)
                continue
            if isinstance(value, str):
                value = DeferredConfigString(value)
            cfg[section][trait] = value
    cfg.HistoryManager.hist_file = ":memory:"
    return cfg


def start_kernel(opts):
    """After registration: IPEngine._complete_registration from "Redirect
    input streams" to the kernel's creation."""
    global kernel, session, iopub_socket, _engine_id, _uuid
    _engine_id = opts["engine_id"]
    _uuid = opts["uuid"]
    log.name = f"IPEngine.{_engine_id}"
    iopub_socket = IOPubSocket()
    session = _make_session(opts)

    sys.stdout = OutStream(0, "stdout")
    sys.stdout.topic = f"engine.{_engine_id}.stdout".encode("ascii")
    sys.stderr = OutStream(1, "stderr")
    sys.stderr.topic = f"engine.{_engine_id}.stderr".encode("ascii")

    cfg = _make_config(opts["shell_config"])
    kind = "ipykernel"
    if not opts.get("force_basic"):
        try:
            from ipykernel.displayhook import ZMQDisplayHook
            from ipyparallel.engine.kernel import IPythonParallelKernel
        except ImportError as e:
            log.warning("ipykernel/ipyparallel kernel unavailable (%s); using a basic shell", e)
            kind = None
    else:
        kind = None

    if kind == "ipykernel":
        sys.displayhook = ZMQDisplayHook(session, iopub_socket)
        sys.displayhook.topic = f"engine.{_engine_id}.execute_result".encode("ascii")
        import asyncio

        # do_execute takes its synchronous branch (shell.run_cell) when no
        # loop runs; a current loop avoids get_event_loop() warnings.
        asyncio.set_event_loop(asyncio.new_event_loop())
        kernel = IPythonParallelKernel.instance(
            config=cfg,
            engine_id=_engine_id,
            ident=_uuid,
            session=session,
            control_stream=None,
            shell_streams=[],
            iopub_socket=iopub_socket,
            user_ns={},
            log=log,
        )
        # Deliberate deviation from 7.1 (engine_id -1 in error contents):
        # newest ipyparallel sends the real id and newest clients need it.
        kernel.int_id = _engine_id
        kernel.shell.display_pub.topic = f"engine.{_engine_id}.displaypub".encode("ascii")
        kernel.shell.exit_now = False
    else:
        kernel = BasicKernel(cfg, session, iopub_socket)
    return kernel.__class__.__name__


def run_startup(opts):
    """IPKernelApp.init_code as IPEngine runs it: PYTHONSTARTUP and the
    profile's startup/ files, exec_lines (init_mpi first with --mpi), then
    exec_files."""
    shell = getattr(kernel, "shell", None)
    try:
        from IPython.core.profiledir import ProfileDir
        from ipykernel.kernelapp import IPKernelApp
    except ImportError:
        IPKernelApp = None
    if shell is not None and IPKernelApp is not None:
        # Configured like the Python engine's IPKernelApp(parent=app):
        # hide_initial_ns, code_to_run, ... come from the config.
        app = IPKernelApp(config=_make_config(opts["shell_config"]), shell=shell,
                          kernel=kernel, log=log)
        app.exec_lines = list(opts["exec_lines"])
        app.exec_files = list(opts["exec_files"])
        if opts.get("profile_dir"):
            app.profile_dir = ProfileDir(location=opts["profile_dir"])
        # In the Python engine the running Application is IPEngine, whose
        # .kernel ipykernel's enable_gui looks up (%pylab, %matplotlib
        # inline). Take its place at the same levels (not IPKernelApp's, which
        # stays uninitialised there too).
        from IPython.core.application import BaseIPythonApplication
        from traitlets.config import Application
        if not Application.initialized():
            Application._instance = app
            BaseIPythonApplication._instance = app
        app.init_code()
        return
    ns = kernel.user_ns
    startup = os.environ.get("PYTHONSTARTUP")
    files = [startup] if startup and os.path.isfile(startup) else []
    sdir = os.path.join(opts.get("profile_dir") or "", "startup")
    if opts.get("profile_dir") and os.path.isdir(sdir):
        files += [os.path.join(sdir, f) for f in sorted(os.listdir(sdir)) if f.endswith(".py")]
    for line in opts["exec_lines"]:
        _safe_exec(line, "<exec_line>", ns)
    for path in files + list(opts["exec_files"]):
        try:
            with open(path) as f:
                _safe_exec(f.read(), path, ns)
        except OSError as e:
            log.warning("Could not run startup file %s: %s", path, e)
    sys.stdout.flush()
    sys.stderr.flush()


def _safe_exec(code, filename, ns):
    try:
        exec(compile(code, filename, "exec"), ns)
    except BaseException:
        log.warning("Error in startup code %s:\n%s", filename, traceback.format_exc())


# ---------------------------------------------------------------- requests --

def _message(msg_json, buffers=None):
    msg = json.loads(msg_json)
    msg["msg_id"] = msg["header"].get("msg_id")
    msg["msg_type"] = msg["header"].get("msg_type")
    msg["buffers"] = buffers if buffers is not None else []
    return msg


def begin_request(msg_json):
    """Kernel.set_parent (shell channel) and pre_handler_hook: the request
    becomes the parent of display/error/datapub messages, and SIGINT is
    default_int_handler while it runs."""
    msg = _message(msg_json)
    kernel.set_parent([], msg, "shell")
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except (ValueError, OSError):
        pass


def _flush_std():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def apply(msg_json, buffers):
    """IPythonParallelKernel.apply_request minus the sending: returns the
    packed reply content and the result buffers."""
    msg = _message(msg_json, buffers)
    md = {}
    reply_content, result_buf = kernel.do_apply(msg["content"], buffers, msg["msg_id"], md)
    _flush_std()
    return session.pack(reply_content), list(result_buf)


def execute(msg_json):
    """Kernel.execute_request minus the sending. Returns (packed reply
    content, stop_on_error), or None for a malformed request (ipykernel logs
    "Got bad msg" and sends no reply)."""
    msg = _message(msg_json)
    try:
        content = msg["content"]
        code = content["code"]
        silent = content["silent"]
        store_history = content.get("store_history", not silent)
        user_expressions = content.get("user_expressions", {})
        allow_stdin = content.get("allow_stdin", False)
    except Exception:
        log.error("Got bad msg: ")
        log.error("%s", msg)
        return None
    stop_on_error = content.get("stop_on_error", True)
    if not silent:
        kernel._publish_execute_input(code, msg, kernel.execution_count)
    reply = kernel.do_execute(code, silent, store_history, user_expressions, allow_stdin)
    reply = _run_sync(reply)
    _flush_std()
    from jupyter_client.jsonutil import json_clean

    return session.pack(json_clean(reply)), bool(not silent and stop_on_error)


def _run_sync(value):
    """Drives ipykernel's async do_execute: with no running event loop it
    takes the synchronous shell.run_cell branch and never suspends."""
    import inspect

    if not inspect.isawaitable(value):
        return value
    coro = value.__await__()
    try:
        while True:
            coro.send(None)
    except StopIteration as stop:
        return stop.value


def delegate(msg_json, idents, channel):
    """Requests the C++ loop does not implement itself (complete, inspect,
    history, is_complete, comm_*, connect, usage, ...): run ipykernel's own
    handler with a stand-in stream and return the signed reply frames."""
    msg = _message(msg_json)
    msg_type = msg["msg_type"]
    if channel == "shell":
        handlers = getattr(kernel, "shell_handlers", {})
    else:
        handlers = getattr(kernel, "control_handlers", {})
    handler = handlers.get(msg_type)
    if handler is None:
        return None
    stream = ReplyCollector()
    try:
        _run_sync(handler(stream, [bytes(i) for i in idents], msg))
    except Exception:
        log.error("Exception in message handler:", exc_info=True)
    except KeyboardInterrupt:
        log.error("KeyboardInterrupt caught in kernel.")
    _flush_std()
    return stream.sent


def clear():
    """IPythonParallelKernel.clear_request: shell.reset(False)."""
    kernel.do_clear()


def kernel_info():
    info = {"status": "ok"}
    info.update(kernel.kernel_info)
    return session.pack(info)


def flush():
    _flush_std()


def at_exit():
    """What interpreter shutdown would run: atexit callbacks (history,
    user-registered handlers) and MPI_Finalize."""
    import atexit

    try:
        atexit._run_exitfuncs()
    except BaseException:
        pass
    # mpi4py finalises MPI from Py_Finalize, which the C++ engine skips;
    # mpiexec treats a rank exiting without MPI_Finalize as a failure.
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None:
        try:
            if mpi.Is_initialized() and not mpi.Is_finalized():
                mpi.Finalize()
        except BaseException:
            pass


# ----------------------------------------------- without ipykernel/IPython --

class BasicKernel:
    """apply/execute without ipykernel: an IPython InteractiveShell when
    IPython imports, plain exec() otherwise. Mirrors ipyparallel's
    IPythonParallelKernel.do_apply and ipykernel's do_execute closely enough
    for push/pull/apply/map; execute_result and display need IPython."""

    implementation = "ipython"

    def __init__(self, cfg, session, iopub):
        self.session = session
        self.iopub_socket = iopub
        self.shell = None
        self.parent = {}
        self.execution_count = 1
        try:
            from IPython.core.interactiveshell import InteractiveShell

            self.shell = InteractiveShell.instance(config=cfg, user_ns={})
            self.user_ns = self.shell.user_ns
        except Exception as e:
            log.warning("IPython unavailable (%s); running code with exec()", e)
            import builtins

            self.user_ns = {"__name__": "__main__", "__builtins__": builtins}
            ns = self.user_ns
            builtins.get_ipython = lambda: _NamespaceShell(ns)

    def set_parent(self, ident, parent, channel="shell"):
        self.parent = parent

    def _topic(self, topic):
        return f"engine.{_engine_id}.{topic}".encode()

    def _error(self, method):
        etype, evalue, tb = sys.exc_info()
        if self.shell is not None:
            stb = self.shell.InteractiveTB.structured_traceback(etype, evalue, tb)
        else:
            stb = traceback.format_exception(etype, evalue, tb)
        try:
            str_evalue = str(evalue)
        except Exception as str_error:
            str_evalue = f"Failed to cast exception to string: {str_error}"
        content = {"traceback": stb, "ename": etype.__name__, "evalue": str_evalue}
        self.session.send(self.iopub_socket, "error", content, self.parent,
                          ident=self._topic("error"))
        content["engine_info"] = dict(engine_uuid=_uuid, engine_id=_engine_id, method=method)
        log.info("Exception in %s request:\n%s", method, "\n".join(stb))
        return content

    def do_apply(self, content, bufs, msg_id, reply_metadata):
        from ipyparallel.serialize import serialize_object, unpack_apply_message

        working = self.user_ns
        try:
            prefix = "_" + str(msg_id).replace("-", "") + "_"
            f, args, kwargs = unpack_apply_message(bufs, working, copy=False)
            fname, argname = prefix + "f", prefix + "args"
            kwargname, resultname = prefix + "kwargs", prefix + "result"
            ns = {fname: f, argname: args, kwargname: kwargs, resultname: None}
            working.update(ns)
            code = "%s = %s(*%s,**%s)" % (resultname, fname, argname, kwargname)
            try:
                exec(code, working, working)
                result = working.get(resultname)
            finally:
                for key in ns:
                    working.pop(key)
            result_buf = serialize_object(
                result,
                buffer_threshold=self.session.buffer_threshold,
                item_threshold=self.session.item_threshold,
            )
        except BaseException:
            reply = self._error("apply")
            reply["status"] = "error"
            return reply, []
        return {"status": "ok"}, result_buf

    def _publish_execute_input(self, code, parent, count):
        self.session.send(self.iopub_socket, "execute_input",
                          {"code": code, "execution_count": count}, parent=parent,
                          ident=self._topic("execute_input"))

    def do_execute(self, code, silent, store_history=True, user_expressions=None,
                   allow_stdin=False):
        if self.shell is not None:
            res = self.shell.run_cell(code, store_history=store_history, silent=silent)
            self.execution_count = self.shell.execution_count
            if res.success:
                reply = {"status": "ok"}
            else:
                err = res.error_before_exec or res.error_in_exec
                try:
                    raise err
                except BaseException:
                    reply = self._error("execute")
                reply["status"] = "error"
            reply["execution_count"] = self.shell.execution_count - 1
        else:
            count = self.execution_count
            try:
                exec(compile(code, "<cell>", "exec"), self.user_ns)
                reply = {"status": "ok"}
            except BaseException:
                reply = self._error("execute")
                reply["status"] = "error"
            if store_history and not silent:
                self.execution_count += 1
            reply["execution_count"] = count
        reply["user_expressions"] = {}
        reply["payload"] = []
        return reply

    def do_clear(self):
        if self.shell is not None:
            self.shell.reset(False)
        else:
            keep = {"__name__", "__builtins__"}
            for key in list(self.user_ns):
                if key not in keep:
                    del self.user_ns[key]
        return {"status": "ok"}

    @property
    def kernel_info(self):
        return {
            "protocol_version": "5.3",
            "implementation": "ipython" if self.shell is not None else "python",
            "implementation_version": sys.version.split()[0],
            "language_info": {"name": "python", "version": sys.version.split()[0],
                              "mimetype": "text/x-python", "file_extension": ".py"},
            "banner": "",
        }


class _NamespaceShell:
    """get_ipython() for ipyparallel.util._push/_pull without IPython."""

    def __init__(self, ns):
        self.user_ns = ns
        self.user_global_ns = ns
)PYGLUE";

}  // namespace ipp::engine::detail

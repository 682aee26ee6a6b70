// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/python_runtime.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <pybind11/embed.h>
#include <pybind11/stl.h>

#include "engine/kernel_glue.hpp"
#include "engine/python_bindings.hpp"
#include "ipp/engine/output_capture.hpp"
#include "ipp/engine/signals.hpp"
#include "ipp/util/error.hpp"
#include "ipp/wire/codec.hpp"

namespace py = pybind11;

namespace ipp::engine {
namespace {

// Callbacks from Python; set by the PythonRuntime constructor, read with the
// GIL held.
PythonHooks* g_hooks = nullptr;

// The engine process (not a child forked by user code).
pid_t g_owner_pid = 0;

// True while user code of a request runs (SIGINT -> KeyboardInterrupt).
std::atomic<bool> g_in_request{false};

void on_sigint(int sig) {
  int saved = errno;
  // In a child forked by user code SIGINT is Python's default: a
  // KeyboardInterrupt there, never a message to the engine.
  if (g_in_request.load(std::memory_order_relaxed) || ::getpid() != g_owner_pid) {
    // Async-signal-safe; Python raises KeyboardInterrupt in the main thread
    // at its next check (a blocking sleep returns with EINTR first).
    PyErr_SetInterrupt();
  } else {
    notify_signal(sig);
  }
  errno = saved;
}

void install_sigint_handler() {
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls see EINTR
  ::sigaction(SIGINT, &action, nullptr);
}

zmq::message_t to_frame(py::handle obj) {
  if (PyBytes_Check(obj.ptr())) {
    return zmq::message_t(PyBytes_AS_STRING(obj.ptr()),
                          static_cast<std::size_t>(PyBytes_GET_SIZE(obj.ptr())));
  }
  Py_buffer view;
  if (PyObject_GetBuffer(obj.ptr(), &view, PyBUF_C_CONTIGUOUS) == 0) {
    zmq::message_t frame(view.buf, static_cast<std::size_t>(view.len));
    PyBuffer_Release(&view);
    return frame;
  }
  PyErr_Clear();
  // Non-contiguous memoryviews, str (Session.send accepts both).
  py::object b = PyUnicode_Check(obj.ptr())
                     ? py::object(py::reinterpret_borrow<py::str>(obj).attr("encode")("utf8"))
                     : py::object(py::module_::import("builtins").attr("bytes")(obj));
  return zmq::message_t(PyBytes_AS_STRING(b.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(b.ptr())));
}

wire::Frames to_frames(py::handle list) {
  wire::Frames frames;
  for (py::handle item : list) frames.push_back(to_frame(item));
  return frames;
}

// A received buffer handed to Python without copying: memoryview(Frame)
// keeps the zmq message alive as long as Python references it (arrays
// unpacked from it live in the user namespace). Read-only, as the Python
// engine's zmq.Frame buffers.
struct Frame {
  zmq::message_t message;
};

std::string message_json(const wire::Message& msg) {
  nlohmann::json j{{"header", msg.header},
                   {"parent_header", msg.parent_header},
                   {"metadata", msg.metadata},
                   {"content", msg.content}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json parse_packed(py::handle packed) {
  std::string text = packed.cast<std::string>();
  std::string error;
  auto j = wire::parse_dict(text, &error);
  if (!j) throw Error("unreadable content from Python: " + error);
  return std::move(*j);
}

// The Python error being handled, as the error content the Python engine
// would send (ipyparallel.error.wrap_exception shape).
nlohmann::json error_content(const py::error_already_set& e, int engine_id,
                             const std::string& uuid, const char* method) {
  std::string ename = "Exception";
  std::string evalue = e.what();
  nlohmann::json tb = nlohmann::json::array();
  try {
    ename = py::str(e.type().attr("__name__")).cast<std::string>();
    evalue = py::str(e.value()).cast<std::string>();
    py::object lines = py::module_::import("traceback")
                           .attr("format_exception")(e.type(), e.value(), e.trace());
    for (py::handle line : lines) tb.push_back(line.cast<std::string>());
  } catch (...) {
  }
  return {{"status", "error"},
          {"ename", ename},
          {"evalue", evalue},
          {"traceback", tb},
          {"engine_info", {{"engine_uuid", uuid}, {"engine_id", engine_id}, {"method", method}}}};
}

std::string python_traceback(const py::error_already_set& e) {
  try {
    py::object lines = py::module_::import("traceback")
                           .attr("format_exception")(e.type(), e.value(), e.trace());
    std::string out;
    for (py::handle line : lines) out += line.cast<std::string>();
    return out;
  } catch (...) {
    return e.what();
  }
}

// The python3.X this libpython belongs to, for sys.executable.
std::string python_executable() {
  py::module_ sys = py::module_::import("sys");
  std::string prefix = sys.attr("base_exec_prefix").cast<std::string>();
  py::tuple v = sys.attr("version_info");
  std::string name = "python" + std::to_string(v[0].cast<int>()) + "." +
                     std::to_string(v[1].cast<int>());
  std::filesystem::path exe = std::filesystem::path(prefix) / "bin" / name;
  std::error_code ec;
  return std::filesystem::exists(exe, ec) ? exe.string() : std::string();
}

}  // namespace

PYBIND11_EMBEDDED_MODULE(_ipp_engine, m) {
  m.doc() = "Callbacks from the embedded Python into the C++ ipengine";
  py::class_<Frame>(m, "Frame", py::buffer_protocol())
      .def_buffer([](Frame& f) {
        return py::buffer_info(f.message.data(), 1, py::format_descriptor<std::uint8_t>::format(),
                               1, {static_cast<py::ssize_t>(f.message.size())}, {1},
                               /*readonly=*/true);
      })
      .def("__len__", [](const Frame& f) { return f.message.size(); });
  m.def("log", [](int level, const std::string& text) {
    if (g_hooks == nullptr || !g_hooks->log) return;
    spdlog::level::level_enum l = level >= 50   ? spdlog::level::critical
                                  : level >= 40 ? spdlog::level::err
                                  : level >= 30 ? spdlog::level::warn
                                  : level >= 20 ? spdlog::level::info
                                                : spdlog::level::debug;
    g_hooks->log->log(l, "{}", text);
  });
  m.def("new_msg_id", []() -> std::string {
    // In a child forked by user code (multiprocessing) the shared session's
    // lock may have been held by another thread at fork time; Session.send
    // drops the message there anyway (check_pid), so any unique id will do.
    if (::getpid() == g_owner_pid && g_hooks != nullptr && g_hooks->new_msg_id) {
      return g_hooks->new_msg_id();
    }
    static std::atomic<unsigned long> n{0};
    return "engine_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
  });
  m.def("iopub_send", [](py::list parts) {
    if (g_hooks == nullptr || !g_hooks->publish || ::getpid() != g_owner_pid) return;
    g_hooks->publish(to_frames(parts));
  });
  bind_output_streams(m);
}

struct PythonRuntime::State {
  PythonHooks hooks;
  // The glue module (a strong reference; raw because pybind11 types have
  // hidden visibility and this struct does not).
  PyObject* glue = nullptr;
  PyThreadState* saved = nullptr;  // main thread state while the GIL is released
  int engine_id = -1;
  std::string uuid;

  py::object fn(const char* name) const {
    return py::reinterpret_borrow<py::object>(glue).attr(name);
  }
};

PythonRuntime::PythonRuntime(const std::vector<std::string>& argv, int python_log_level,
                             PythonHooks hooks)
    : state_(std::make_unique<State>()) {
  state_->hooks = std::move(hooks);
  g_hooks = &state_->hooks;
  g_owner_pid = ::getpid();
  set_python_output_capture(state_->hooks.output);
  // Python's own handlers (SIGINT -> default_int_handler) are installed;
  // argv is set by the glue; the program dir is not put on sys.path (the
  // engine puts '' there, as engine/app.py).
  py::initialize_interpreter(/*init_signal_handlers=*/true, 0, nullptr,
                             /*add_program_dir_to_path=*/false);
  try {
    py::module_ sys = py::module_::import("sys");
    py::module_ types = py::module_::import("types");
    py::object glue = types.attr("ModuleType")("_ipp_engine_kernel");
    sys.attr("modules")["_ipp_engine_kernel"] = glue;
    py::object builtins = py::module_::import("builtins");
    py::object code = builtins.attr("compile")(detail::kKernelGlueSource,
                                               "<ipp_engine_kernel>", "exec");
    builtins.attr("exec")(code, glue.attr("__dict__"));
    state_->glue = glue.release().ptr();
    state_->fn("setup")(argv, python_log_level, python_executable());
  } catch (py::error_already_set& e) {
    std::string text = python_traceback(e);
    throw Error("embedded Python failed to start:\n" + text);
  }
  install_sigint_handler();
  state_->saved = PyEval_SaveThread();
}

PythonRuntime::~PythonRuntime() {
  // The interpreter stays alive until _exit (see the class comment); only
  // drop our references with the GIL held.
  if (state_ && Py_IsInitialized()) {
    py::gil_scoped_acquire gil;
    Py_CLEAR(state_->glue);
  }
  g_hooks = nullptr;
}

std::optional<int> PythonRuntime::mpi_rank() {
  py::gil_scoped_acquire gil;
  try {
    py::object rank = state_->fn("mpi_rank")();
    if (rank.is_none()) return std::nullopt;
    return rank.cast<int>();
  } catch (py::error_already_set& e) {
    throw Error("--mpi: cannot initialise MPI through mpi4py:\n" + python_traceback(e));
  }
}

namespace {

py::dict kernel_options_dict(const KernelOptions& o) {
  py::dict d;
  d["engine_id"] = o.engine_id;
  d["uuid"] = o.uuid;
  d["key"] = o.key;
  d["signature_scheme"] = o.signature_scheme;
  d["username"] = o.username;
  d["buffer_threshold"] = o.buffer_threshold;
  d["item_threshold"] = o.item_threshold;
  d["shell_config"] = py::module_::import("json").attr("loads")(
      o.shell_config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  d["exec_lines"] = o.exec_lines;
  d["exec_files"] = o.exec_files;
  d["profile_dir"] = o.profile_dir;
  d["force_basic"] = o.force_basic;
  return d;
}

}  // namespace

std::string PythonRuntime::start_kernel(const KernelOptions& options) {
  py::gil_scoped_acquire gil;
  state_->engine_id = options.engine_id;
  state_->uuid = options.uuid;
  try {
    return state_->fn("start_kernel")(kernel_options_dict(options)).cast<std::string>();
  } catch (py::error_already_set& e) {
    throw Error("cannot create the engine's kernel:\n" + python_traceback(e));
  }
}

void PythonRuntime::run_startup(const KernelOptions& options) {
  py::gil_scoped_acquire gil;
  try {
    state_->fn("run_startup")(kernel_options_dict(options));
  } catch (py::error_already_set& e) {
    // IPython reports errors in user startup code itself; this is for the
    // machinery failing.
    if (state_->hooks.log) state_->hooks.log->error("Error running startup code:\n{}", python_traceback(e));
  }
}

nlohmann::json PythonRuntime::kernel_info() {
  py::gil_scoped_acquire gil;
  try {
    return parse_packed(state_->fn("kernel_info")());
  } catch (py::error_already_set& e) {
    if (state_->hooks.log) state_->hooks.log->error("kernel_info failed:\n{}", python_traceback(e));
    return {{"status", "ok"}, {"protocol_version", "5.3"}, {"implementation", "ipython"}};
  }
}

void PythonRuntime::begin_request(const wire::Message& request) {
  py::gil_scoped_acquire gil;
  try {
    state_->fn("begin_request")(message_json(request));
  } catch (py::error_already_set& e) {
    if (state_->hooks.log) state_->hooks.log->error("set_parent failed:\n{}", python_traceback(e));
  }
  // signal.signal(SIGINT, default_int_handler) replaced our C handler.
  install_sigint_handler();
}

ApplyOutcome PythonRuntime::apply(wire::Message& request) {
  py::gil_scoped_acquire gil;
  ApplyOutcome out;
  try {
    py::list buffers;
    for (auto& b : request.buffers) {
      py::object frame = py::cast(Frame{std::move(b)});
      buffers.append(py::memoryview(frame));
    }
    request.buffers.clear();
    py::tuple result = state_->fn("apply")(message_json(request), buffers);
    out.content = parse_packed(result[0]);
    for (py::handle b : result[1].cast<py::list>()) out.buffers.push_back(to_frame(b));
  } catch (py::error_already_set& e) {
    // do_apply handles every exception of the user's code; this is the
    // machinery (e.g. an unpicklable result reference) failing.
    out.content = error_content(e, state_->engine_id, state_->uuid, "apply");
    out.buffers.clear();
    if (state_->hooks.log) state_->hooks.log->error("apply_request failed:\n{}", python_traceback(e));
  } catch (const std::exception& e) {
    out.content = {{"status", "error"}, {"ename", "RuntimeError"}, {"evalue", e.what()},
                   {"traceback", nlohmann::json::array()},
                   {"engine_info", {{"engine_uuid", state_->uuid}, {"engine_id", state_->engine_id},
                                    {"method", "apply"}}}};
    out.buffers.clear();
  }
  return out;
}

std::optional<ExecuteOutcome> PythonRuntime::execute(const wire::Message& request) {
  py::gil_scoped_acquire gil;
  try {
    py::object result = state_->fn("execute")(message_json(request));
    if (result.is_none()) return std::nullopt;
    py::tuple t = result;
    ExecuteOutcome out;
    out.content = parse_packed(t[0]);
    out.abort_queue_on_error =
        t[1].cast<bool>() && out.content.is_object() && out.content.value("status", "") == "error";
    return out;
  } catch (py::error_already_set& e) {
    if (state_->hooks.log) state_->hooks.log->error("execute_request failed:\n{}", python_traceback(e));
    ExecuteOutcome out;
    out.content = error_content(e, state_->engine_id, state_->uuid, "execute");
    out.content["execution_count"] = 0;
    out.content["user_expressions"] = nlohmann::json::object();
    out.content["payload"] = nlohmann::json::array();
    return out;
  } catch (const std::exception& e) {
    if (state_->hooks.log) state_->hooks.log->error("execute_request failed: {}", e.what());
    return std::nullopt;
  }
}

std::optional<std::vector<wire::Frames>> PythonRuntime::delegate(const wire::Message& request,
                                                                std::string_view channel) {
  py::gil_scoped_acquire gil;
  try {
    py::list idents;
    for (const auto& id : request.identities) idents.append(py::bytes(id));
    py::object sent = state_->fn("delegate")(message_json(request), idents, std::string(channel));
    if (sent.is_none()) return std::nullopt;
    std::vector<wire::Frames> out;
    for (py::handle msg : sent) out.push_back(to_frames(msg));
    return out;
  } catch (py::error_already_set& e) {
    if (state_->hooks.log) state_->hooks.log->error("{} handler failed:\n{}", request.msg_type(), python_traceback(e));
    return std::vector<wire::Frames>{};
  }
}

void PythonRuntime::clear() {
  py::gil_scoped_acquire gil;
  try {
    state_->fn("clear")();
  } catch (py::error_already_set& e) {
    if (state_->hooks.log) state_->hooks.log->error("clear_request failed:\n{}", python_traceback(e));
  }
}

void PythonRuntime::flush_streams() {
  py::gil_scoped_acquire gil;
  try {
    state_->fn("flush")();
  } catch (py::error_already_set&) {
  }
}

void PythonRuntime::set_log(std::shared_ptr<spdlog::logger> log) {
  py::gil_scoped_acquire gil;
  state_->hooks.log = std::move(log);
}

void PythonRuntime::at_exit() {
  py::gil_scoped_acquire gil;
  try {
    state_->fn("at_exit")();
  } catch (py::error_already_set&) {
  }
}

PythonRuntime::RequestScope::RequestScope(PythonRuntime& runtime) : runtime_(runtime) {
  g_in_request.store(true);
}

PythonRuntime::RequestScope::~RequestScope() {
  g_in_request.store(false);
  py::gil_scoped_acquire gil;
  // An interrupt that arrived after the user's code returned must not
  // raise in the next request: PyOS_InterruptOccurred() clears it.
  PyOS_InterruptOccurred();
  (void)runtime_;
}

}  // namespace ipp::engine

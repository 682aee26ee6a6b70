// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "ipp/wire/codec.hpp"
#include "ipp/wire/message.hpp"

namespace ipp::engine {

class OutputCapture;

// What the embedded Python calls back into (set before start_kernel).
struct PythonHooks {
  // Signed IOPub frames built by Python's Session (display_data, error,
  // execute_input, execute_result, data_message, ...), topic first.
  std::function<void(wire::Frames)> publish;
  // The engine's shared msg_id counter (SharedSession::new_msg_id).
  std::function<std::string()> new_msg_id;
  // Where sys.stdout/sys.stderr write; may be null (then fd 1/2 directly).
  OutputCapture* output = nullptr;
  std::shared_ptr<spdlog::logger> log;
};

// What the kernel needs once the engine is registered.
struct KernelOptions {
  int engine_id = 0;
  std::string uuid;
  std::string key;
  std::string signature_scheme = "hmac-sha256";
  std::string username;
  int buffer_threshold = 1024;  // Session.buffer_threshold (serialize_object)
  int item_threshold = 64;      // Session.item_threshold
  // {"InteractiveShell": {"colors": "nocolor"}, ...} (EngineOptions::shell_config).
  nlohmann::json shell_config = nlohmann::json::object();
  std::vector<std::string> exec_lines;
  std::vector<std::string> exec_files;
  std::string profile_dir;  // for startup/*.py
  // Use the built-in basic kernel even if ipykernel imports (tests).
  bool force_basic = false;
};

struct ApplyOutcome {
  nlohmann::json content;                // {"status": "ok"} or error content
  std::vector<zmq::message_t> buffers;   // serialize_object(result)
};

struct ExecuteOutcome {
  nlohmann::json content;
  // The reply is an error, the request was not silent and stop_on_error:
  // the caller aborts queued execute_requests (ipykernel _abort_queues).
  bool abort_queue_on_error = false;
};

// The embedded CPython interpreter and the engine's kernel inside it
// (engine.md sections 5-7). This is the only code that talks to Python; the
// glue it runs is kernel_glue.cpp.
//
// Threading and the GIL: the constructor must run on the process's main
// thread, which becomes Python's main thread (signal handlers, user code).
// It returns with the GIL released; each method takes the GIL for its
// duration and gives it back, so between requests Python background threads
// run freely and no C++ thread (heart, IOPub, control, output reader) ever
// needs it. Every method except signal helpers must be called from the main
// thread. The interpreter is never finalised: the engine exits with _exit
// after at_exit(), so user threads cannot hang shutdown.
//
// Python exceptions never escape as C++ exceptions from request methods;
// they become error contents (or log lines). Start-up methods throw
// ipp::Error with the Python traceback text.
class PythonRuntime {
 public:
  // Initialises the interpreter with `argv` as sys.argv, sets sys.executable
  // to the interpreter's own python3.X (not this program, for subprocess and
  // multiprocessing), routes Python logging to `hooks.log` at
  // `python_log_level` (10 = DEBUG ...), and defines the `_ipp_engine`
  // module. Throws ipp::Error.
  PythonRuntime(const std::vector<std::string>& argv, int python_log_level, PythonHooks hooks);
  ~PythonRuntime();
  PythonRuntime(const PythonRuntime&) = delete;
  PythonRuntime& operator=(const PythonRuntime&) = delete;

  // IPEngine._id_default under --mpi: imports mpi4py (MPI_Init) and returns
  // the rank when COMM_WORLD has more than one process. Throws ipp::Error
  // when mpi4py is missing.
  std::optional<int> mpi_rank();

  // Replaces sys.stdout/sys.stderr/sys.displayhook and creates the kernel
  // (ipyparallel's IPythonParallelKernel with its ZMQInteractiveShell, or the
  // basic fallback). Returns the kernel class name. Throws ipp::Error.
  std::string start_kernel(const KernelOptions& options);
  // Startup files and code (IPKernelApp.init_code). Errors in user startup
  // code are shown by IPython and do not throw.
  void run_startup(const KernelOptions& options);

  // kernel_info_reply content ({"status": "ok", protocol_version, ...}).
  nlohmann::json kernel_info();

  // The request becomes Python's current parent (display, errors, datapub);
  // SIGINT handling is reset to raise KeyboardInterrupt while it runs.
  void begin_request(const wire::Message& request);
  // do_apply on the request's buffers (moved out of `request`).
  ApplyOutcome apply(wire::Message& request);
  // do_execute; nullopt for a malformed request (no reply, as ipykernel).
  std::optional<ExecuteOutcome> execute(const wire::Message& request);
  // Any other request ipykernel's kernel handles itself on `channel`
  // ("shell" or "control"): the signed reply messages to send (each
  // already prefixed with the request's identities). nullopt when the
  // kernel has no handler for that msg_type.
  std::optional<std::vector<wire::Frames>> delegate(const wire::Message& request,
                                                    std::string_view channel);
  // clear_request: shell.reset(False).
  void clear();
  // sys.stdout.flush(); sys.stderr.flush()
  void flush_streams();
  // Runs atexit callbacks, as interpreter shutdown would.
  void at_exit();

  // Where Python's logging (and this class's own messages) go from now on
  // (the engine renames its logger after registration and moves it off
  // descriptor 2 when that is captured).
  void set_log(std::shared_ptr<spdlog::logger> log);

  // While a request runs, SIGINT (from a terminal, interrupt_request or
  // signal_request) raises KeyboardInterrupt in the user's code; otherwise
  // it is reported through notify_signal(SIGINT) ("Ignoring SIGINT").
  // Ends by discarding an interrupt that arrived too late to be raised, so
  // it cannot hit the next request.
  class RequestScope {
   public:
    explicit RequestScope(PythonRuntime& runtime);
    ~RequestScope();
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;

   private:
    PythonRuntime& runtime_;
  };

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ipp::engine

// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <zmq.hpp>

#include "ipp/engine/iopub_channel.hpp"
#include "ipp/engine/mailbox.hpp"
#include "ipp/engine/output_capture.hpp"
#include "ipp/engine/python_runtime.hpp"
#include "ipp/engine/request_protocol.hpp"
#include "ipp/engine/shared_session.hpp"
#include "ipp/wire/message.hpp"

namespace ipp::engine {

// The request whose output is being produced: stream messages use the
// parent current at flush time (ipykernel OutStream.parent_header), which
// is the latest shell request. Thread-safe.
class CurrentParent {
 public:
  void set(nlohmann::json header);
  nlohmann::json get() const;

 private:
  mutable std::mutex mutex_;
  nlohmann::json header_ = nlohmann::json::object();
};

// What the control thread hands to the shell loop (the main thread).
struct ShellCommand {
  enum class Kind {
    Request,     // a control-channel request that needs Python (clear, ...)
    AbortQueue,  // abort_request with no ids: abort waiting execute_requests
    Stop,        // leave the loop (shutdown, SIGTERM, heartbeat loss)
  };
  Kind kind = Kind::Stop;
  wire::Message request;
};

// Everything the kernel publishes with and reports to; all must outlive it.
struct KernelContext {
  SharedSession* session = nullptr;
  IopubChannel* iopub = nullptr;
  PythonRuntime* python = nullptr;
  OutputCapture* output = nullptr;  // may be null
  CurrentParent* parent = nullptr;
  AbortedIds* aborted = nullptr;
  std::shared_ptr<spdlog::logger> log;
  int engine_id = 0;
  // IPythonParallelKernel.stop_on_error_timeout: how long after an error
  // newly arriving execute_requests are aborted too.
  std::chrono::milliseconds stop_on_error_timeout{0};
  // Called by a shell-channel shutdown_request, after its reply and the
  // IOPub shutdown_reply (the control thread handles control ones).
  std::function<void()> on_shutdown;
};

// The engine's shell loop: the main thread, where Python runs user code
// (engine.md section 4). Requests from the shell socket (mux, task and
// broadcast leaf share it) are handled one at a time in arrival order;
// before each one, commands from the control thread are handled first, as
// ipykernel flushes its control queue before every shell message.
//
// For each request: parent set, IOPub status busy, the aborted checks,
// the handler (apply_request and execute_request through PythonRuntime,
// interrupt/shutdown/kernel_info here, the rare Jupyter types delegated to
// ipykernel's own handlers), output flushed, reply sent on the socket the
// request came from with its whole routing prefix, status idle.
//
// Not thread-safe: run() and the handlers belong to the main thread.
class Kernel {
 public:
  explicit Kernel(KernelContext context);

  // Runs until a Stop command or a shell shutdown_request. `shell` is the
  // shell ROUTER; `control_replies` sends reply frames for requests that
  // came through `commands` back to the control socket's thread.
  void run(zmq::socket_t& shell, Mailbox<ShellCommand>& commands,
           const std::function<void(wire::Frames)>& control_replies);

 private:
  enum class Channel { Shell, Control };
  struct Pending {
    wire::Message msg;
    bool abort_if_execute = false;  // waiting when an error aborted the queue
  };
  using Reply = std::function<void(wire::Frames)>;

  // Returns false when the loop must stop.
  bool handle(Pending& request, Channel channel, const Reply& reply);
  void receive_one(zmq::socket_t& shell);
  void abort_queue(zmq::socket_t& shell);

  void publish_status(const char* state, const nlohmann::json& parent);
  void send_reply(const wire::Message& request, std::string_view msg_type,
                  nlohmann::json content, nlohmann::json metadata, const Reply& reply,
                  std::vector<zmq::message_t> buffers = {});
  void send_aborted(const wire::Message& request, const Reply& reply);

  void apply_request(wire::Message& request, const Reply& reply);
  void execute_request(wire::Message& request, const Reply& reply);
  void shutdown_request(const wire::Message& request, const Reply& reply);

  KernelContext ctx_;
  wire::Signer signer_;
  wire::DigestHistory history_;
  std::deque<Pending> pending_;
  std::optional<std::chrono::steady_clock::time_point> aborting_until_;
  std::optional<nlohmann::json> kernel_info_;
  bool abort_requested_ = false;
};

// IOPub topic "engine.<id>.<kind>" (IPythonParallelKernel._topic).
std::string engine_topic(int engine_id, std::string_view kind);

// interrupt_request: SIGINT to the engine's process group when it leads
// one, else to itself (ipykernel _send_interupt_children).
void interrupt_engine_process();

// Signals the engine's children in its process group: SIGTERM, then
// SIGKILL, re-checking after 0.01 .. 10 s (ipykernel
// _progressively_terminate_all_children). Returns once none is left.
void terminate_children(spdlog::logger& log);

}  // namespace ipp::engine

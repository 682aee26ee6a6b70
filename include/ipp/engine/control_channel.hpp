// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <zmq.hpp>

#include "ipp/engine/heart.hpp"
#include "ipp/engine/iopub_channel.hpp"
#include "ipp/engine/kernel.hpp"
#include "ipp/engine/mailbox.hpp"
#include "ipp/engine/request_protocol.hpp"
#include "ipp/engine/shared_session.hpp"

namespace ipp::engine {

struct ControlContext {
  SharedSession* session = nullptr;
  IopubChannel* iopub = nullptr;
  AbortedIds* aborted = nullptr;
  Mailbox<ShellCommand>* shell_commands = nullptr;
  std::shared_ptr<spdlog::logger> log;
  int engine_id = 0;
  // Answered here without Python (precomputed at start-up).
  nlohmann::json kernel_info = nlohmann::json::object();
  // The engine's "controller gone" check (engine.md section 9); heart may
  // be null or max_heartbeat_misses 0 to disable it.
  const Heart* heart = nullptr;
  int hb_period_ms = 3000;
  int max_heartbeat_misses = 50;
  // Asks the engine to stop with this exit status; called on this thread.
  std::function<void(int exit_code)> request_stop;
};

// The control channel on its own C++ thread (as newest ipyparallel runs
// control in a thread), so abort, signal, interrupt and shutdown work while
// a task holds the main thread and the GIL. It owns:
//  * the control ROUTER (identity uuid) connected to the controller's
//    `control`; there is no nanny process, so the extra routing frame the
//    nanny adds never appears and signal_request is answered here;
//  * the registration DEALER (for unregistration_request);
//  * the signal self-pipe (SIGTERM: stop; SIGINT between requests: logged);
//  * the heartbeat check: every hb_period + 500 ms, no new ping counts a
//    miss; max_heartbeat_misses in a row: unregister and stop (exit 0).
//
// Handled here: abort_request, signal_request, interrupt_request,
// shutdown_request, kernel_info_request. Everything else (clear_request and
// shell types sent on control) needs Python and goes to the shell loop as a
// ShellCommand; its replies come back through send_reply().
class ControlChannel {
 public:
  // Connects the control ROUTER; takes the connected registration DEALER.
  ControlChannel(zmq::context_t& context, const std::string& control_url,
                 const std::string& identity, zmq::socket_t registrar, ControlContext ctx,
                 const CurveKeys& curve = {});
  ~ControlChannel();
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;

  void start();
  // Sends unregistration_request {"id": engine_id} first when `unregister`
  // (what the Python engine's nanny does when the engine exits), stops the
  // thread and closes the sockets. Idempotent.
  void stop(bool unregister);

  // Thread-safe: reply frames for a request forwarded to the shell loop.
  void send_reply(wire::Frames frames) { replies_.push(std::move(frames)); }

 private:
  void run();
  void on_control_readable();
  void handle(wire::Message& request);
  void reply(const wire::Message& request, std::string_view msg_type, nlohmann::json content,
             nlohmann::json metadata = nlohmann::json::object());
  void publish_status(const char* state, const nlohmann::json& parent);
  void signal_request(const wire::Message& request);
  void shutdown_request(const wire::Message& request);
  void check_heartbeat();
  void on_signals();

  zmq::socket_t control_;
  zmq::socket_t registrar_;
  ControlContext ctx_;
  wire::Signer signer_;
  wire::DigestHistory history_;
  Mailbox<wire::Frames> replies_;
  WakeFd stop_fd_;
  std::atomic<bool> unregister_on_stop_{false};
  std::thread thread_;
  // Signals to deliver once their reply has left (set by signal_request).
  std::vector<int> pending_signals_;

  // Heartbeat check state (IPEngine._hb_monitor).
  Heart::Clock::time_point last_check_{};
  int missed_beats_ = 0;
  bool stopping_ = false;
  bool unregistered_ = false;
};

}  // namespace ipp::engine

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/control_channel.hpp"

#include <signal.h>
#include <unistd.h>

#include <iterator>

#include <zmq_addon.hpp>

#include "ipp/engine/registration.hpp"
#include "ipp/engine/signals.hpp"
#include "ipp/util/poll_loop.hpp"

namespace ipp::engine {

ControlChannel::ControlChannel(zmq::context_t& context, const std::string& control_url,
                               const std::string& identity, zmq::socket_t registrar,
                               ControlContext ctx, const CurveKeys& curve)
    : control_(context, zmq::socket_type::router),
      registrar_(std::move(registrar)),
      ctx_(std::move(ctx)),
      signer_(ctx_.session->signer()) {
  control_.set(zmq::sockopt::routing_id, identity);
  control_.set(zmq::sockopt::linger, 3000);
  apply_curve(control_, curve);
  control_.connect(control_url);
}

ControlChannel::~ControlChannel() { stop(false); }

void ControlChannel::start() { thread_ = start_thread_without_signals([this] { run(); }); }

void ControlChannel::stop(bool unregister) {
  if (thread_.joinable()) {
    unregister_on_stop_ = unregister;
    stop_fd_.notify();
    thread_.join();
  }
  if (control_.handle() != nullptr) control_.close();
  if (registrar_.handle() != nullptr) registrar_.close();
}

void ControlChannel::publish_status(const char* state, const nlohmann::json& parent) {
  ctx_.iopub->publish(ctx_.session->encode_iopub(engine_topic(ctx_.engine_id, "status"), "status",
                                                 {{"execution_state", state}}, parent));
}

void ControlChannel::reply(const wire::Message& request, std::string_view msg_type,
                           nlohmann::json content, nlohmann::json metadata) {
  wire::Message msg =
      ctx_.session->make(msg_type, std::move(content), request.header, std::move(metadata));
  msg.identities = request.identities;
  zmq::send_multipart(control_, ctx_.session->encode(std::move(msg)));
}

void ControlChannel::run() {
  util::PollLoop loop;
  loop.add(control_, [this] { on_control_readable(); });
  loop.add_fd(replies_.fd(), [this] {
    while (auto frames = replies_.pop()) zmq::send_multipart(control_, *frames);
  });
  if (signal_pipe_fd() >= 0) loop.add_fd(signal_pipe_fd(), [this] { on_signals(); });
  loop.add_fd(stop_fd_.fd(), [&loop] { loop.stop(); });
  if (ctx_.heart != nullptr && ctx_.max_heartbeat_misses > 0) {
    int period = ctx_.hb_period_ms + 500;
    ctx_.log->info("Starting to monitor the heartbeat signal from the hub every {} ms.", period);
    loop.every(std::chrono::milliseconds(period), [this] { check_heartbeat(); });
  } else {
    ctx_.log->info("Monitoring of the heartbeat signal from the hub is not enabled.");
  }
  // Deliver requested signals once their reply is on its way: a SIGKILL
  // must not overtake the reply (newest clients block on it).
  loop.every(std::chrono::milliseconds(50), [this] {
    if (pending_signals_.empty()) return;
    auto signals = std::move(pending_signals_);
    pending_signals_.clear();
    for (int sig : signals) ::kill(::getpid(), sig);
  });
  loop.run();
  // Replies for the last forwarded requests.
  while (auto frames = replies_.pop()) zmq::send_multipart(control_, *frames);
  if (unregister_on_stop_ && !unregistered_) {
    send_unregistration(registrar_, *ctx_.session, ctx_.engine_id);
    unregistered_ = true;
  }
}

void ControlChannel::on_control_readable() {
  for (int n = 0; n < util::PollLoop::kMaxBatch; ++n) {
    wire::Frames frames;
    if (!zmq::recv_multipart(control_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      return;
    }
    std::string error;
    auto msg = wire::decode(std::move(frames), signer_, &history_, &error);
    if (!msg) {
      ctx_.log->error("Invalid Control Message: {}", error);
      continue;
    }
    try {
      handle(*msg);
    } catch (const std::exception& e) {
      ctx_.log->error("Exception in control handler: {}", e.what());
    }
  }
}

void ControlChannel::handle(wire::Message& request) {
  const std::string msg_type = request.msg_type();
  ctx_.log->debug("Control received: {}", msg_type);
  if (msg_type == "signal_request") {
    // The Python engine's nanny answers this one, without IOPub status.
    signal_request(request);
    return;
  }
  static const char* const kHere[] = {"abort_request", "interrupt_request", "shutdown_request",
                                      "kernel_info_request"};
  bool here = false;
  for (const char* t : kHere) here = here || msg_type == t;
  if (!here) {
    // clear_request and shell types: the shell loop (Python) handles them
    // between two shell requests, with busy/idle.
    ctx_.shell_commands->push(ShellCommand{ShellCommand::Kind::Request, std::move(request)});
    return;
  }
  const nlohmann::json parent = request.header;
  publish_status("busy", parent);
  nlohmann::json engine_md{{"engine", ctx_.session->uuid()}};
  if (msg_type == "abort_request") {
    // kernel.py abort_request; a null/missing msg_ids makes the Python
    // handler raise before replying, so no reply here either.
    const auto& ids = request.content.is_object() ? request.content.value("msg_ids", nlohmann::json())
                                                  : nlohmann::json();
    if (ids.is_null()) {
      ctx_.log->error("Exception in control handler: abort_request without msg_ids");
    } else {
      nlohmann::json list = ids.is_string() ? nlohmann::json::array({ids}) : ids;
      if (!list.is_array() || list.empty()) {
        ctx_.shell_commands->push(ShellCommand{ShellCommand::Kind::AbortQueue, {}});
      }
      if (list.is_array()) {
        for (const auto& id : list) {
          ctx_.aborted->add(id.is_string() ? id.get<std::string>() : id.dump());
        }
      }
      reply(request, "abort_reply", {{"status", "ok"}});
    }
  } else if (msg_type == "interrupt_request") {
    interrupt_engine_process();
    reply(request, "interrupt_reply", request.content);
  } else if (msg_type == "kernel_info_request") {
    reply(request, "kernel_info_reply", ctx_.kernel_info);
  } else if (msg_type == "shutdown_request") {
    shutdown_request(request);
  }
  publish_status("idle", parent);
}

void ControlChannel::signal_request(const wire::Message& request) {
  // nanny.py signal_request: sig may be an int or a signal module name;
  // the reply's msg_type is literally "_request" (a bug of 7.1 and newest,
  // kept: clients match replies on parent msg_id only), metadata {}.
  nlohmann::json sig = request.content.is_object() ? request.content.value("sig", nlohmann::json())
                                                   : nlohmann::json();
  std::optional<int> number = requested_signal(sig);
  if (!number) {
    std::string text = sig.is_string() ? sig.get<std::string>() : sig.dump();
    nlohmann::json content =
        sig.is_string() ? error_content("AttributeError",
                                        "module 'signal' has no attribute '" + text + "'")
                        : error_content("ValueError", "invalid signal value: " + text);
    wire::Message msg = ctx_.session->make("_request", std::move(content), request.header,
                                           nlohmann::json::object(), /*add_engine=*/false);
    msg.identities = request.identities;
    zmq::send_multipart(control_, ctx_.session->encode(std::move(msg)));
    return;
  }
  ctx_.log->info("Sending signal {} to pid {}", *number, ::getpid());
  wire::Message msg = ctx_.session->make("_request", {{"status", "ok"}}, request.header,
                                         nlohmann::json::object(), /*add_engine=*/false);
  msg.identities = request.identities;
  zmq::send_multipart(control_, ctx_.session->encode(std::move(msg)));
  if (*number == SIGINT) {
    // Survivable: interrupt now, the running request gets KeyboardInterrupt.
    ::kill(::getpid(), SIGINT);
  } else {
    pending_signals_.push_back(*number);
  }
}

void ControlChannel::shutdown_request(const wire::Message& request) {
  bool restart = request.content.is_object() && request.content.value("restart", false);
  nlohmann::json content{{"status", "ok"}, {"restart", restart}};
  reply(request, "shutdown_reply", content, {{"engine", ctx_.session->uuid()}});
  if (!stopping_) {
    terminate_children(*ctx_.log);
    ctx_.iopub->publish(ctx_.session->encode_iopub(engine_topic(ctx_.engine_id, "shutdown"),
                                                   "shutdown_reply", content, request.header,
                                                   /*add_engine=*/false));
    stopping_ = true;
    if (ctx_.request_stop) ctx_.request_stop(0);
  }
}

void ControlChannel::check_heartbeat() {
  // IPEngine._hb_monitor: a check with no ping since the previous check is
  // a miss. The first check never counts (last_check_ starts at 0).
  auto now = Heart::Clock::now();
  if (last_check_.time_since_epoch().count() != 0 && ctx_.heart->last_ping() < last_check_) {
    ++missed_beats_;
    ctx_.log->warn("No heartbeat in the last {} ms ({} time(s) in a row).",
                   ctx_.hb_period_ms + 500, missed_beats_);
  } else {
    missed_beats_ = 0;
  }
  if (missed_beats_ >= ctx_.max_heartbeat_misses && !stopping_) {
    ctx_.log->critical(
        "Maximum number of heartbeats misses reached ({} times {} ms), shutting down.",
        ctx_.max_heartbeat_misses, ctx_.hb_period_ms + 500);
    send_unregistration(registrar_, *ctx_.session, ctx_.engine_id);
    unregistered_ = true;
    stopping_ = true;
    if (ctx_.request_stop) ctx_.request_stop(0);
  }
  last_check_ = now;
}

void ControlChannel::on_signals() {
  for (int sig : read_signals()) {
    if (sig == SIGINT) {
      ctx_.log->warn("Ignoring SIGINT. Terminate with SIGTERM.");
    } else if (!stopping_) {
      ctx_.log->critical("received signal {}, stopping", sig);
      stopping_ = true;
      if (ctx_.request_stop) ctx_.request_stop(0);
    }
  }
}

}  // namespace ipp::engine

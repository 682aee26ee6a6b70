// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/kernel.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <zmq_addon.hpp>

#include "ipp/util/iso8601.hpp"
#include "ipp/wire/codec.hpp"

namespace ipp::engine {

void CurrentParent::set(nlohmann::json header) {
  std::lock_guard lock(mutex_);
  header_ = std::move(header);
}

nlohmann::json CurrentParent::get() const {
  std::lock_guard lock(mutex_);
  return header_;
}

std::string engine_topic(int engine_id, std::string_view kind) {
  return "engine." + std::to_string(engine_id) + "." + std::string(kind);
}

Kernel::Kernel(KernelContext context)
    : ctx_(std::move(context)), signer_(ctx_.session->signer()) {}

void Kernel::publish_status(const char* state, const nlohmann::json& parent) {
  ctx_.iopub->publish(ctx_.session->encode_iopub(engine_topic(ctx_.engine_id, "status"), "status",
                                                 {{"execution_state", state}}, parent));
}

void Kernel::send_reply(const wire::Message& request, std::string_view msg_type,
                        nlohmann::json content, nlohmann::json metadata, const Reply& reply,
                        std::vector<zmq::message_t> buffers) {
  wire::Message msg =
      ctx_.session->make(msg_type, std::move(content), request.header, std::move(metadata));
  // Echo the whole routing prefix: mux_out/task_out/sub_scheduler_* first,
  // then the client's id (README "Routing envelopes").
  msg.identities = request.identities;
  msg.buffers = std::move(buffers);
  reply(ctx_.session->encode(std::move(msg)));
}

void Kernel::send_aborted(const wire::Message& request, const Reply& reply) {
  // kernel.py _send_abort_reply: <x>_reply, {"status": "aborted"}, metadata
  // init + finish + status.
  ctx_.log->info("Aborting {}: {}", request.msg_id(), request.msg_type());
  nlohmann::json status{{"status", "aborted"}};
  nlohmann::json md = init_metadata(request.metadata, ctx_.session->uuid(), util::iso8601_now());
  finish_metadata(md, status, ctx_.session->uuid(), ctx_.engine_id);
  md["status"] = "aborted";
  send_reply(request, reply_type(request.msg_type()), status, std::move(md), reply);
}

void Kernel::receive_one(zmq::socket_t& shell) {
  wire::Frames frames;
  if (!zmq::recv_multipart(shell, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
  std::string error;
  auto msg = wire::decode(std::move(frames), signer_, &history_, &error);
  if (!msg) {
    // Session.deserialize failing in dispatch_shell: logged, nothing sent.
    ctx_.log->error("Invalid Message: {}", error);
    return;
  }
  pending_.push_back(Pending{std::move(*msg), false});
}

void Kernel::abort_queue(zmq::socket_t& shell) {
  // kernelbase _abort_queues: execute_requests already waiting are
  // answered "aborted"; with stop_on_error_timeout, those arriving within
  // it too.
  ctx_.log->info("Aborting queue");
  for (int i = 0; i < 100000; ++i) {
    zmq::pollitem_t item{shell.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(0));
    if (!(item.revents & ZMQ_POLLIN)) break;
    receive_one(shell);
  }
  for (auto& p : pending_) p.abort_if_execute = true;
  if (ctx_.stop_on_error_timeout.count() > 0) {
    aborting_until_ = std::chrono::steady_clock::now() + ctx_.stop_on_error_timeout;
  }
}

void Kernel::run(zmq::socket_t& shell, Mailbox<ShellCommand>& commands,
                 const std::function<void(wire::Frames)>& control_replies) {
  const Reply shell_reply = [&shell](wire::Frames frames) {
    zmq::send_multipart(shell, frames);
  };
  for (;;) {
    while (auto command = commands.pop()) {
      switch (command->kind) {
        case ShellCommand::Kind::Stop:
          return;
        case ShellCommand::Kind::AbortQueue:
          abort_queue(shell);
          break;
        case ShellCommand::Kind::Request: {
          Pending p{std::move(command->request), false};
          if (!handle(p, Channel::Control, control_replies)) return;
          if (abort_requested_) {
            abort_requested_ = false;
            abort_queue(shell);
          }
          break;
        }
      }
    }
    if (!pending_.empty()) {
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      bool go_on = handle(p, Channel::Shell, shell_reply);
      if (abort_requested_) {
        abort_requested_ = false;
        abort_queue(shell);
      }
      if (!go_on) return;
      continue;
    }
    zmq::pollitem_t items[] = {{shell.handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, commands.fd(), ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(-1));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      if (e.num() == ETERM) return;
      throw;
    }
    if (items[0].revents & ZMQ_POLLIN) receive_one(shell);
  }
}

bool Kernel::handle(Pending& pending, Channel channel, const Reply& reply) {
  wire::Message& request = pending.msg;
  const std::string msg_type = request.msg_type();
  const nlohmann::json parent = request.header;
  // dispatch_shell: set_parent, then busy. Stream output goes to the
  // latest shell request (only the shell channel sets it, as ipykernel).
  if (channel == Channel::Shell) ctx_.parent->set(parent);
  publish_status("busy", parent);

  bool go_on = true;
  try {
    if (channel == Channel::Shell) {
      bool aborting = pending.abort_if_execute ||
                      (aborting_until_ && std::chrono::steady_clock::now() < *aborting_until_);
      if (aborting && msg_type == "execute_request") {
        send_aborted(request, reply);
        publish_status("idle", parent);
        return true;
      }
      if (ctx_.aborted->take(request.msg_id())) {
        // should_handle. The Python engine sends no idle here; we do, so
        // a client waiting for this request's output is not left waiting.
        send_aborted(request, reply);
        publish_status("idle", parent);
        return true;
      }
      ctx_.log->info("Handling {}: {}", msg_type, request.msg_id());
    }

    ctx_.python->begin_request(request);
    if (msg_type == "apply_request") {
      apply_request(request, reply);
    } else if (msg_type == "execute_request") {
      execute_request(request, reply);
    } else if (msg_type == "kernel_info_request") {
      if (!kernel_info_) kernel_info_ = ctx_.python->kernel_info();
      send_reply(request, "kernel_info_reply", *kernel_info_, nlohmann::json::object(), reply);
    } else if (msg_type == "clear_request" && channel == Channel::Control) {
      ctx_.python->clear();
      send_reply(request, "clear_reply", {{"status", "ok"}}, nlohmann::json::object(), reply);
    } else if (msg_type == "interrupt_request") {
      interrupt_engine_process();
      send_reply(request, "interrupt_reply", request.content, nlohmann::json::object(), reply);
    } else if (msg_type == "shutdown_request") {
      shutdown_request(request, reply);
      go_on = false;
    } else {
      auto replies =
          ctx_.python->delegate(request, channel == Channel::Shell ? "shell" : "control");
      if (!replies) {
        if (channel == Channel::Shell) {
          ctx_.log->warn("Unknown message type: '{}'", msg_type);
        } else {
          ctx_.log->error("UNKNOWN CONTROL MESSAGE TYPE: '{}'", msg_type);
        }
      } else {
        for (auto& frames : *replies) reply(std::move(frames));
      }
    }
  } catch (const std::exception& e) {
    // A per-message guard (STYLE.md section 4): log, keep serving.
    ctx_.log->error("Exception in message handler for {}: {}", msg_type, e.what());
  }
  if (ctx_.output != nullptr) ctx_.output->flush_all();
  publish_status("idle", parent);
  return go_on;
}

void Kernel::apply_request(wire::Message& request, const Reply& reply) {
  nlohmann::json md = init_metadata(request.metadata, ctx_.session->uuid(), util::iso8601_now());
  ApplyOutcome out;
  {
    PythonRuntime::RequestScope scope(*ctx_.python);
    out = ctx_.python->apply(request);
  }
  finish_metadata(md, out.content, ctx_.session->uuid(), ctx_.engine_id);
  // "flush i/o" before the reply, so output precedes it on the wire.
  if (ctx_.output != nullptr) ctx_.output->flush_all();
  ctx_.iopub->wait_sent(std::chrono::milliseconds(10000));
  ctx_.log->debug("Sending apply_reply: {}", request.msg_id());
  send_reply(request, "apply_reply", std::move(out.content), std::move(md), reply,
             std::move(out.buffers));
}

void Kernel::execute_request(wire::Message& request, const Reply& reply) {
  nlohmann::json md = init_metadata(request.metadata, ctx_.session->uuid(), util::iso8601_now());
  std::optional<ExecuteOutcome> out;
  {
    PythonRuntime::RequestScope scope(*ctx_.python);
    out = ctx_.python->execute(request);
  }
  if (!out) return;  // "Got bad msg": no reply
  finish_metadata(md, out->content, ctx_.session->uuid(), ctx_.engine_id);
  if (ctx_.output != nullptr) ctx_.output->flush_all();
  ctx_.iopub->wait_sent(std::chrono::milliseconds(10000));
  send_reply(request, "execute_reply", std::move(out->content), std::move(md), reply);
  if (out->abort_queue_on_error) {
    // The reply is an error of a non-silent request with stop_on_error:
    // run() aborts the waiting execute_requests next (_abort_queues).
    abort_requested_ = true;
  }
}

void Kernel::shutdown_request(const wire::Message& request, const Reply& reply) {
  bool restart = request.content.is_object() && request.content.value("restart", false);
  nlohmann::json content{{"status", "ok"}, {"restart", restart}};
  send_reply(request, "shutdown_reply", content, nlohmann::json::object(), reply);
  terminate_children(*ctx_.log);
  // _at_shutdown: the same content under a new msg_id on IOPub, metadata {}
  // (a ready-made dict in Python, so no engine key); the hub unregisters
  // the engine when it sees it.
  ctx_.iopub->publish(ctx_.session->encode_iopub(engine_topic(ctx_.engine_id, "shutdown"),
                                                 "shutdown_reply", content, request.header,
                                                 /*add_engine=*/false));
  if (ctx_.on_shutdown) ctx_.on_shutdown();
}

void interrupt_engine_process() {
  pid_t pid = ::getpid();
  pid_t pgid = ::getpgid(pid);
  if (pgid > 0 && pgid == pid && ::killpg(pgid, SIGINT) == 0) return;
  ::kill(pid, SIGINT);
}

namespace {

// pid -> (ppid, pgid) of every process, from /proc/<pid>/stat.
std::map<pid_t, std::pair<pid_t, pid_t>> process_table() {
  std::map<pid_t, std::pair<pid_t, pid_t>> table;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return table;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 1));
    std::string state;
    long ppid = 0;
    long pgrp = 0;
    if (!(rest >> state >> ppid >> pgrp)) continue;
    if (state == "Z") continue;  // already dead, only waiting to be reaped
    table[static_cast<pid_t>(pid)] = {static_cast<pid_t>(ppid), static_cast<pid_t>(pgrp)};
  }
  ::closedir(dir);
  return table;
}

// ipykernel _process_children: descendants in our process group.
std::vector<pid_t> group_children() {
  auto table = process_table();
  pid_t self = ::getpid();
  pid_t group = ::getpgrp();
  std::set<pid_t> ours{self};
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& [pid, info] : table) {
      if (!ours.count(pid) && ours.count(info.first)) {
        ours.insert(pid);
        grew = true;
      }
    }
  }
  std::vector<pid_t> out;
  for (pid_t pid : ours) {
    if (pid != self && table[pid].second == group) out.push_back(pid);
  }
  return out;
}

}  // namespace

void terminate_children(spdlog::logger& log) {
  static constexpr int kSleepsMs[] = {10, 30, 100, 300, 1000, 3000, 10000};
  if (group_children().empty()) {
    log.debug("Kernel has no children.");
    return;
  }
  for (int sig : {SIGTERM, SIGKILL}) {
    for (int delay : kSleepsMs) {
      auto children = group_children();
      if (children.empty()) {
        log.debug("No more children, continuing shutdown routine.");
        return;
      }
      for (pid_t pid : children) {
        log.debug("Sending signal {} to subprocess {}", sig, pid);
        ::kill(pid, sig);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
  }
}

}  // namespace ipp::engine

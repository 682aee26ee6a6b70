// SPDX-License-Identifier: BSD-3-Clause
#include <iterator>

#include <spdlog/spdlog.h>

#include "app/controller_loops.hpp"
#include "ipp/scheduler/monitor_feed.hpp"
#include "ipp/scheduler/task_scheduler.hpp"
#include "ipp/util/rate_limited_log.hpp"
#include "ipp/wire/codec.hpp"

namespace ipp::app {
namespace {

// The load-balancing scheduler's thread (Python runs it as a process). With
// scheme "pure" there is no scheduling logic: the engine side is a DEALER
// that round-robins requests, as Python's pure ZMQ queue.
class TaskLoop : public Loop, public scheduler::TaskSchedulerOutput {
 public:
  TaskLoop(TaskSockets sockets, const ControllerSettings& settings)
      : s_(std::move(sockets)),
        session_(settings.session),
        pure_(settings.scheme == "pure"),
        monitor_(s_.monitor) {
    if (!pure_) {
      scheduler::TaskSchedulerOptions options;
      options.scheme = scheduler::parse_scheme(settings.scheme);
      options.hwm = static_cast<std::uint32_t>(std::max(0, settings.hwm));
      scheduler_ = std::make_unique<scheduler::TaskScheduler>(options, session_, *this);
    }
  }

  void run() override {
    loop_.add(s_.client, [this] { on_client(); });
    loop_.add(s_.engine, [this] { on_engine(); });
    loop_.add(s_.events, [this] { on_event(); });
    if (scheduler_) loop_.every(std::chrono::milliseconds(50), [this] { scheduler_->tick(); });
    loop_.every(std::chrono::seconds(1), [this] { log_.flush(); });
    loop_.after_each_round([this] { monitor_.flush(); });
    loop_.run();
  }

 private:
  void on_client() {
    for (int i = 0; i < util::PollLoop::kMaxBatch; ++i) {
      std::optional<wire::RawMessage> raw;
      if (!receive_verified(s_.client, session_.signer(), client_history_, log_, "task scheduler (client side)", &raw)) return;
      if (!raw) continue;
      if (scheduler_) {
        scheduler_->on_client_request(std::move(*raw));
      } else {
        // pure: [C, |, msg] goes out of the DEALER unchanged; the hub still
        // gets its "intask" copy.
        monitor_.post("intask", raw->frames());
        wire::Frames out = std::move(*raw).release();
        zmq::send_multipart(s_.engine, out);
      }
    }
  }

  void on_engine() {
    for (int i = 0; i < util::PollLoop::kMaxBatch; ++i) {
      if (scheduler_) {
        std::optional<wire::RawMessage> raw;
        if (!receive_verified(s_.engine, session_.signer(), engine_history_, log_, "task scheduler (engine side)", &raw)) return;
        if (raw) scheduler_->on_engine_reply(std::move(*raw));
      } else {
        // pure: the DEALER strips nothing, the reply is [C, |, reply].
        wire::Frames frames;
        if (!zmq::recv_multipart(s_.engine, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
        monitor_.post("outtask", frames);
        send_to_client(std::move(frames));
      }
    }
  }

  void on_event() {
    if (!scheduler_) {  // pure: nothing to track
      drain_engine_events(s_.events, [](std::string_view) {}, [](std::string_view) {});
      return;
    }
    drain_engine_events(
        s_.events, [this](std::string_view uuid) { scheduler_->add_engine(uuid); },
        [this](std::string_view uuid) {
          // Replies already queued from that engine count first, as Python
          // flushes the engine stream before handling the unregistration.
          on_engine();
          scheduler_->remove_engine(uuid);
        });
  }

  // scheduler::TaskSchedulerOutput
  void send_to_engine(wire::Frames&& frames) override { zmq::send_multipart(s_.engine, frames); }
  void send_to_client(wire::Frames&& frames) override {
    try {
      zmq::send_multipart(s_.client, frames);
    } catch (const zmq::error_t& e) {
      if (e.num() != EHOSTUNREACH) throw;
      log_.warn("unroutable", "task scheduler: a reply's client has gone away");
    }
  }
  void send_to_monitor(wire::Frames&& frames) override { monitor_.post(std::move(frames)); }

  TaskSockets s_;
  wire::Session session_;
  bool pure_;
  scheduler::MonitorFeed monitor_;
  std::unique_ptr<scheduler::TaskScheduler> scheduler_;
  wire::DigestHistory client_history_;
  wire::DigestHistory engine_history_;
  util::PollLoop loop_;
  util::RateLimitedLog log_;
};

}  // namespace

std::unique_ptr<Loop> make_task_loop(TaskSockets sockets, const ControllerSettings& settings) {
  return std::make_unique<TaskLoop>(std::move(sockets), settings);
}

}  // namespace ipp::app

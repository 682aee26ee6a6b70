// SPDX-License-Identifier: BSD-3-Clause
#include <iterator>

#include "app/controller_loops.hpp"
#include "ipp/scheduler/broadcast_scheduler.hpp"
#include "ipp/util/rate_limited_log.hpp"
#include "ipp/wire/codec.hpp"

namespace ipp::app {
namespace {

// The whole broadcast tree on one thread: the root's client ROUTER and the
// 2**depth leaf ROUTERs engines connect to. Python runs 2**(depth+1) - 1
// processes linked by internal sockets; the engines cannot tell the
// difference (BroadcastScheduler adds the inner nodes' routing frames).
class BroadcastLoop : public Loop, public scheduler::BroadcastSchedulerOutput {
 public:
  BroadcastLoop(BroadcastSockets sockets, const ControllerSettings& settings)
      : s_(std::move(sockets)), session_(settings.session) {
    scheduler::BroadcastSchedulerOptions options;
    options.depth = static_cast<unsigned>(std::max(0, settings.broadcast_depth));
    // Python clients fail their own broadcast copies on a dead engine as
    // soon as they see its unregistration_notification; a late reply from
    // us would only make them print "got unknown result".
    options.answer_for_dead_engines = false;
    scheduler_ = std::make_unique<scheduler::BroadcastScheduler>(options, session_, *this);
  }

  void run() override {
    loop_.add(s_.client, [this] { on_client(); });
    for (auto& leaf : s_.leaves) {
      loop_.add(leaf, [this, &leaf] { on_leaf(leaf); });
    }
    loop_.add(s_.events, [this] { on_event(); });
    loop_.every(std::chrono::milliseconds(100), [this] { scheduler_->tick(); });
    loop_.every(std::chrono::seconds(1), [this] { log_.flush(); });
    loop_.run();
  }

 private:
  void on_client() {
    for (int i = 0; i < util::PollLoop::kMaxBatch; ++i) {
      std::optional<wire::RawMessage> raw;
      if (!receive_verified(s_.client, session_.signer(), client_history_, log_, "broadcast (client side)", &raw)) return;
      if (raw) scheduler_->on_client_request(std::move(*raw));
    }
  }

  void on_leaf(zmq::socket_t& leaf) {
    for (int i = 0; i < util::PollLoop::kMaxBatch; ++i) {
      std::optional<wire::RawMessage> raw;
      if (!receive_verified(leaf, session_.signer(), engine_history_, log_, "broadcast (engine side)", &raw)) return;
      if (raw) scheduler_->on_engine_reply(std::move(*raw));
    }
  }

  void on_event() {
    drain_engine_events(
        s_.events, [this](std::string_view uuid) { scheduler_->add_engine(uuid); },
        [this](std::string_view uuid) { scheduler_->remove_engine(uuid); });
  }

  // scheduler::BroadcastSchedulerOutput
  void send_to_engine(std::size_t leaf, wire::Frames&& frames) override {
    if (leaf >= s_.leaves.size()) return;
    zmq::send_multipart(s_.leaves[leaf], frames);
  }
  void send_to_client(wire::Frames&& frames) override {
    try {
      zmq::send_multipart(s_.client, frames);
    } catch (const zmq::error_t& e) {
      if (e.num() != EHOSTUNREACH) throw;
    }
  }

  BroadcastSockets s_;
  wire::Session session_;
  std::unique_ptr<scheduler::BroadcastScheduler> scheduler_;
  wire::DigestHistory client_history_;
  wire::DigestHistory engine_history_;
  util::PollLoop loop_;
  util::RateLimitedLog log_;
};

}  // namespace

std::unique_ptr<Loop> make_broadcast_loop(BroadcastSockets sockets, const ControllerSettings& settings) {
  return std::make_unique<BroadcastLoop>(std::move(sockets), settings);
}

}  // namespace ipp::app

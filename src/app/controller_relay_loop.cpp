// SPDX-License-Identifier: BSD-3-Clause
#include "app/controller_loops.hpp"
#include "ipp/scheduler/iopub_relay.hpp"
#include "ipp/scheduler/mux_queue.hpp"

namespace ipp::app {
namespace {

// MUX, control and IOPub relays share one thread: they do no work beyond
// moving frames (no JSON parsing), so one core keeps up with them; Python
// needs a process each.
class RelayLoop : public Loop {
 public:
  RelayLoop(RelaySockets sockets, wire::SessionOptions session)
      : s_(std::move(sockets)),
        session_(std::move(session)),
        monitor_(s_.monitor),
        mux_("mux", s_.mux_client, s_.mux_engine, monitor_, "in", "out", session_),
        control_("control", s_.control_client, s_.control_engine, monitor_, "incontrol",
                 "outcontrol", session_),
        iopub_(s_.iopub_engine, s_.iopub_client, monitor_, session_.signer()) {}

  void run() override {
    loop_.add(s_.mux_client, [this] { mux_.on_client_readable(); });
    loop_.add(s_.mux_engine, [this] { mux_.on_engine_readable(); });
    loop_.add(s_.control_client, [this] { control_.on_client_readable(); });
    loop_.add(s_.control_engine, [this] { control_.on_engine_readable(); });
    loop_.add(s_.iopub_engine, [this] { iopub_.on_engine_readable(); });
    loop_.after_each_round([this] { monitor_.flush(); });
    loop_.run();
  }

 private:
  RelaySockets s_;
  wire::Session session_;
  scheduler::MonitorFeed monitor_;
  scheduler::MuxQueue mux_;
  scheduler::MuxQueue control_;
  scheduler::IopubRelay iopub_;
  util::PollLoop loop_;
};

}  // namespace

std::unique_ptr<Loop> make_relay_loop(RelaySockets sockets, wire::SessionOptions session) {
  return std::make_unique<RelayLoop>(std::move(sockets), std::move(session));
}

}  // namespace ipp::app

// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "ipp/scheduler/monitor_feed.hpp"
#include "ipp/util/rate_limited_log.hpp"
#include "ipp/wire/codec.hpp"
#include "ipp/wire/digest_history.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::scheduler {

// The MUX and control relays: a ROUTER facing clients and a ROUTER facing
// engines, as zmq.devices.MonitoredQueue(ROUTER, ROUTER, PUB) in
// controller/app.py. Each message has its first two routing frames swapped
// (client C sends [E, |, msg], the engine gets [mux_out, C, |, msg]) and is
// otherwise forwarded byte for byte; a copy goes to the hub's monitor
// socket with the topic in front ("in"/"out", "incontrol"/"outcontrol").
//
// Deliberate deviations from Python, both "compatible on the wire, better
// in behaviour":
//  * messages that are unsigned, mis-signed, replayed or malformed are
//    dropped here (rate-limited log), so the engine and hub never see them;
//  * a request for an engine that is not connected is answered with an
//    error reply (ename EngineError, empty engine_info, so the client stops
//    waiting for output) instead of vanishing in libzmq and hanging the
//    client forever. The engine-side ROUTER must have ZMQ_ROUTER_MANDATORY.
//
// Not thread-safe: lives on the relay thread with its sockets.
class MuxQueue {
 public:
  // `session` signs the error replies; the sockets must outlive the queue.
  MuxQueue(std::string name, zmq::socket_t& client_side, zmq::socket_t& engine_side,
           MonitorFeed& monitor, std::string in_topic, std::string out_topic,
           wire::Session& session);

  // Drain at most PollLoop::kMaxBatch messages from one side.
  void on_client_readable();
  void on_engine_readable();

  std::uint64_t forwarded() const { return forwarded_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  bool forward(wire::Frames&& frames, bool from_client);
  void reply_unreachable(wire::RawMessage&& request);

  std::string name_;
  zmq::socket_t& client_;
  zmq::socket_t& engine_;
  MonitorFeed& monitor_;
  std::string in_topic_;
  std::string out_topic_;
  wire::Session& session_;
  wire::DigestHistory client_history_;
  wire::DigestHistory engine_history_;
  util::RateLimitedLog log_;
  std::uint64_t forwarded_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace ipp::scheduler

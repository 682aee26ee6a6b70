// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>

#include <zmq.hpp>

#include "ipp/scheduler/monitor_feed.hpp"
#include "ipp/util/rate_limited_log.hpp"
#include "ipp/wire/digest_history.hpp"
#include "ipp/wire/signer.hpp"

namespace ipp::scheduler {

// The IOPub relay: engines' PUB -> our SUB (subscribed to everything) ->
// our PUB -> clients' SUB, all frames unchanged including the engine's topic
// frame, plus a copy to the hub's monitor with topic "iopub" (the hub
// records output and sees shutdown_reply there).
//
// Messages without the delimiter or with a bad signature are dropped here
// (Python relays them and lets every client reject them). A message with
// no topic frame (newest engines' iopub_welcome) is relayed to clients but
// not sent to the hub, which could not attribute it.
//
// Not thread-safe: lives on the relay thread with its sockets.
class IopubRelay {
 public:
  IopubRelay(zmq::socket_t& engine_side, zmq::socket_t& client_side, MonitorFeed& monitor,
             const wire::Signer& signer);

  void on_engine_readable();

  std::uint64_t forwarded() const { return forwarded_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  zmq::socket_t& engine_;
  zmq::socket_t& client_;
  MonitorFeed& monitor_;
  const wire::Signer& signer_;
  wire::DigestHistory history_;
  util::RateLimitedLog log_;
  std::uint64_t forwarded_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace ipp::scheduler

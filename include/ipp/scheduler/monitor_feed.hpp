// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "ipp/wire/codec.hpp"

namespace ipp::scheduler {

// The copies a loop thread sends to the hub's monitor socket ([topic,
// frames...] per message, hub-and-db.md section 2), batched: one inproc
// message carries every copy posted since the last flush, as a pointer to
// the batch. Sending each copy as its own multipart message cost a zmq
// send per frame and, under load, a hub thread wake-up per task; a batch
// costs one of each per loop round.
//
// The pointer travels in a zmq message whose free function owns the batch
// (zmq_msg_init_data), so a batch the hub never receives (shutdown) is
// freed with the message. inproc endpoints are private to the process, so
// only our loops can put a message on the monitor socket.
//
// Not thread-safe: one feed per loop thread, on the PUSH socket that loop
// owns. The loop flushes it at the end of every poll round
// (PollLoop::after_each_round); a feed also flushes by itself once
// kMaxPending copies are waiting, which bounds the delay and the memory.
class MonitorFeed {
 public:
  using Batch = std::vector<wire::Frames>;
  static constexpr std::size_t kMaxPending = 64;

  explicit MonitorFeed(zmq::socket_t& socket);
  MonitorFeed(const MonitorFeed&) = delete;
  MonitorFeed& operator=(const MonitorFeed&) = delete;

  // [topic] + reference-counted copies of `frames` (zmq_msg_copy shares the
  // data of large frames: buffers are never copied).
  void post(std::string_view topic, const wire::Frames& frames);
  // A message that already starts with its topic frame.
  void post(wire::Frames&& message);
  // Sends what was posted, if anything, as one message.
  void flush();
  std::size_t pending() const { return batch_ ? batch_->size() : 0; }

  // On the hub's side: the copies one received message carries, moved
  // out. An empty batch for a message that is not a batch.
  static Batch take(zmq::message_t& message);

 private:
  zmq::socket_t& socket_;
  std::unique_ptr<Batch> batch_;
};

// Kept for the relays: posts [topic] + copies of `frames` to `feed`.
void send_monitor_copy(MonitorFeed& feed, std::string_view topic, const wire::Frames& frames);

}  // namespace ipp::scheduler

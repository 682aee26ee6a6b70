// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/monitor_feed.hpp"

namespace ipp::scheduler {
namespace {

// A batch message is exactly this many bytes: the Batch object itself.
// zmq_msg_init_data keeps the data pointer, which is what the hub reads.
void free_batch(void* data, void* /*hint*/) { delete static_cast<MonitorFeed::Batch*>(data); }

}  // namespace

MonitorFeed::MonitorFeed(zmq::socket_t& socket) : socket_(socket) {}

void MonitorFeed::post(std::string_view topic, const wire::Frames& frames) {
  wire::Frames message;
  message.reserve(frames.size() + 1);
  message.emplace_back(topic.data(), topic.size());
  for (const zmq::message_t& frame : frames) {
    message.emplace_back();
    message.back().copy(const_cast<zmq::message_t&>(frame));
  }
  post(std::move(message));
}

void MonitorFeed::post(wire::Frames&& message) {
  if (!batch_) {
    batch_ = std::make_unique<Batch>();
    batch_->reserve(kMaxPending);
  }
  batch_->push_back(std::move(message));
  if (batch_->size() >= kMaxPending) flush();
}

void MonitorFeed::flush() {
  if (!batch_ || batch_->empty()) return;
  Batch* batch = batch_.release();
  // From here the message owns the batch, whatever happens to the send.
  zmq::message_t message(batch, sizeof(Batch), &free_batch, nullptr);
  socket_.send(message, zmq::send_flags::none);
}

MonitorFeed::Batch MonitorFeed::take(zmq::message_t& message) {
  if (message.size() != sizeof(Batch) || message.more()) return {};
  return std::move(*static_cast<Batch*>(message.data()));
}

void send_monitor_copy(MonitorFeed& feed, std::string_view topic, const wire::Frames& frames) {
  feed.post(topic, frames);
}

}  // namespace ipp::scheduler

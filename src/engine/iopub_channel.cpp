// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/iopub_channel.hpp"

#include <cerrno>
#include <utility>
#include <vector>

#include <zmq_addon.hpp>

#include "ipp/engine/signals.hpp"

namespace ipp::engine {

IopubChannel::IopubChannel(zmq::context_t& context, const std::string& url,
                           const std::string& identity, std::shared_ptr<spdlog::logger> log,
                           const CurveKeys& curve)
    : socket_(context, zmq::socket_type::pub), log_(std::move(log)) {
  // engine/app.py: iopub_socket.SNDHWM = 0, IDENTITY uuid (no effect on PUB).
  socket_.set(zmq::sockopt::sndhwm, 0);
  socket_.set(zmq::sockopt::routing_id, identity);
  socket_.set(zmq::sockopt::linger, 3000);
  apply_curve(socket_, curve);
  socket_.connect(url);
}

IopubChannel::~IopubChannel() { stop(std::chrono::milliseconds(0)); }

void IopubChannel::set_flush_timer(std::function<std::optional<Clock::time_point>()> next_due,
                                   std::function<void()> on_due) {
  next_due_ = std::move(next_due);
  on_due_ = std::move(on_due);
}

void IopubChannel::start() {
  {
    std::lock_guard lock(mutex_);
    running_ = true;
  }
  thread_ = start_thread_without_signals([this] { run(); });
}

void IopubChannel::publish(wire::Frames frames) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(frames));
    ++queued_;
  }
  wake_.notify();
}

bool IopubChannel::wait_sent(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!running_) return queue_.empty();
  std::uint64_t target = queued_;
  return sent_cv_.wait_for(lock, timeout, [&] { return sent_ >= target || !running_; }) &&
         sent_ >= target;
}

bool IopubChannel::drain() {
  std::deque<wire::Frames> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
  }
  if (batch.empty()) return false;
  for (auto& frames : batch) {
    try {
      zmq::send_multipart(socket_, frames);
    } catch (const zmq::error_t& e) {
      // SNDHWM 0 means PUB never blocks; a failure here is ETERM at exit.
      log_->debug("IOPub send failed: {}", e.what());
    }
  }
  {
    std::lock_guard lock(mutex_);
    sent_ += batch.size();
  }
  sent_cv_.notify_all();
  return true;
}

void IopubChannel::run() {
  std::vector<zmq::pollitem_t> items{{nullptr, wake_.fd(), ZMQ_POLLIN, 0}};
  for (;;) {
    wake_.clear();
    drain();
    if (on_due_ && next_due_) {
      auto due = next_due_();
      if (due && *due <= Clock::now()) {
        on_due_();
        drain();
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (stopping_ && queue_.empty()) break;
    }
    long timeout = -1;
    if (next_due_) {
      if (auto due = next_due_()) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*due - Clock::now()).count();
        timeout = ms < 0 ? 0 : ms + 1;
      }
    }
    try {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(timeout));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) break;
    }
  }
  drain();
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  sent_cv_.notify_all();
}

void IopubChannel::stop(std::chrono::milliseconds linger) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify();
  if (thread_.joinable()) thread_.join();
  if (socket_.handle() != nullptr) {
    socket_.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
    socket_.close();
  }
}

}  // namespace ipp::engine

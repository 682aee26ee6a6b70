// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/heart.hpp"

#include <cerrno>
#include <cstdio>
#include <utility>

#include "ipp/engine/signals.hpp"

namespace ipp::engine {
namespace {

std::string stop_endpoint(const void* self) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "inproc://ipp-engine-heart-%p", self);
  return buf;
}

}  // namespace

Heart::Heart(zmq::context_t& context, const std::string& ping_url, const std::string& pong_url,
             const std::string& identity, std::shared_ptr<spdlog::logger> log,
             const CurveKeys& curve)
    : ping_(context, zmq::socket_type::sub),
      pong_(context, zmq::socket_type::dealer),
      stop_send_(context, zmq::socket_type::pair),
      stop_recv_(context, zmq::socket_type::pair),
      log_(std::move(log)),
      last_ping_(Clock::now().time_since_epoch().count()) {
  ping_.set(zmq::sockopt::subscribe, "");
  ping_.set(zmq::sockopt::linger, 0);
  pong_.set(zmq::sockopt::routing_id, identity);
  pong_.set(zmq::sockopt::linger, 0);
  apply_curve(ping_, curve);
  apply_curve(pong_, curve);
  ping_.connect(ping_url);
  pong_.connect(pong_url);
  stop_send_.set(zmq::sockopt::linger, 0);
  stop_recv_.set(zmq::sockopt::linger, 0);
  std::string endpoint = stop_endpoint(this);
  stop_recv_.bind(endpoint);
  stop_send_.connect(endpoint);
}

Heart::~Heart() { stop(); }

void Heart::start() { thread_ = start_thread_without_signals([this] { run(); }); }

void Heart::stop() {
  if (thread_.joinable()) {
    try {
      stop_send_.send(zmq::str_buffer("stop"), zmq::send_flags::dontwait);
    } catch (const zmq::error_t&) {
    }
    thread_.join();
  }
  // Every socket must be closed before the context can terminate.
  for (zmq::socket_t* s : {&ping_, &pong_, &stop_send_, &stop_recv_}) {
    if (s->handle() != nullptr) s->close();
  }
}

Heart::Clock::time_point Heart::last_ping() const {
  return Clock::time_point(Clock::duration(last_ping_.load(std::memory_order_relaxed)));
}

void Heart::run() {
  zmq::pollitem_t items[] = {{ping_.handle(), 0, ZMQ_POLLIN, 0},
                             {stop_recv_.handle(), 0, ZMQ_POLLIN, 0}};
  for (;;) {
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(-1));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      log_->error("heart: poll failed: {}", e.what());
      return;
    }
    if (items[1].revents & ZMQ_POLLIN) return;
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    // Echo every queued ping; each is a single frame, but forward whole
    // multipart messages unchanged like a zmq device would.
    for (int n = 0; n < 64; ++n) {
      zmq::message_t frame;
      try {
        if (!ping_.recv(frame, zmq::recv_flags::dontwait)) break;
        last_ping_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
        pings_.fetch_add(1, std::memory_order_relaxed);
        bool more = frame.more();
        pong_.send(frame, more ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                               : zmq::send_flags::dontwait);
        if (more) continue;
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) return;
        // EAGAIN: the controller's pong ROUTER is unreachable; the ping is
        // dropped, as a device with a full pipe would.
      }
    }
  }
}

}  // namespace ipp::engine

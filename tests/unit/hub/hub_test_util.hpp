// SPDX-License-Identifier: BSD-3-Clause
// Fakes and message builders shared by the hub tests.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ipp/hub/hub_error.hpp"
#include "ipp/hub/hub_output.hpp"
#include "ipp/hub/task_record.hpp"
#include "ipp/wire/message.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::hub::testing {

// The HubError `fn` throws (a test failure if it throws none).
inline HubError error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const HubError& e) {
    return e;
  }
  ADD_FAILURE() << "no HubError";
  return HubError("", "");
}

inline zmq::message_t frame(std::string_view bytes) { return zmq::message_t(bytes.data(), bytes.size()); }

inline std::string text(const zmq::message_t& frame) { return frame.to_string(); }

// A frame whose bytes live in a buffer of their own that reports when it
// is freed: stands for a slice of libzmq's receive buffer (zero-copy
// receive), which lives as long as any frame referring to it.
inline zmq::message_t tracked_frame(std::string bytes, bool* freed) {
  struct Buffer {
    std::string bytes;
    bool* freed;
  };
  auto* buffer = new Buffer{std::move(bytes), freed};
  *freed = false;
  return zmq::message_t(buffer->bytes.data(), buffer->bytes.size(),
                        [](void*, void* hint) {
                          auto* b = static_cast<Buffer*>(hint);
                          *b->freed = true;
                          delete b;
                        },
                        buffer);
}

// A copy of `msg` whose buffers share the frame data.
inline wire::Message copy(const wire::Message& msg) {
  wire::Message out;
  out.identities = msg.identities;
  out.header = msg.header;
  out.parent_header = msg.parent_header;
  out.metadata = msg.metadata;
  out.content = msg.content;
  out.buffers = share_frames(msg.buffers);
  return out;
}

// Records every call the Hub makes.
class FakeHubOutput : public HubOutput {
 public:
  struct EngineEvent {
    int id;
    std::string uuid;
    bool operator==(const EngineEvent&) const = default;
  };

  void send_query_reply(wire::Message&& reply) override { replies.push_back(std::move(reply)); }
  void publish_notification(wire::Message&& notification) override {
    notifications.push_back(std::move(notification));
  }
  void engine_registered(int id, const std::string& uuid) override { registered.push_back({id, uuid}); }
  void engine_unregistered(int id, const std::string& uuid) override {
    unregistered.push_back({id, uuid});
  }
  void resubmit_task(wire::Message&& request) override { resubmitted.push_back(std::move(request)); }
  void request_shutdown() override { ++shutdown_requests; }

  std::vector<wire::Message> replies;
  std::vector<wire::Message> notifications;
  std::vector<EngineEvent> registered;
  std::vector<EngineEvent> unregistered;
  std::vector<wire::Message> resubmitted;
  int shutdown_requests = 0;
};

// A hand-driven steady clock and wall clock.
struct FakeClocks {
  std::chrono::steady_clock::time_point steady{std::chrono::hours(1000)};
  util::TimePoint wall{std::chrono::seconds(1'800'000'000)};  // 2027-01-15T08:00:00Z

  void advance(std::chrono::milliseconds d) {
    steady += d;
    wall += d;
  }
};

}  // namespace ipp::hub::testing

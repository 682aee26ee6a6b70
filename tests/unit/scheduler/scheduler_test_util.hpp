// SPDX-License-Identifier: BSD-3-Clause
//
// Shared helpers of the scheduler tests: real signed frames built with
// wire::Session + encode, and views of recorded frames.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/wire/codec.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::scheduler::testing {

inline constexpr std::string_view kKey = "f84aae54-e1022fc2516dd0e58d8076cd";

inline std::string_view view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

inline std::vector<std::string> strings(const wire::Frames& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.emplace_back(view(f));
  return out;
}

// Index of the delimiter frame.
inline std::size_t delimiter_index(const wire::Frames& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (view(frames[i]) == wire::kDelimiter) return i;
  }
  ADD_FAILURE() << "no delimiter";
  return 0;
}

inline std::vector<std::string> routing(const wire::Frames& frames) {
  std::vector<std::string> out;
  const std::size_t d = delimiter_index(frames);
  for (std::size_t i = 0; i < d; ++i) out.emplace_back(view(frames[i]));
  return out;
}

inline nlohmann::json dict(const wire::Frames& frames, wire::Dict which) {
  const std::size_t d = delimiter_index(frames);
  return nlohmann::json::parse(view(frames[d + 2 + static_cast<std::size_t>(which)]));
}

inline std::vector<std::string> buffers(const wire::Frames& frames) {
  std::vector<std::string> out;
  const std::size_t d = delimiter_index(frames);
  for (std::size_t i = d + 6; i < frames.size(); ++i) out.emplace_back(view(frames[i]));
  return out;
}

// True when the signature frame is the HMAC of the four dict frames.
inline bool signature_valid(const wire::Frames& frames, const wire::Signer& signer) {
  const std::size_t d = delimiter_index(frames);
  const std::array<std::string_view, 4> parts = {view(frames[d + 2]), view(frames[d + 3]),
                                                 view(frames[d + 4]), view(frames[d + 5])};
  return signer.verify(view(frames[d + 1]), parts);
}

inline wire::Frames copy_frames(const wire::Frames& frames) {
  wire::Frames out;
  for (const auto& f : frames) out.emplace_back(f.data(), f.size());
  return out;
}

inline wire::SessionOptions session_options(std::string session_id = {}) {
  wire::SessionOptions options;
  options.key = std::string(kKey);
  options.session_id = std::move(session_id);
  return options;
}

inline wire::RawMessage to_raw(wire::Frames&& frames) {
  std::string error;
  auto raw = wire::RawMessage::split(std::move(frames), &error);
  EXPECT_TRUE(raw.has_value()) << error;
  return std::move(*raw);
}

// A client: builds requests as the client-side ROUTER reads them
// ([C, |, msg...]).
class FakeClient {
 public:
  explicit FakeClient(std::string routing_id = std::string("\x00\x6b\x8b\x45\x67", 5))
      : routing_id_(std::move(routing_id)), session_(session_options()) {}

  const std::string& routing_id() const { return routing_id_; }
  wire::Session& session() { return session_; }

  // Signs and frames a message built with session(), as the ROUTER reads it.
  wire::Frames encode(wire::Message&& msg) {
    msg.identities = {routing_id_};
    return wire::encode(std::move(msg), session_.signer());
  }

  // Returns the frames; *msg_id receives the request msg_id.
  wire::Frames request(std::string_view msg_type, nlohmann::json metadata,
                       std::vector<std::string> bufs = {}, std::string* msg_id = nullptr,
                       nlohmann::json content = nlohmann::json::object()) {
    wire::Message msg = session_.make_message(msg_type, std::move(content),
                                              nlohmann::json::object(), std::move(metadata));
    if (msg_id != nullptr) *msg_id = msg.msg_id();
    msg.identities = {routing_id_};
    for (const auto& b : bufs) msg.buffers.emplace_back(b.data(), b.size());
    return wire::encode(std::move(msg), session_.signer());
  }

 private:
  std::string routing_id_;
  wire::Session session_;
};

// An engine reply to `request` (frames as the engine received them minus
// its own socket's frame: [E, route..., |, msg...] as the controller sent
// them), as the controller's engine-side ROUTER reads it:
// [E, route..., |, reply...].
inline wire::Frames engine_reply(const wire::Frames& request, std::string_view status = "ok",
                                 nlohmann::json extra_metadata = nlohmann::json::object(),
                                 std::vector<std::string> bufs = {},
                                 bool include_status = true) {
  const std::vector<std::string> route = routing(request);
  const std::string uuid = route.at(0);
  wire::Session engine(session_options(uuid));
  const nlohmann::json req_md = dict(request, wire::Dict::Metadata);
  nlohmann::json md = {{"started", "2026-11-21T08:01:09.995894Z"},
                       {"dependencies_met", true},
                       {"engine", uuid},
                       {"is_broadcast", req_md.value("is_broadcast", false)},
                       {"is_coalescing", req_md.value("is_coalescing", false)},
                       {"original_msg_id", req_md.value("original_msg_id", "")}};
  if (include_status) md["status"] = status;
  for (auto& [k, v] : extra_metadata.items()) md[k] = v;
  nlohmann::json content = {{"status", status}};
  if (status == "error") {
    content["ename"] = "ZeroDivisionError";
    content["evalue"] = "division by zero";
    content["traceback"] = nlohmann::json::array();
    content["engine_info"] = {{"engine_uuid", uuid}, {"engine_id", -1}, {"method", "apply"}};
  }
  wire::Message msg = engine.make_message("apply_reply", content,
                                          dict(request, wire::Dict::Header), md);
  msg.identities = route;
  for (const auto& b : bufs) msg.buffers.emplace_back(b.data(), b.size());
  return wire::encode(std::move(msg), engine.signer());
}

}  // namespace ipp::scheduler::testing

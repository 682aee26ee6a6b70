// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

namespace ipp::wire {

// One Jupyter message, decoded: routing prefix, the four dicts, and the
// unsigned binary buffers (apply_request arguments, results, ...).
// Move-only because of `buffers`: buffers are zmq frames moved from the
// received message to the sent one, never copied (Python sends them
// zero-copy too).
struct Message {
  // Routing frames before "<IDS|MSG>", as raw bytes.
  std::vector<std::string> identities;
  nlohmann::json header = nlohmann::json::object();
  nlohmann::json parent_header = nlohmann::json::object();
  nlohmann::json metadata = nlohmann::json::object();
  nlohmann::json content = nlohmann::json::object();
  std::vector<zmq::message_t> buffers;

  Message() = default;
  Message(Message&&) = default;
  Message& operator=(Message&&) = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  // header["msg_type"] / header["msg_id"], or "" when absent or not a
  // string.
  std::string msg_type() const;
  std::string msg_id() const;
  // parent_header["msg_id"], or "" (replies are matched on it).
  std::string parent_msg_id() const;
};

}  // namespace ipp::wire

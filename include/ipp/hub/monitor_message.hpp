// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "ipp/hub/record_json.hpp"
#include "ipp/wire/codec.hpp"
#include "ipp/wire/json_reader.hpp"
#include "ipp/wire/message.hpp"

namespace ipp::hub {

// A message copied to the hub's monitor socket by a relay or scheduler
// (hub-and-db.md section 2), with its four dicts kept as JSON text: the hub
// reads a few fields of each (msg_id, session, date, engine, status, ...)
// and stores the dicts in the task record as they came (RecordJson),
// instead of building a JSON value per dict for every task.
//
// Held by pointer: the field views point into the object's own text.
class MonitorMessage {
 public:
  // Validates the dicts of `raw` (frames after the topic: identities,
  // "<IDS|MSG>", signature, dicts, buffers; the forwarding loop checked
  // the signature). Returns null with the reason in *error (if non-null)
  // when a dict is not a JSON object.
  static std::unique_ptr<MonitorMessage> from_raw(wire::RawMessage&& raw, std::string* error);
  // A decoded message, written back as text (unit tests and callers that
  // already hold a Message).
  static std::unique_ptr<MonitorMessage> from_message(wire::Message&& msg);

  MonitorMessage(const MonitorMessage&) = delete;
  MonitorMessage& operator=(const MonitorMessage&) = delete;

  std::vector<std::string> identities;
  std::vector<zmq::message_t> buffers;

  // Top-level string fields; nullopt when absent or not a string.
  std::optional<std::string> header_string(std::string_view key) const;
  std::optional<std::string> parent_string(std::string_view key) const;
  std::optional<std::string> metadata_string(std::string_view key) const;
  std::optional<std::string> content_string(std::string_view key) const;
  // header.msg_id / header.msg_type / parent_header.msg_id, or "".
  std::string msg_id() const { return header_string("msg_id").value_or(""); }
  std::string msg_type() const { return header_string("msg_type").value_or(""); }
  std::string parent_msg_id() const { return parent_string("msg_id").value_or(""); }

  // The dicts, for a record (copies of the text) or a log line.
  RecordJson header() const { return RecordJson::from_text(text_[0]); }
  RecordJson metadata() const { return RecordJson::from_text(text_[2]); }
  RecordJson content() const { return RecordJson::from_text(text_[3]); }
  const std::string& header_text() const { return text_[0]; }
  const std::string& content_text() const { return text_[3]; }

 private:
  MonitorMessage() = default;
  bool index(std::string* error);

  std::array<std::string, 4> text_;  // header, parent_header, metadata, content
  std::array<std::optional<wire::JsonObjectView>, 4> views_;
};

}  // namespace ipp::hub

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/task_record.hpp"

#include <type_traits>

#include "ipp/hub/hub_error.hpp"
#include "ipp/hub/query.hpp"

namespace ipp::hub {

namespace {

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "msg_id",         "header",        "metadata",       "content",       "buffers",
    "submitted",      "client_uuid",   "engine_uuid",    "started",       "completed",
    "resubmitted",    "received",      "result_header",  "result_metadata",
    "result_content", "result_buffers", "queue",         "execute_input", "execute_result",
    "error",          "stdout",        "stderr",         "label",         "display_data",
};

// Calls fn(member) with the member of `record` that holds `field`; works
// for const and non-const records.
template <typename Record, typename Fn>
decltype(auto) visit_field(Record& record, Field field, Fn&& fn) {
  switch (field) {
    case Field::MsgId: return fn(record.msg_id);
    case Field::Header: return fn(record.header);
    case Field::Metadata: return fn(record.metadata);
    case Field::Content: return fn(record.content);
    case Field::Buffers: return fn(record.buffers);
    case Field::Submitted: return fn(record.submitted);
    case Field::ClientUuid: return fn(record.client_uuid);
    case Field::EngineUuid: return fn(record.engine_uuid);
    case Field::Started: return fn(record.started);
    case Field::Completed: return fn(record.completed);
    case Field::Resubmitted: return fn(record.resubmitted);
    case Field::Received: return fn(record.received);
    case Field::ResultHeader: return fn(record.result_header);
    case Field::ResultMetadata: return fn(record.result_metadata);
    case Field::ResultContent: return fn(record.result_content);
    case Field::ResultBuffers: return fn(record.result_buffers);
    case Field::Queue: return fn(record.queue);
    case Field::ExecuteInput: return fn(record.execute_input);
    case Field::ExecuteResult: return fn(record.execute_result);
    case Field::Error: return fn(record.error);
    case Field::Stdout: return fn(record.stdout_text);
    case Field::Stderr: return fn(record.stderr_text);
    case Field::Label: return fn(record.label);
    case Field::DisplayData: return fn(record.display_data);
  }
  return fn(record.msg_id);  // unreachable: every enumerator is handled
}

template <typename T>
using Plain = std::remove_cvref_t<T>;

using Frames = std::vector<zmq::message_t>;

nlohmann::json value_json(const TaskRecord& record, Field field) {
  return visit_field(record, field, [](const auto& value) -> nlohmann::json {
    using T = Plain<decltype(value)>;
    if constexpr (std::is_same_v<T, std::optional<util::TimePoint>>) {
      return value ? nlohmann::json(util::format_iso8601(*value)) : nlohmann::json();
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      return value ? nlohmann::json(*value) : nlohmann::json();
    } else if constexpr (std::is_same_v<T, Frames>) {
      return nlohmann::json();  // never serialised
    } else if constexpr (std::is_same_v<T, RecordJson>) {
      return value.get();
    } else {
      return nlohmann::json(value);
    }
  });
}

}  // namespace

std::string_view field_name(Field field) { return kFieldNames[static_cast<std::size_t>(field)]; }

std::optional<Field> field_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

bool is_date_field(Field field) {
  return field == Field::Submitted || field == Field::Started || field == Field::Completed ||
         field == Field::Received;
}

bool is_buffer_field(Field field) { return field == Field::Buffers || field == Field::ResultBuffers; }

FieldMask::FieldMask(std::initializer_list<Field> fields) {
  for (const Field f : fields) set(f);
}

FieldMask FieldMask::all() {
  FieldMask mask;
  mask.bits_.set();
  return mask;
}

FieldMask parse_keys(const nlohmann::json& keys) {
  if (keys.is_null()) return FieldMask::all();
  if (!keys.is_array()) {
    throw HubError("TypeError", "keys must be a list of record keys, not " + py_repr(keys));
  }
  if (keys.empty()) return FieldMask::all();  // DictDB: `if keys:`
  FieldMask mask{Field::MsgId};
  nlohmann::json bad = nlohmann::json::array();
  for (const auto& key : keys) {
    if (!key.is_string()) {
      throw HubError("TypeError", "record keys must be strings, not " + py_repr(key));
    }
    if (const auto field = field_from_name(key.get_ref<const std::string&>())) {
      mask.set(*field);
    } else {
      bad.push_back(key);
    }
  }
  if (!bad.empty()) throw key_error("Bad record key(s): " + py_repr(bad));
  return mask;
}

zmq::message_t share_frame(const zmq::message_t& frame) {
  zmq::message_t copy;
  copy.copy(const_cast<zmq::message_t&>(frame));
  return copy;
}

std::vector<zmq::message_t> share_frames(const std::vector<zmq::message_t>& frames) {
  std::vector<zmq::message_t> copies;
  copies.reserve(frames.size());
  for (const auto& frame : frames) copies.push_back(share_frame(frame));
  return copies;
}

void own_small_frames(std::vector<zmq::message_t>& frames) {
  for (auto& frame : frames) {
    // Frames of up to 33 bytes (ZMQ_MAX_VSM_SIZE) are held inline and
    // never shared: nothing to gain.
    if (frame.size() <= 33 || frame.size() > kOwnedFrameBytes) continue;
    frame = zmq::message_t(frame.data(), frame.size());
  }
}

void TaskRecord::own_small_frames() {
  hub::own_small_frames(buffers);
  hub::own_small_frames(result_buffers);
}

TaskRecord TaskRecord::clone() const {
  TaskRecord copy(msg_id);
  copy.assign(*this, FieldMask::all());
  return copy;
}

std::size_t TaskRecord::buffer_bytes() const {
  std::size_t total = 0;
  for (const auto& b : buffers) total += b.size();
  for (const auto& b : result_buffers) total += b.size();
  return total;
}

void TaskRecord::assign(const TaskRecord& from, const FieldMask& fields) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto field = static_cast<Field>(i);
    if (field == Field::MsgId || !fields.test(field)) continue;
    visit_field(*this, field, [&](auto& target) {
      visit_field(from, field, [&](const auto& source) {
        using T = Plain<decltype(target)>;
        if constexpr (std::is_same_v<T, Plain<decltype(source)>>) {
          if constexpr (std::is_same_v<T, Frames>) {
            target = share_frames(source);
          } else {
            target = source;
          }
        }
      });
    });
  }
}

void TaskRecord::take(TaskRecord&& from, const FieldMask& fields) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto field = static_cast<Field>(i);
    if (field == Field::MsgId || !fields.test(field)) continue;
    visit_field(*this, field, [&](auto& target) {
      visit_field(from, field, [&](auto& source) {
        if constexpr (std::is_same_v<Plain<decltype(target)>, Plain<decltype(source)>>) {
          target = std::move(source);
        }
      });
    });
  }
}

bool TaskRecord::is_set(Field field) const {
  return visit_field(*this, field, [](const auto& value) -> bool {
    using T = Plain<decltype(value)>;
    if constexpr (std::is_same_v<T, nlohmann::json>) {
      return py_truthy(value);
    } else if constexpr (std::is_same_v<T, RecordJson>) {
      return value.truthy();
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      return value.has_value() && !value->empty();
    } else if constexpr (std::is_same_v<T, std::optional<util::TimePoint>>) {
      return value.has_value();
    } else {
      return !value.empty();  // std::string, buffers
    }
  });
}

util::TimePoint to_record_time(util::TimePoint t) {
  return std::chrono::time_point_cast<util::TimePoint::duration>(
      std::chrono::floor<std::chrono::microseconds>(t));
}

nlohmann::json to_json(const TaskRecord& record, const FieldMask& keys) {
  nlohmann::json out = nlohmann::json::object();
  out["msg_id"] = record.msg_id;
  const bool full = keys.is_all();
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto field = static_cast<Field>(i);
    if (field == Field::MsgId || is_buffer_field(field) || !keys.test(field)) continue;
    if (full && field == Field::DisplayData && record.display_data.is_null()) continue;
    out[std::string(field_name(field))] = value_json(record, field);
  }
  return out;
}

nlohmann::json to_result_json(const TaskRecord& record) {
  return nlohmann::json{
      {"header", record.header.get()},
      {"metadata", record.metadata.get()},
      {"result_header", record.result_header.get()},
      {"result_metadata", record.result_metadata.get()},
      {"result_content", record.result_content.get()},
      {"received", value_json(record, Field::Received)},
      {"io",
       {{"execute_input", value_json(record, Field::ExecuteInput)},
        {"execute_result", record.execute_result},
        {"error", record.error},
        {"stdout", record.stdout_text},
        {"stderr", record.stderr_text}}},
  };
}

}  // namespace ipp::hub

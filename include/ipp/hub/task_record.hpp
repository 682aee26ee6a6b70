// SPDX-License-Identifier: BSD-3-Clause
//
// The hub's task records: one per request msg_id, with the columns of
// ipyparallel's TaskRecord (hub.py empty_record/init_record, the SQLiteDB
// schema) plus newest's `label`. See /work/shared/protocol/hub-and-db.md
// section 3.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ipp/hub/record_json.hpp"
#include "ipp/util/iso8601.hpp"

namespace ipp::hub {

// Every record field, in the SQLite column order (display_data last).
// `display_data` is not a SQLite column: DictDB stores it because hub.py
// save_iopub_message writes it (the SQLite backend logs a DB error there).
enum class Field : std::size_t {
  MsgId,
  Header,
  Metadata,
  Content,
  Buffers,
  Submitted,
  ClientUuid,
  EngineUuid,
  Started,
  Completed,
  Resubmitted,
  Received,
  ResultHeader,
  ResultMetadata,
  ResultContent,
  ResultBuffers,
  Queue,
  ExecuteInput,
  ExecuteResult,
  Error,
  Stdout,
  Stderr,
  Label,
  DisplayData,
};
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::DisplayData) + 1;

// The record key as clients spell it ("msg_id", "result_buffers", ...).
std::string_view field_name(Field field);
std::optional<Field> field_from_name(std::string_view name);
// submitted, started, completed, received.
bool is_date_field(Field field);
// buffers, result_buffers: never part of JSON records, never queryable.
bool is_buffer_field(Field field);

// A set of fields: which columns an update writes or a query returns.
class FieldMask {
 public:
  FieldMask() = default;
  FieldMask(std::initializer_list<Field> fields);
  static FieldMask all();

  FieldMask& set(Field field) {
    bits_.set(static_cast<std::size_t>(field));
    return *this;
  }
  FieldMask& reset(Field field) {
    bits_.reset(static_cast<std::size_t>(field));
    return *this;
  }
  bool test(Field field) const { return bits_.test(static_cast<std::size_t>(field)); }
  bool is_all() const { return bits_.all(); }
  bool operator==(const FieldMask&) const = default;

 private:
  std::bitset<kFieldCount> bits_;
};

// The `keys` of a db_request: null (or, as DictDB's `if keys:`, an empty
// list) selects every field; otherwise a list of field names, `msg_id`
// always added. Throws HubError KeyError "Bad record key(s): [...]" for
// unknown names (SQLiteDB's wording; DictDB raises a bare KeyError), and
// TypeError when `keys` is not null or a list of strings.
FieldMask parse_keys(const nlohmann::json& keys);

// A new reference to the same frame data: zmq_msg_copy shares large
// frames by reference count instead of copying the bytes. The source is
// logically unchanged (only its shared-flag/refcount), hence the const.
zmq::message_t share_frame(const zmq::message_t& frame);
std::vector<zmq::message_t> share_frames(const std::vector<zmq::message_t>& frames);

// Frames a store keeps for long are given allocations of their own when
// small: a frame received over TCP may be a slice of one of libzmq's
// receive buffers (8 KiB of data plus ~10 KiB of reference counters, one
// buffer per read), which stays allocated as long as any slice of it
// lives, so a 100-byte buffer kept in a record would cost ~18 KiB. Larger
// frames (beyond kOwnedFrameBytes) were received into allocations of their
// own (a message that does not fit a receive buffer is), so they stay
// shared: copying them would cost time and pin nothing less.
inline constexpr std::size_t kOwnedFrameBytes = 64 * 1024;
void own_small_frames(std::vector<zmq::message_t>& frames);

// One task record. JSON-valued fields use null for Python's None;
// optional fields use nullopt. Timestamps are instants (Python stores
// tz-aware datetimes) and go out as ISO 8601 "Z" strings.
//
// Move-only because of the buffers; clone() makes a copy whose buffers
// share the frame data.
struct TaskRecord {
  std::string msg_id;
  RecordJson header;    // request header, `date` kept as the sent string
  RecordJson metadata;  // request metadata
  RecordJson content;   // request content
  std::vector<zmq::message_t> buffers;
  std::optional<util::TimePoint> submitted;  // request header.date
  std::optional<std::string> client_uuid;    // request header.session
  std::optional<std::string> engine_uuid;
  std::optional<util::TimePoint> started;    // reply metadata.started
  std::optional<util::TimePoint> completed;  // reply header.date
  std::optional<std::string> resubmitted;    // new msg_id, on the original
  std::optional<util::TimePoint> received;   // hub clock at the reply
  RecordJson result_header;
  RecordJson result_metadata;
  RecordJson result_content;
  std::vector<zmq::message_t> result_buffers;
  std::optional<std::string> queue;          // "mux" | "task"
  std::optional<std::string> execute_input;  // code of a non-silent execute
  nlohmann::json execute_result;             // IOPub execute_result content
  nlohmann::json error;                      // IOPub error content
  std::string stdout_text;                   // "stdout" (named to avoid the <cstdio> macro)
  std::string stderr_text;                   // "stderr"
  std::optional<std::string> label;          // newest: request metadata.label
  nlohmann::json display_data;               // last IOPub display_data content

  TaskRecord() = default;
  explicit TaskRecord(std::string id) : msg_id(std::move(id)) {}
  TaskRecord(TaskRecord&&) = default;
  TaskRecord& operator=(TaskRecord&&) = default;
  TaskRecord(const TaskRecord&) = delete;
  TaskRecord& operator=(const TaskRecord&) = delete;

  TaskRecord clone() const;

  // Sum of the sizes of buffers and result_buffers (DictDB's size limit).
  std::size_t buffer_bytes() const;

  // own_small_frames() on buffers and result_buffers: what a store does
  // with a record it keeps.
  void own_small_frames();

  // Copies the fields in `fields` from `from` (buffers shared). msg_id is
  // never changed.
  void assign(const TaskRecord& from, const FieldMask& fields);
  // Moves the fields in `fields` from `from`.
  void take(TaskRecord&& from, const FieldMask& fields);

  // Whether the field holds a value Python would treat as true (non-None,
  // non-empty): the test hub.py uses when merging a new request record with
  // one IOPub created first.
  bool is_set(Field field) const;
};

// Timestamps are stored at microsecond precision, as Python's datetime:
// what a client reads back in a reply then compares equal in a query.
util::TimePoint to_record_time(util::TimePoint t);

// The record as a db_reply entry: the fields of `keys` (msg_id always),
// dates as ISO "Z" strings or null. `buffers` and `result_buffers` are never
// included (db_reply sends them as message buffers). `display_data` is
// included when `keys` names it, and in a full record only when set (DictDB
// has the key only after a display_data message).
nlohmann::json to_json(const TaskRecord& record, const FieldMask& keys = FieldMask::all());

// A completed record as a result_reply entry (hub.py _extract_record):
//   {"header", "metadata", "result_header", "result_metadata",
//    "result_content", "received",
//    "io": {"execute_input", "execute_result", "error", "stdout", "stderr"}}
nlohmann::json to_result_json(const TaskRecord& record);

}  // namespace ipp::hub

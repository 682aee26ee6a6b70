// SPDX-License-Identifier: BSD-3-Clause
//
// The task table of ipyparallel's SQLiteDB (controller/sqlitedb.py) and how
// a TaskRecord's fields are stored in it, so that a file written by the
// Python controller is read by ours and the other way round
// (/work/shared/protocol/hub-and-db.md section 5):
//
//   declared type   column(s)                          stored as
//   text            msg_id client_uuid engine_uuid     TEXT or NULL
//                   resubmitted queue execute_input
//                   stdout stderr (label, newest)
//   dict text       header metadata content            JSON text of the dict,
//                   result_header result_metadata       NULL for None
//                   result_content
//   text            execute_result error               JSON text (Python's dict
//                                                      adapter), NULL for None
//   bufs blob       buffers result_buffers             pickle of a list of bytes
//                                                      (buffer_pickle.hpp), NULL
//                                                      for []
//   timestamp       submitted started completed        datetime.isoformat() of a
//                   received                           UTC instant:
//                                                      "2026-11-21T08:01:09.995894+00:00"
//
// display_data is not a column (the Python hub's update fails there with a
// logged DB error); it is not stored.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ipp/hub/sqlite_db.hpp"
#include "ipp/hub/task_record.hpp"
#include "ipp/util/iso8601.hpp"

namespace ipp::hub {

enum class ColumnKind { Text, Json, Buffers, Timestamp };

struct SqliteColumn {
  Field field;
  std::string_view name;
  std::string_view declared_type;  // as PRAGMA table_info reports it
  ColumnKind kind;
};

// The 22 columns of 7.1's table in order, then newest's `label text`.
std::span<const SqliteColumn> sqlite_columns(bool with_label);
// The column holding `field`, nullptr for display_data (and for label in a
// 7.1 table).
const SqliteColumn* sqlite_column(Field field, bool with_label);

// CREATE TABLE IF NOT EXISTS with exactly sqlitedb.py's column names and
// declared types (its _check_table compares both).
std::string create_table_sql(std::string_view table, bool with_label);

// Python's `ensure_timezone(dt).isoformat()` of a UTC instant (microseconds,
// fraction omitted when zero, "+00:00").
std::string encode_timestamp(util::TimePoint t);
// A stored timestamp (also accepts a space instead of "T", as dateutil),
// at microsecond precision; nullopt when unreadable.
std::optional<util::TimePoint> decode_timestamp(std::string_view text);
// decode_timestamp as microseconds since the epoch: the SQL function our
// date comparisons use, so that they compare instants, not text.
std::optional<std::int64_t> timestamp_micros(std::string_view text);
inline constexpr const char* kInstantFunction = "ipp_instant";

// Binds `field` of `record` to parameter `index` as its column stores it.
void bind_field(SqliteStatement& stmt, int index, const TaskRecord& record, Field field);

// Reads column `column` of the current row into `field` of `record`.
// Returns false with the reason in *error when the stored value cannot be
// decoded (bad JSON, bad pickle, bad timestamp); the field is then left
// empty.
bool read_field(const SqliteStatement& stmt, int column, Field field, TaskRecord& record,
                std::string* error);

// `label` as newest's hub sets it: request metadata.label when a string.
// For tables without a label column.
void derive_label(TaskRecord& record);

}  // namespace ipp::hub

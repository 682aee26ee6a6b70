// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/sqlite_record_codec.hpp"

#include <array>
#include <cstdlib>
#include <new>

#include "ipp/hub/buffer_pickle.hpp"
#include "ipp/wire/codec.hpp"
#include "ipp/wire/json_reader.hpp"

namespace ipp::hub {

namespace {

using nlohmann::json;

constexpr std::array<SqliteColumn, 23> kColumns = {{
    {Field::MsgId, "msg_id", "text", ColumnKind::Text},
    {Field::Header, "header", "dict text", ColumnKind::Json},
    {Field::Metadata, "metadata", "dict text", ColumnKind::Json},
    {Field::Content, "content", "dict text", ColumnKind::Json},
    {Field::Buffers, "buffers", "bufs blob", ColumnKind::Buffers},
    {Field::Submitted, "submitted", "timestamp", ColumnKind::Timestamp},
    {Field::ClientUuid, "client_uuid", "text", ColumnKind::Text},
    {Field::EngineUuid, "engine_uuid", "text", ColumnKind::Text},
    {Field::Started, "started", "timestamp", ColumnKind::Timestamp},
    {Field::Completed, "completed", "timestamp", ColumnKind::Timestamp},
    {Field::Resubmitted, "resubmitted", "text", ColumnKind::Text},
    {Field::Received, "received", "timestamp", ColumnKind::Timestamp},
    {Field::ResultHeader, "result_header", "dict text", ColumnKind::Json},
    {Field::ResultMetadata, "result_metadata", "dict text", ColumnKind::Json},
    {Field::ResultContent, "result_content", "dict text", ColumnKind::Json},
    {Field::ResultBuffers, "result_buffers", "bufs blob", ColumnKind::Buffers},
    {Field::Queue, "queue", "text", ColumnKind::Text},
    {Field::ExecuteInput, "execute_input", "text", ColumnKind::Text},
    // Declared text, but Python's dict adapter stores the dicts as JSON.
    {Field::ExecuteResult, "execute_result", "text", ColumnKind::Json},
    {Field::Error, "error", "text", ColumnKind::Json},
    {Field::Stdout, "stdout", "text", ColumnKind::Text},
    {Field::Stderr, "stderr", "text", ColumnKind::Text},
    {Field::Label, "label", "text", ColumnKind::Text},
}};

constexpr std::size_t kColumns71 = 22;

template <typename Fn>
decltype(auto) with_text(TaskRecord& record, Field field, Fn&& fn) {
  switch (field) {
    case Field::MsgId: return fn(record.msg_id);
    case Field::Stdout: return fn(record.stdout_text);
    case Field::Stderr: return fn(record.stderr_text);
    default: break;
  }
  std::optional<std::string>* target = nullptr;
  switch (field) {
    case Field::ClientUuid: target = &record.client_uuid; break;
    case Field::EngineUuid: target = &record.engine_uuid; break;
    case Field::Resubmitted: target = &record.resubmitted; break;
    case Field::Queue: target = &record.queue; break;
    case Field::ExecuteInput: target = &record.execute_input; break;
    default: target = &record.label; break;
  }
  return fn(*target);
}

// The dicts of the request and the reply (kept as text, see RecordJson).
RecordJson* dict_member(TaskRecord& record, Field field) {
  switch (field) {
    case Field::Header: return &record.header;
    case Field::Metadata: return &record.metadata;
    case Field::Content: return &record.content;
    case Field::ResultHeader: return &record.result_header;
    case Field::ResultMetadata: return &record.result_metadata;
    case Field::ResultContent: return &record.result_content;
    default: return nullptr;
  }
}

// execute_result, error: JSON values built from IOPub messages.
json* json_member(TaskRecord& record, Field field) {
  switch (field) {
    case Field::ExecuteResult: return &record.execute_result;
    case Field::Error: return &record.error;
    default: return nullptr;
  }
}

std::optional<util::TimePoint>* time_member(TaskRecord& record, Field field) {
  switch (field) {
    case Field::Submitted: return &record.submitted;
    case Field::Started: return &record.started;
    case Field::Completed: return &record.completed;
    case Field::Received: return &record.received;
    default: return nullptr;
  }
}

std::vector<zmq::message_t>* buffers_member(TaskRecord& record, Field field) {
  return field == Field::Buffers ? &record.buffers : &record.result_buffers;
}

}  // namespace

std::span<const SqliteColumn> sqlite_columns(bool with_label) {
  return {kColumns.data(), with_label ? kColumns.size() : kColumns71};
}

const SqliteColumn* sqlite_column(Field field, bool with_label) {
  for (const auto& column : sqlite_columns(with_label)) {
    if (column.field == field) return &column;
  }
  return nullptr;
}

std::string create_table_sql(std::string_view table, bool with_label) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + quote_identifier(table) + " (";
  bool first = true;
  for (const auto& column : sqlite_columns(with_label)) {
    if (!first) sql += ", ";
    first = false;
    sql += column.name;
    sql += ' ';
    sql += column.declared_type;
    if (column.field == Field::MsgId) sql += " PRIMARY KEY";
  }
  sql += ")";
  return sql;
}

std::string encode_timestamp(util::TimePoint t) {
  std::string text = util::format_iso8601(t);
  text.pop_back();  // "Z"
  text += "+00:00";
  return text;
}

std::optional<util::TimePoint> decode_timestamp(std::string_view text) {
  std::optional<util::TimePoint> t;
  if (text.size() > 10 && text[10] == ' ') {
    std::string copy(text);
    copy[10] = 'T';
    t = util::parse_iso8601(copy);
  } else {
    t = util::parse_iso8601(text);
  }
  if (!t) return std::nullopt;
  return to_record_time(*t);
}

std::optional<std::int64_t> timestamp_micros(std::string_view text) {
  const auto t = decode_timestamp(text);
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
}

void bind_field(SqliteStatement& stmt, int index, const TaskRecord& record, Field field) {
  auto& r = const_cast<TaskRecord&>(record);  // the accessors are shared with read_field
  const SqliteColumn* column = sqlite_column(field, true);
  switch (column->kind) {
    case ColumnKind::Text:
      with_text(r, field, [&](const auto& value) {
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>) {
          stmt.bind_text(index, value, true);
        } else if (value) {
          stmt.bind_text(index, *value, true);
        } else {
          stmt.bind_null(index);
        }
      });
      return;
    case ColumnKind::Json: {
      if (const RecordJson* dict = dict_member(r, field)) {
        if (const std::string* text = dict->text()) {
          // As received (validated JSON): no parse, no dump. Safe on the
          // writer thread while the hub reads the same record.
          stmt.bind_text(index, *text);
          return;
        }
        if (dict->is_null()) {
          stmt.bind_null(index);
        } else {
          stmt.bind_text(index, dict->get().dump(-1, ' ', false, json::error_handler_t::replace));
        }
        return;
      }
      const json& value = *json_member(r, field);
      if (value.is_null()) {
        stmt.bind_null(index);
      } else {
        // Replace, not throw, on invalid UTF-8: every string came from a
        // parsed message, so this only guards against a bug elsewhere.
        stmt.bind_text(index, value.dump(-1, ' ', false, json::error_handler_t::replace));
      }
      return;
    }
    case ColumnKind::Buffers: {
      const auto& buffers = *buffers_member(r, field);
      if (buffers.empty()) {
        stmt.bind_null(index);
      } else {
        // Pickled into memory SQLite takes over: one copy of the bytes
        // (SQLite then builds the row and its pages from it).
        const std::size_t size = pickled_size(buffers);
        void* blob = std::malloc(size);
        if (blob == nullptr) throw std::bad_alloc();
        pickle_buffers_to(buffers, static_cast<char*>(blob));
        stmt.bind_malloced_blob(index, blob, size);
      }
      return;
    }
    case ColumnKind::Timestamp: {
      const auto& value = *time_member(r, field);
      if (value) {
        stmt.bind_text(index, encode_timestamp(*value));
      } else {
        stmt.bind_null(index);
      }
      return;
    }
  }
}

bool read_field(const SqliteStatement& stmt, int column, Field field, TaskRecord& record,
                std::string* error) {
  const SqliteColumn* spec = sqlite_column(field, true);
  const SqliteType type = stmt.column_type(column);
  // Python's converters see TEXT and BLOB alike (as bytes).
  const std::string_view bytes =
      type == SqliteType::Blob ? stmt.column_blob(column) : stmt.column_text(column);
  switch (spec->kind) {
    case ColumnKind::Text:
      with_text(record, field, [&](auto& value) {
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>) {
          value.assign(bytes);  // NULL stdout/stderr read as ""
        } else if (type == SqliteType::Null) {
          value.reset();
        } else {
          value.emplace(bytes);
        }
      });
      return true;
    case ColumnKind::Json: {
      if (RecordJson* dict = dict_member(record, field)) {
        if (type == SqliteType::Null) {
          *dict = nullptr;
          return true;
        }
        std::string reason;
        if (!wire::validate_json(bytes, &reason, wire::kMaxJsonDepth)) {
          *dict = nullptr;
          *error = std::string(spec->name) + " is not valid JSON";
          return false;
        }
        *dict = RecordJson::from_text(std::string(bytes));
        return true;
      }
      json& value = *json_member(record, field);
      if (type == SqliteType::Null) {
        value = nullptr;
        return true;
      }
      value = json::parse(bytes.begin(), bytes.end(), nullptr, false);
      if (value.is_discarded()) {
        value = nullptr;
        // execute_result/error are text columns: a writer that stored plain
        // text there gets it back as a string.
        if (field == Field::ExecuteResult || field == Field::Error) {
          value = std::string(bytes);
          return true;
        }
        *error = std::string(spec->name) + " is not valid JSON";
        return false;
      }
      return true;
    }
    case ColumnKind::Buffers: {
      auto& buffers = *buffers_member(record, field);
      buffers.clear();
      if (type == SqliteType::Null) return true;
      std::string reason;
      auto decoded = unpickle_buffers(bytes, &reason);
      if (!decoded) {
        *error = std::string(spec->name) + ": " + reason;
        return false;
      }
      buffers = std::move(*decoded);
      return true;
    }
    case ColumnKind::Timestamp: {
      auto& value = *time_member(record, field);
      value.reset();
      if (type == SqliteType::Null) return true;
      value = decode_timestamp(bytes);
      if (!value) {
        *error = std::string(spec->name) + " is not a timestamp: " + std::string(bytes.substr(0, 40));
        return false;
      }
      return true;
    }
  }
  return true;
}

void derive_label(TaskRecord& record) {
  record.label.reset();
  const json& metadata = record.metadata.get();
  if (!metadata.is_object()) return;
  const auto it = metadata.find("label");
  if (it != metadata.end() && it->is_string()) record.label = it->get<std::string>();
}

}  // namespace ipp::hub

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/query.hpp"

#include <fnmatch.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

#include "ipp/hub/hub_error.hpp"

namespace ipp::hub {

namespace {

using nlohmann::json;

struct OpName {
  std::string_view name;
  QueryOp op;
};

constexpr std::array<OpName, 12> kOps = {{
    {"$eq", QueryOp::Eq},
    {"$ne", QueryOp::Ne},
    {"$lt", QueryOp::Lt},
    {"$lte", QueryOp::Lte},
    {"$gt", QueryOp::Gt},
    {"$gte", QueryOp::Gte},
    {"$in", QueryOp::In},
    {"$nin", QueryOp::Nin},
    {"$all", QueryOp::All},
    {"$mod", QueryOp::Mod},
    {"$exists", QueryOp::Exists},
    {"$glob", QueryOp::Glob},
}};

}  // namespace

namespace {

bool is_scalar(const json& value) { return value.is_primitive(); }

QueryOperand make_operand(const json& value) {
  QueryOperand operand;
  operand.value = value;
  if (value.is_string()) operand.time = util::parse_iso8601(value.get_ref<const std::string&>());
  if (value.is_array()) {
    operand.items.reserve(value.size());
    for (const auto& item : value) operand.items.push_back(make_operand(item));
  }
  return operand;
}

[[noreturn]] void type_error(QueryOp op, std::string_view need, const json& value) {
  throw HubError("TypeError", std::string(query_op_name(op)) + " needs " + std::string(need) +
                                  ", not " + py_repr(value));
}

void validate(QueryOp op, const json& value) {
  switch (op) {
    case QueryOp::Lt:
    case QueryOp::Lte:
    case QueryOp::Gt:
    case QueryOp::Gte:
      if (!is_scalar(value)) type_error(op, "a number, string or date", value);
      break;
    case QueryOp::In:
    case QueryOp::Nin:
    case QueryOp::All:
      if (!value.is_array()) type_error(op, "a list", value);
      break;
    case QueryOp::Mod:
      if (!value.is_array() || value.size() != 2 || !value[0].is_number() ||
          !value[1].is_number()) {
        type_error(op, "[divisor, remainder]", value);
      }
      if (value[0].get<double>() == 0.0) {
        throw HubError("ZeroDivisionError", "integer division or modulo by zero");
      }
      break;
    case QueryOp::Glob:
      if (!value.is_string()) type_error(op, "a string", value);
      break;
    case QueryOp::Eq:
    case QueryOp::Ne:
    case QueryOp::Exists:
      break;
  }
}

// A record field as the matcher sees it: dates as instants, everything
// else as JSON (text fields converted, None as null).
class FieldView {
 public:
  FieldView(const TaskRecord& record, Field field) : date_(is_date_field(field)) {
    switch (field) {
      case Field::MsgId: owned_ = record.msg_id; break;
      case Field::Header: json_ = &record.header.get(); break;
      case Field::Metadata: json_ = &record.metadata.get(); break;
      case Field::Content: json_ = &record.content.get(); break;
      case Field::Submitted: time_ = record.submitted; break;
      case Field::ClientUuid: set_text(record.client_uuid); break;
      case Field::EngineUuid: set_text(record.engine_uuid); break;
      case Field::Started: time_ = record.started; break;
      case Field::Completed: time_ = record.completed; break;
      case Field::Resubmitted: set_text(record.resubmitted); break;
      case Field::Received: time_ = record.received; break;
      case Field::ResultHeader: json_ = &record.result_header.get(); break;
      case Field::ResultMetadata: json_ = &record.result_metadata.get(); break;
      case Field::ResultContent: json_ = &record.result_content.get(); break;
      case Field::Queue: set_text(record.queue); break;
      case Field::ExecuteInput: set_text(record.execute_input); break;
      case Field::ExecuteResult: json_ = &record.execute_result; break;
      case Field::Error: json_ = &record.error; break;
      case Field::Stdout: owned_ = record.stdout_text; break;
      case Field::Stderr: owned_ = record.stderr_text; break;
      case Field::Label: set_text(record.label); break;
      case Field::DisplayData: json_ = &record.display_data; break;
      case Field::Buffers:
      case Field::ResultBuffers: break;  // rejected by Query::parse
    }
  }

  bool is_null() const { return date_ ? !time_.has_value() : value().is_null(); }

  bool equals(const QueryOperand& operand) const {
    if (date_) return time_ ? operand.time == time_ : operand.value.is_null();
    return value() == operand.value;
  }

  // <0, 0, >0, or nullopt when the two cannot be ordered.
  std::optional<int> compare(const QueryOperand& operand) const {
    if (date_) {
      if (!time_ || !operand.time) return std::nullopt;
      return *time_ < *operand.time ? -1 : (*time_ == *operand.time ? 0 : 1);
    }
    const json& v = value();
    const json& o = operand.value;
    const bool numbers = v.is_number() && o.is_number();
    const bool strings = v.is_string() && o.is_string();
    if (!numbers && !strings) return std::nullopt;
    return v < o ? -1 : (v == o ? 0 : 1);
  }

  bool contains(const QueryOperand& item) const {
    if (date_) return equals(item);
    const json& v = value();
    if (v.is_array()) {
      for (const auto& element : v) {
        if (element == item.value) return true;
      }
      return false;
    }
    if (v.is_object()) return item.value.is_string() && v.contains(item.value.get<std::string>());
    if (v.is_string()) {
      return item.value.is_string() &&
             v.get_ref<const std::string&>().find(item.value.get_ref<const std::string&>()) !=
                 std::string::npos;
    }
    return v == item.value;
  }

  bool mod_matches(const json& divisor_remainder) const {
    if (date_) return false;
    const json& v = value();
    if (!v.is_number()) return false;
    const json& d = divisor_remainder[0];
    const json& r = divisor_remainder[1];
    if (v.is_number_integer() && d.is_number_integer() && r.is_number_integer() &&
        !v.is_number_unsigned() && !d.is_number_unsigned()) {
      const auto a = v.get<std::int64_t>();
      const auto b = d.get<std::int64_t>();
      if (b == -1) return r.get<std::int64_t>() == 0;  // avoids INT64_MIN % -1
      std::int64_t m = a % b;
      if (m != 0 && ((m < 0) != (b < 0))) m += b;  // Python's floor modulo
      return json(m) == r;
    }
    const double a = v.get<double>();
    const double b = d.get<double>();
    double m = std::fmod(a, b);
    if (m != 0.0 && ((m < 0) != (b < 0))) m += b;
    return m == r.get<double>();
  }

  bool glob_matches(const std::string& pattern) const {
    std::string text;
    if (date_) {
      if (!time_) return false;
      text = util::format_iso8601(*time_);
    } else if (value().is_string()) {
      text = value().get<std::string>();
    } else {
      return false;
    }
    // fnmatch.fnmatchcase: no escapes, '*' crosses '/' and leading dots.
    return ::fnmatch(pattern.c_str(), text.c_str(), FNM_NOESCAPE) == 0;
  }

 private:
  void set_text(const std::optional<std::string>& text) {
    if (text) owned_ = *text;
  }
  const json& value() const { return json_ != nullptr ? *json_ : owned_; }

  bool date_;
  const json* json_ = nullptr;
  json owned_;
  std::optional<util::TimePoint> time_;
};

bool condition_matches(const QueryCondition& condition, const TaskRecord& record) {
  const FieldView field(record, condition.field);
  const QueryOperand& operand = condition.operand;
  switch (condition.op) {
    case QueryOp::Eq: return field.equals(operand);
    case QueryOp::Ne: return !field.equals(operand);
    case QueryOp::Lt: {
      const auto c = field.compare(operand);
      return c && *c < 0;
    }
    case QueryOp::Lte: {
      const auto c = field.compare(operand);
      return c && *c <= 0;
    }
    case QueryOp::Gt: {
      const auto c = field.compare(operand);
      return c && *c > 0;
    }
    case QueryOp::Gte: {
      const auto c = field.compare(operand);
      return c && *c >= 0;
    }
    case QueryOp::In:
      for (const auto& item : operand.items) {
        if (field.equals(item)) return true;
      }
      return false;
    case QueryOp::Nin:
      for (const auto& item : operand.items) {
        if (field.equals(item)) return false;
      }
      return true;
    case QueryOp::All:
      for (const auto& item : operand.items) {
        if (!field.contains(item)) return false;
      }
      return true;
    case QueryOp::Mod: return field.mod_matches(operand.value);
    case QueryOp::Exists: return py_truthy(operand.value) != field.is_null();
    case QueryOp::Glob: return field.glob_matches(operand.value.get<std::string>());
  }
  return false;
}

}  // namespace

std::string_view query_op_name(QueryOp op) {
  for (const auto& entry : kOps) {
    if (entry.op == op) return entry.name;
  }
  return "?";
}

Query Query::parse(const json& query) {
  if (query.is_null()) return Query();
  if (!query.is_object()) {
    throw HubError("TypeError", "query must be a dict, not " + py_repr(query));
  }
  Query parsed;
  json bad_keys = json::array();
  for (const auto& [key, value] : query.items()) {
    const auto field = field_from_name(key);
    if (!field || is_buffer_field(*field)) {
      bad_keys.push_back(key);
      continue;
    }
    if (!value.is_object()) {
      parsed.conditions_.push_back({*field, QueryOp::Eq, make_operand(value)});
      continue;
    }
    for (const auto& [op_name, operand] : value.items()) {
      const OpName* found = nullptr;
      for (const auto& entry : kOps) {
        if (entry.name == op_name) found = &entry;
      }
      if (found == nullptr) throw key_error(op_name);  // DictDB: filters[key]
      validate(found->op, operand);
      parsed.conditions_.push_back({*field, found->op, make_operand(operand)});
    }
  }
  if (!bad_keys.empty()) throw key_error("Illegal testing key(s): " + py_repr(bad_keys));
  return parsed;
}

Query Query::msg_ids(const std::vector<std::string>& ids) {
  Query query;
  query.conditions_.push_back({Field::MsgId, QueryOp::In, make_operand(json(ids))});
  return query;
}

bool Query::matches(const TaskRecord& record) const {
  for (const auto& condition : conditions_) {
    if (!condition_matches(condition, record)) return false;
  }
  return true;
}

std::optional<std::vector<std::string>> Query::msg_id_candidates() const {
  for (const auto& condition : conditions_) {
    if (condition.field != Field::MsgId) continue;
    const json& value = condition.operand.value;
    if (condition.op == QueryOp::Eq && value.is_string()) {
      return std::vector<std::string>{value.get<std::string>()};
    }
    if (condition.op == QueryOp::In) {
      std::vector<std::string> ids;
      for (const auto& item : value) {
        if (!item.is_string()) return std::nullopt;
        ids.push_back(item.get<std::string>());
      }
      return ids;
    }
  }
  return std::nullopt;
}

}  // namespace ipp::hub

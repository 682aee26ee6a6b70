// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/sqlite_query.hpp"

#include <chrono>

#include "ipp/hub/sqlite_record_codec.hpp"

namespace ipp::hub {

namespace {

using nlohmann::json;

std::int64_t micros(util::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to_record_time(t).time_since_epoch())
      .count();
}

const char* comparison(QueryOp op) {
  switch (op) {
    case QueryOp::Lt: return " < ?";
    case QueryOp::Lte: return " <= ?";
    case QueryOp::Gt: return " > ?";
    case QueryOp::Gte: return " >= ?";
    default: return nullptr;
  }
}

class Translator {
 public:
  explicit Translator(bool with_label) : with_label_(with_label) {}

  void add(const QueryCondition& condition) {
    const SqliteColumn* column = sqlite_column(condition.field, with_label_);
    if (column == nullptr) return inexact();
    const std::string name(column->name);
    switch (column->kind) {
      case ColumnKind::Text:
        // stdout/stderr read NULL as "": their null tests are not SQL's.
        if (condition.field == Field::Stdout || condition.field == Field::Stderr) return text_value(name, condition, false);
        return text_value(name, condition, true);
      case ColumnKind::Timestamp: return timestamp(name, condition);
      case ColumnKind::Json:
        if (!null_test(name, condition)) inexact();
        return;
      case ColumnKind::Buffers: return inexact();  // rejected by Query::parse
    }
  }

  SqlFilter finish() {
    if (filter_.where.empty()) filter_.where.push_back('1');  // not = "1": GCC 12 -Wrestrict false positive
    return std::move(filter_);
  }

 private:
  void inexact() { filter_.exact = false; }

  void clause(const std::string& sql) {
    if (!filter_.where.empty()) filter_.where += " AND ";
    filter_.where += sql;
  }

  // $eq/$ne null and $exists: exact for columns where NULL is None.
  bool null_test(const std::string& name, const QueryCondition& c) {
    const json& v = c.operand.value;
    if ((c.op == QueryOp::Eq && v.is_null()) || (c.op == QueryOp::Exists && !py_truthy(v))) {
      clause(name + " IS NULL");
      return true;
    }
    if ((c.op == QueryOp::Ne && v.is_null()) || (c.op == QueryOp::Exists && py_truthy(v))) {
      clause(name + " IS NOT NULL");
      return true;
    }
    return false;
  }

  void text_value(const std::string& name, const QueryCondition& c, bool nullable) {
    if (nullable && null_test(name, c)) return;
    const json& v = c.operand.value;
    const std::string column = nullable ? name : "IFNULL(" + name + ", '')";
    switch (c.op) {
      case QueryOp::Eq:
        if (!v.is_string()) return inexact();
        clause(column + " = ?");
        filter_.args.emplace_back(v.get<std::string>());
        return;
      case QueryOp::In:
      case QueryOp::Nin: {
        json strings = json::array();
        bool has_null = false;
        for (const auto& item : c.operand.items) {
          if (item.value.is_string()) {
            strings.push_back(item.value);
          } else if (item.value.is_null()) {
            has_null = true;
          }
          // Other items never equal a text field: they select nothing.
        }
        const std::string in = column + " IN (SELECT value FROM json_each(?))";
        if (c.op == QueryOp::In) {
          clause(has_null && nullable ? "(" + name + " IS NULL OR " + in + ")" : in);
        } else if (has_null && nullable) {
          clause("(" + name + " IS NOT NULL AND NOT " + in + ")");
        } else {
          clause(nullable ? "(" + name + " IS NULL OR NOT " + in + ")" : "NOT " + in);
        }
        filter_.args.emplace_back(strings.dump());
        return;
      }
      case QueryOp::Lt:
      case QueryOp::Lte:
      case QueryOp::Gt:
      case QueryOp::Gte:
        if (!v.is_string()) return inexact();
        clause(column + comparison(c.op));
        filter_.args.emplace_back(v.get<std::string>());
        return;
      default: return inexact();
    }
  }

  void timestamp(const std::string& name, const QueryCondition& c) {
    if (null_test(name, c)) return;
    if (!c.operand.time) return inexact();
    const std::string instant = std::string(kInstantFunction) + "(" + name + ")";
    switch (c.op) {
      case QueryOp::Eq: clause(instant + " = ?"); break;
      case QueryOp::Lt:
      case QueryOp::Lte:
      case QueryOp::Gt:
      case QueryOp::Gte: clause(instant + comparison(c.op)); break;
      default: return inexact();
    }
    filter_.args.emplace_back(micros(*c.operand.time));
  }

  const bool with_label_;
  SqlFilter filter_{"", {}, true};
};

}  // namespace

SqlFilter translate_query(const Query& query, bool with_label) {
  Translator translator(with_label);
  for (const auto& condition : query.conditions()) translator.add(condition);
  return translator.finish();
}

FieldMask query_fields(const Query& query) {
  FieldMask fields;
  for (const auto& condition : query.conditions()) fields.set(condition.field);
  return fields;
}

}  // namespace ipp::hub

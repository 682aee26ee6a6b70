// SPDX-License-Identifier: BSD-3-Clause
//
// The MongoDB-style query language of db_request (and of the hub's own
// record look-ups), /work/shared/protocol/hub-and-db.md section 6.
//
// A query is a JSON object mapping record fields to a plain value
// (equality) or to an object of operators that must all hold:
//   {"completed": {"$ne": null}, "engine_uuid": {"$in": ["<uuid>"]},
//    "submitted": {"$gte": "2026-11-21T08:00:00Z"}}
//
// Semantics (MongoDB's where Python's DictDB is buggy; deliberate
// deviations from DictDB are marked):
//  * null stands for None: {"f": null} / {"$eq": null} match a None field,
//    {"$ne": null} a set one. A field's None never satisfies $lt/$lte/$gt/
//    $gte (DictDB raises TypeError comparing None; SQLite's NULL never
//    compares true).
//  * $gt is "field > value" (DictDB: `b > a`, i.e. the same as $lt).
//  * Every plain-equality key tests its own value (DictDB compares all of
//    them against the last key's value).
//  * Dates: on submitted/started/completed/received an ISO 8601 string
//    operand (the pattern jupyter_client parses) is compared as an instant,
//    whatever its zone or precision. Other fields compare strings as
//    strings (the Python hub turns every ISO string of the query into a
//    datetime, so a date-looking string never equals a text field).
//  * $lt/$lte/$gt/$gte compare numbers with numbers, strings with strings
//    (code point order), instants with instants; other pairs do not match
//    (no error).
//  * $in/$nin take a list ($in: any element equal; $nin: none equal);
//    $all a list whose every element is in the field (list element, dict
//    key, substring of a string, or equal to a scalar); $mod [divisor,
//    remainder] with Python's floor modulo on numeric fields; $exists a
//    value whose truth says whether the field must be non-None; $glob
//    (newest) a shell pattern as fnmatch.fnmatchcase, None and non-text
//    never match.
//  * An operator object that is empty matches everything (DictDB).
//  * Unknown operators are KeyError (as DictDB). Unknown fields and the
//    buffer fields are KeyError "Illegal testing key(s)" (SQLiteDB's rule,
//    applied to every backend: DictDB would read them as None).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/wire/python_values.hpp"

#include "ipp/hub/task_record.hpp"
#include "ipp/util/iso8601.hpp"

namespace ipp::hub {

using wire::py_truthy;  // Python's bool() of a JSON value

enum class QueryOp { Eq, Ne, Lt, Lte, Gt, Gte, In, Nin, All, Mod, Exists, Glob };

// "$eq", "$lt", ...
std::string_view query_op_name(QueryOp op);

// An operand as sent, plus what matching needs pre-computed.
struct QueryOperand {
  nlohmann::json value;
  // `value` parsed as an ISO 8601 instant, when it is such a string.
  std::optional<util::TimePoint> time;
  // The elements of a list operand ($in, $nin, $all).
  std::vector<QueryOperand> items;
};

struct QueryCondition {
  Field field;
  QueryOp op;
  QueryOperand operand;
};

// A parsed query: the conjunction of its conditions. Immutable and
// cheap to match; a SQL backend may translate conditions() instead of
// calling matches().
class Query {
 public:
  // Matches every record ({}).
  Query() = default;

  // Throws HubError: TypeError when `query` is not an object or an operand
  // has the wrong type ($in/$nin/$all need a list, $mod [d, r] numbers,
  // $glob a string, ordering operators a scalar), ZeroDivisionError for
  // $mod with divisor 0, KeyError for unknown operators and fields.
  static Query parse(const nlohmann::json& query);

  // {"msg_id": {"$in": ids}}, as the hub asks for result_request/resubmit.
  static Query msg_ids(const std::vector<std::string>& ids);

  bool matches(const TaskRecord& record) const;

  // When the query pins msg_id to an explicit set of values (an $eq,
  // plain equality or $in on msg_id with string values), those values, so a
  // store can look them up instead of scanning. nullopt otherwise.
  std::optional<std::vector<std::string>> msg_id_candidates() const;

  const std::vector<QueryCondition>& conditions() const { return conditions_; }

 private:
  std::vector<QueryCondition> conditions_;
};

}  // namespace ipp::hub

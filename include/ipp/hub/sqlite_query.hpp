// SPDX-License-Identifier: BSD-3-Clause
//
// Query (query.hpp) -> SQL WHERE clause for the SQLite task table.
//
// The translation is a *pre-filter*: it never rejects a row that
// Query::matches would accept, and the store runs Query::matches on every
// row it returns, so results are exactly those of the in-memory semantics
// (MongoDB's, as documented in query.hpp) whatever SQL can express. Where
// SQL is exact it does the work, with an index when there is one (msg_id):
//
//   text columns      $eq/$ne null -> IS [NOT] NULL, $eq "s" -> = ?,
//                     $in/$nin -> [NOT] IN (SELECT value FROM json_each(?))
//                     with null handled separately, $lt.. "s" -> < ? (byte
//                     order, as std::string and Python str for UTF-8),
//                     $exists -> IS [NOT] NULL
//   timestamps        compared as instants through ipp_instant(column)
//                     (microseconds; rows written with any UTC offset
//                     compare right), null tests, $exists
//   JSON columns      null tests and $exists only
//   anything else     ($all, $mod, $glob, JSON equality, stdout/stderr
//                     null tests): left to Query::matches
//
// Python's SQLiteDB differs: it rejects $all/$mod/$exists (KeyError) and
// None inside $in/$nin (ValueError), compares dates as text, and its `$ne`
// excludes NULL fields. Deliberate: one semantics for every backend.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ipp/hub/query.hpp"

namespace ipp::hub {

using SqlArg = std::variant<std::monostate, std::int64_t, double, std::string>;

struct SqlFilter {
  std::string where = "1";    // never empty
  std::vector<SqlArg> args;   // for the ?s of `where`, in order
  bool exact = true;          // every condition was translated exactly
};

// `with_label`: the table has newest's label column (otherwise conditions
// on label are left to Query::matches).
SqlFilter translate_query(const Query& query, bool with_label);

// The fields Query::matches reads.
FieldMask query_fields(const Query& query);

}  // namespace ipp::hub

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/query.hpp"

#include <gtest/gtest.h>

#include "ipp/hub/hub_error.hpp"

namespace ipp::hub {
namespace {

using nlohmann::json;

TaskRecord record(std::string id, std::optional<std::string> engine, const char* completed) {
  TaskRecord r(std::move(id));
  r.engine_uuid = std::move(engine);
  if (completed != nullptr) r.completed = util::parse_iso8601(completed);
  return r;
}

bool matches(const char* query, const TaskRecord& r) { return Query::parse(json::parse(query)).matches(r); }

HubError parse_error(const json& query) {
  try {
    Query::parse(query);
  } catch (const HubError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << query.dump();
  return HubError("", "");
}

const TaskRecord kDone = record("a", "e1", "2026-11-21T08:00:00Z");
const TaskRecord kPending = record("b", "e2", nullptr);

TEST(QueryTest, EmptyQueryMatchesEverything) {
  EXPECT_TRUE(Query().matches(kDone));
  EXPECT_TRUE(matches("{}", kPending));
}

TEST(QueryTest, PlainValueIsEquality) {
  EXPECT_TRUE(matches(R"({"engine_uuid": "e1"})", kDone));
  EXPECT_FALSE(matches(R"({"engine_uuid": "e1"})", kPending));
}

TEST(QueryTest, NullMatchesNone) {
  EXPECT_TRUE(matches(R"({"completed": null})", kPending));
  EXPECT_FALSE(matches(R"({"completed": null})", kDone));
}

TEST(QueryTest, NeNullMatchesSetFields) {
  EXPECT_TRUE(matches(R"({"completed": {"$ne": null}})", kDone));
  EXPECT_FALSE(matches(R"({"completed": {"$ne": null}})", kPending));
}

TEST(QueryTest, EqOperator) {
  EXPECT_TRUE(matches(R"({"msg_id": {"$eq": "a"}})", kDone));
  EXPECT_FALSE(matches(R"({"msg_id": {"$eq": "b"}})", kDone));
}

// DictDB compares every plain key against the last key's value.
TEST(QueryTest, EachEqualityKeyUsesItsOwnValue) {
  EXPECT_TRUE(matches(R"({"engine_uuid": "e1", "completed": {"$ne": null}})", kDone));
  EXPECT_TRUE(matches(R"({"msg_id": "a", "engine_uuid": "e1"})", kDone));
  EXPECT_FALSE(matches(R"({"msg_id": "a", "engine_uuid": "e2"})", kDone));
}

TEST(QueryTest, DateStringComparesAsInstant) {
  EXPECT_TRUE(matches(R"({"completed": "2026-11-21T09:00:00+01:00"})", kDone));
  EXPECT_TRUE(matches(R"({"completed": {"$eq": "2026-11-21T08:00:00.000000Z"}})", kDone));
}

TEST(QueryTest, LtAndLteOnDates) {
  EXPECT_TRUE(matches(R"({"completed": {"$lt": "2026-11-21T08:00:01Z"}})", kDone));
  EXPECT_FALSE(matches(R"({"completed": {"$lt": "2026-11-21T08:00:00Z"}})", kDone));
  EXPECT_TRUE(matches(R"({"completed": {"$lte": "2026-11-21T08:00:00Z"}})", kDone));
}

// DictDB implements $gt as `b > a`, i.e. as $lt.
TEST(QueryTest, GtIsGreaterThan) {
  EXPECT_TRUE(matches(R"({"completed": {"$gt": "2026-11-21T07:59:59Z"}})", kDone));
  EXPECT_FALSE(matches(R"({"completed": {"$gt": "2026-11-21T08:00:01Z"}})", kDone));
  EXPECT_TRUE(matches(R"({"completed": {"$gte": "2026-11-21T08:00:00Z"}})", kDone));
}

TEST(QueryTest, RangeCombinesOperators) {
  EXPECT_TRUE(matches(R"({"completed": {"$gt": "2026-11-21T07:00:00Z", "$lt": "2026-11-21T09:00:00Z"}})",
                      kDone));
  EXPECT_FALSE(matches(R"({"completed": {"$gt": "2026-11-21T08:30:00Z", "$lt": "2026-11-21T09:00:00Z"}})",
                       kDone));
}

TEST(QueryTest, OrderingNeverMatchesNone) {
  EXPECT_FALSE(matches(R"({"completed": {"$lt": "2030-01-01T00:00:00Z"}})", kPending));
  EXPECT_FALSE(matches(R"({"completed": {"$gte": "2000-01-01T00:00:00Z"}})", kPending));
}

TEST(QueryTest, OrderingOnStrings) {
  EXPECT_TRUE(matches(R"({"msg_id": {"$lt": "b"}})", kDone));
  EXPECT_FALSE(matches(R"({"msg_id": {"$gt": "b"}})", kDone));
}

TEST(QueryTest, OrderingAcrossTypesDoesNotMatch) {
  EXPECT_FALSE(matches(R"({"msg_id": {"$lt": 5}})", kDone));
}

TEST(QueryTest, OrderingOnNumbersInsideJsonFields) {
  TaskRecord r("n");
  r.result_content = 5;
  EXPECT_TRUE(matches(R"({"result_content": {"$gt": 4.5}})", r));
  EXPECT_FALSE(matches(R"({"result_content": {"$lt": 5}})", r));
}

TEST(QueryTest, DateLookingStringOnTextFieldComparesAsText) {
  TaskRecord r("2026-11-21T08:00:00Z");
  EXPECT_TRUE(matches(R"({"msg_id": "2026-11-21T08:00:00Z"})", r));
}

TEST(QueryTest, InAndNin) {
  EXPECT_TRUE(matches(R"({"engine_uuid": {"$in": ["e0", "e1"]}})", kDone));
  EXPECT_FALSE(matches(R"({"engine_uuid": {"$in": ["e0"]}})", kDone));
  EXPECT_FALSE(matches(R"({"engine_uuid": {"$nin": ["e0", "e1"]}})", kDone));
  EXPECT_TRUE(matches(R"({"engine_uuid": {"$nin": ["e0"]}})", kDone));
}

TEST(QueryTest, InWithNullMatchesNone) {
  EXPECT_TRUE(matches(R"({"completed": {"$in": [null]}})", kPending));
  EXPECT_TRUE(matches(R"({"label": {"$nin": ["x"]}})", kPending));
}

TEST(QueryTest, InWithDates) {
  EXPECT_TRUE(matches(R"({"completed": {"$in": ["2026-11-21T08:00:00Z"]}})", kDone));
}

TEST(QueryTest, AllRequiresEveryElement) {
  TaskRecord r("m");
  r.metadata = {{"targets", {"e1", "e2"}}};
  r.result_content = json::array({1, 2, 3});
  EXPECT_TRUE(matches(R"({"result_content": {"$all": [1, 3]}})", r));
  EXPECT_FALSE(matches(R"({"result_content": {"$all": [1, 4]}})", r));
  EXPECT_TRUE(matches(R"({"metadata": {"$all": ["targets"]}})", r));
  EXPECT_TRUE(matches(R"({"engine_uuid": {"$all": ["e"]}})", kDone));
}

TEST(QueryTest, ModUsesFloorModulo) {
  TaskRecord r("m");
  r.result_content = -7;
  EXPECT_TRUE(matches(R"({"result_content": {"$mod": [3, 2]}})", r));
  EXPECT_FALSE(matches(R"({"result_content": {"$mod": [3, 1]}})", r));
  EXPECT_FALSE(matches(R"({"engine_uuid": {"$mod": [3, 1]}})", kDone));
}

TEST(QueryTest, ModByZeroIsError) {
  EXPECT_EQ(parse_error(json::parse(R"({"result_content": {"$mod": [0, 1]}})")).ename(),
            "ZeroDivisionError");
}

TEST(QueryTest, Exists) {
  EXPECT_TRUE(matches(R"({"completed": {"$exists": true}})", kDone));
  EXPECT_FALSE(matches(R"({"completed": {"$exists": true}})", kPending));
  EXPECT_TRUE(matches(R"({"completed": {"$exists": false}})", kPending));
  EXPECT_TRUE(matches(R"({"stdout": {"$exists": true}})", kPending));  // "" is not None
}

TEST(QueryTest, GlobMatchesShellPatterns) {
  EXPECT_TRUE(matches(R"({"engine_uuid": {"$glob": "e*"}})", kDone));
  EXPECT_TRUE(matches(R"({"engine_uuid": {"$glob": "?1"}})", kDone));
  EXPECT_FALSE(matches(R"({"engine_uuid": {"$glob": "E*"}})", kDone));
  EXPECT_TRUE(matches(R"({"engine_uuid": {"$glob": "[a-f]1"}})", kDone));
}

TEST(QueryTest, GlobNeverMatchesNone) {
  EXPECT_FALSE(matches(R"({"label": {"$glob": "*"}})", kDone));
}

TEST(QueryTest, UnknownOperatorIsKeyError) {
  const HubError e = parse_error(json::parse(R"({"msg_id": {"$regex": "a"}})"));
  EXPECT_EQ(e.ename(), "KeyError");
  EXPECT_EQ(e.evalue(), "'$regex'");
}

TEST(QueryTest, UnknownFieldIsKeyError) {
  const HubError e = parse_error(json::parse(R"({"bogus": 1, "buffers": 2})"));
  EXPECT_EQ(e.ename(), "KeyError");
  EXPECT_EQ(e.evalue(), "\"Illegal testing key(s): ['bogus', 'buffers']\"");
}

TEST(QueryTest, BadOperandTypesAreTypeErrors) {
  EXPECT_EQ(parse_error(json::parse(R"({"msg_id": {"$in": "abc"}})")).ename(), "TypeError");
  EXPECT_EQ(parse_error(json::parse(R"({"msg_id": {"$glob": 5}})")).ename(), "TypeError");
  EXPECT_EQ(parse_error(json::parse(R"({"msg_id": {"$lt": [1]}})")).ename(), "TypeError");
  EXPECT_EQ(parse_error(json::parse(R"({"msg_id": {"$mod": [1]}})")).ename(), "TypeError");
  EXPECT_EQ(parse_error(json::parse(R"([1])")).ename(), "TypeError");
}

TEST(QueryTest, MsgIdCandidatesFromInAndEq) {
  EXPECT_EQ(Query::msg_ids({"a", "b"}).msg_id_candidates(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Query::parse(json::parse(R"({"msg_id": "a"})")).msg_id_candidates(),
            std::vector<std::string>{"a"});
  EXPECT_FALSE(Query::parse(json::parse(R"({"engine_uuid": "a"})")).msg_id_candidates());
}

TEST(QueryTest, TruthinessFollowsPython) {
  EXPECT_FALSE(py_truthy(json()));
  EXPECT_FALSE(py_truthy(0));
  EXPECT_FALSE(py_truthy(""));
  EXPECT_FALSE(py_truthy(json::object()));
  EXPECT_TRUE(py_truthy(json::array({0})));
  EXPECT_TRUE(py_truthy("x"));
}

}  // namespace
}  // namespace ipp::hub

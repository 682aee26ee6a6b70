// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/sqlite_query.hpp"

#include <gtest/gtest.h>

namespace ipp::hub {
namespace {

using nlohmann::json;

SqlFilter sql(const json& query, bool with_label = false) {
  return translate_query(Query::parse(query), with_label);
}

TEST(SqliteQueryTest, EmptyQueryMatchesEverything) {
  const SqlFilter f = sql(json::object());
  EXPECT_EQ(f.where, "1");
  EXPECT_TRUE(f.args.empty());
  EXPECT_TRUE(f.exact);
}

TEST(SqliteQueryTest, TextEqualityAndNullTests) {
  SqlFilter f = sql({{"engine_uuid", "e1"}});
  EXPECT_EQ(f.where, "engine_uuid = ?");
  EXPECT_EQ(std::get<std::string>(f.args.at(0)), "e1");
  EXPECT_EQ(sql({{"engine_uuid", nullptr}}).where, "engine_uuid IS NULL");
  EXPECT_EQ(sql({{"completed", {{"$ne", nullptr}}}}).where, "completed IS NOT NULL");
  EXPECT_EQ(sql({{"result_header", {{"$exists", true}}}}).where, "result_header IS NOT NULL");
  EXPECT_EQ(sql({{"queue", {{"$exists", false}}}}).where, "queue IS NULL");
}

TEST(SqliteQueryTest, ConditionsAreJoinedWithAnd) {
  const SqlFilter f = sql({{"engine_uuid", "u"}, {"completed", {{"$ne", nullptr}}}});
  EXPECT_EQ(f.where, "completed IS NOT NULL AND engine_uuid = ?");
  EXPECT_TRUE(f.exact);
}

TEST(SqliteQueryTest, InAndNinUseOneJsonListParameterAndHandleNull) {
  SqlFilter f = sql({{"msg_id", {{"$in", {"a", "b"}}}}});
  EXPECT_EQ(f.where, "msg_id IN (SELECT value FROM json_each(?))");
  EXPECT_EQ(std::get<std::string>(f.args.at(0)), R"(["a","b"])");
  f = sql({{"client_uuid", {{"$in", {"a", nullptr}}}}});
  EXPECT_EQ(f.where, "(client_uuid IS NULL OR client_uuid IN (SELECT value FROM json_each(?)))");
  f = sql({{"client_uuid", {{"$nin", {"a"}}}}});
  EXPECT_EQ(f.where, "(client_uuid IS NULL OR NOT client_uuid IN (SELECT value FROM json_each(?)))");
  f = sql({{"client_uuid", {{"$nin", {"a", nullptr}}}}});
  EXPECT_EQ(f.where, "(client_uuid IS NOT NULL AND NOT client_uuid IN (SELECT value FROM json_each(?)))");
}

TEST(SqliteQueryTest, DatesCompareAsInstantsWhateverTheirZone) {
  const SqlFilter f = sql({{"submitted", {{"$gte", "2026-11-21T09:00:00+01:00"}}}});
  EXPECT_EQ(f.where, "ipp_instant(submitted) >= ?");
  // 2026-11-21T08:00:00Z in microseconds.
  EXPECT_EQ(std::get<std::int64_t>(f.args.at(0)), 1795248000000000LL);
  EXPECT_TRUE(f.exact);
}

TEST(SqliteQueryTest, WhatSqlCannotSayIsLeftToTheMatcher) {
  for (const json& q : {json{{"content", {{"$eq", {{"a", 5}}}}}}, json{{"msg_id", {{"$glob", "a*"}}}},
                        json{{"header", {{"$all", {"msg_id"}}}}}, json{{"stdout", {{"$exists", true}}}},
                        json{{"engine_uuid", {{"$ne", "x"}}}}, json{{"submitted", {{"$lt", 5}}}}}) {
    const SqlFilter f = sql(q);
    EXPECT_FALSE(f.exact) << q.dump();
    EXPECT_EQ(f.where, "1") << q.dump();
  }
}

TEST(SqliteQueryTest, LabelIsAColumnOnlyInNewestTables) {
  EXPECT_FALSE(sql({{"label", "x"}}, false).exact);
  const SqlFilter f = sql({{"label", "x"}}, true);
  EXPECT_TRUE(f.exact);
  EXPECT_EQ(f.where, "label = ?");
}

TEST(SqliteQueryTest, StdoutTreatsNullAsEmptyText) {
  EXPECT_EQ(sql({{"stdout", ""}}).where, "IFNULL(stdout, '') = ?");
}

}  // namespace
}  // namespace ipp::hub

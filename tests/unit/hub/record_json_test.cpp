// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/record_json.hpp"

#include <gtest/gtest.h>

namespace ipp::hub {
namespace {

using nlohmann::json;

TEST(RecordJsonTest, TextIsParsedOnFirstRead) {
  const RecordJson field = RecordJson::from_text(R"({"msg_id": "m1", "n": 5})");
  ASSERT_NE(field.text(), nullptr);
  EXPECT_EQ(*field.text(), R"({"msg_id": "m1", "n": 5})");
  EXPECT_EQ(field.get()["msg_id"], "m1");
  EXPECT_TRUE(field.get()["n"].is_number_unsigned());
  EXPECT_NE(field.text(), nullptr);  // reading keeps the text for the SQLite store
}

TEST(RecordJsonTest, ModifyingDropsTheText) {
  RecordJson field = RecordJson::from_text(R"({"a": 1})");
  field.mutable_value()["b"] = 2;
  EXPECT_EQ(field.text(), nullptr);
  EXPECT_EQ(field.get(), json({{"a", 1}, {"b", 2}}));
}

TEST(RecordJsonTest, ValuesAndAssignment) {
  RecordJson field;
  EXPECT_TRUE(field.is_null());
  field = {{"status", "ok"}};
  EXPECT_EQ(field, json({{"status", "ok"}}));
  field = 5;
  EXPECT_EQ(field.get(), json(5));
  field = nullptr;
  EXPECT_TRUE(field.is_null());
  EXPECT_EQ(field.text(), nullptr);
}

TEST(RecordJsonTest, TruthLikePython) {
  for (const char* falsy : {"{}", " { } ", "[]", "null", "0", "false", "\"\""}) {
    EXPECT_FALSE(RecordJson::from_text(falsy).truthy()) << falsy;
  }
  for (const char* truthy : {R"({"a": null})", "[0]", "1", "true", "\"x\""}) {
    EXPECT_TRUE(RecordJson::from_text(truthy).truthy()) << truthy;
  }
  EXPECT_TRUE(RecordJson::from_text(" null ").is_null());
}

TEST(RecordJsonTest, EqualityComparesValuesNotText) {
  EXPECT_EQ(RecordJson::from_text(R"({"a":1,"b":2})"), RecordJson::from_text(R"({"b": 2, "a": 1})"));
  EXPECT_FALSE(RecordJson::from_text(R"({"a":1})") == RecordJson::from_text(R"({"a":2})"));
}

}  // namespace
}  // namespace ipp::hub

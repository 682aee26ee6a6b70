// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/json_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ipp::wire {
namespace {

using nlohmann::json;

// Same value and the same number kinds all the way down.
bool identical(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      const auto other = b.find(it.key());
      if (other == b.end() || !identical(*it, *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!identical(a[i], b[i])) return false;
    }
    return true;
  }
  return a.dump() == b.dump();
}

// nlohmann::json::parse is the reference: the reader must accept and
// reject the same texts and build the same values.
void expect_like_nlohmann(const std::string& text) {
  std::optional<json> expected;
  try {
    expected = json::parse(text);
  } catch (const json::exception&) {
  }
  std::string error;
  const auto got = read_json(text, &error, 512);
  ASSERT_EQ(got.has_value(), expected.has_value()) << "text: " << text << " error: " << error;
  EXPECT_EQ(validate_json(text, nullptr, 512), expected.has_value()) << text;
  if (got) {
    EXPECT_TRUE(identical(*got, *expected)) << text << ": " << got->dump() << " vs " << expected->dump();
  } else {
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(JsonReaderTest, AcceptsAndRejectsLikeNlohmann) {
  const std::vector<std::string> cases = {
      // values and whitespace
      "{}", "[]", " \t\r\n{ } \n", "null", "true", "false", "\"s\"", "0", "-0", "1", "-1",
      R"({"a": 1, "b": [1, 2, {"c": null}], "d": {"e": "f"}})",
      R"({"msg_id": "a_1_2", "msg_type": "apply_request", "date": "2026-11-21T08:00:41.077924Z"})",
      R"({"a": 1, "a": 2})", R"([[[[]]]])", R"({"": ""})",
      // numbers
      "0.5", "-0.0", "1e5", "1E+5", "1e-5", "123456789012345678", "9223372036854775807",
      "9223372036854775808", "18446744073709551615", "18446744073709551616",
      "-9223372036854775808", "-9223372036854775809", "1e-400", "1e400", "-1e400",
      "3.141592653589793", "2.2250738585072014e-308", "5e-324", "1.7976931348623157e308",
      "01", "-", "-a", ".5", "1.", "1.e5", "1e", "1e+", "+1", "0x10", "1_000", "Infinity", "NaN",
      "-Infinity",
      // strings
      R"("a\"b\\c\/d\be\ff\ng\rh\ti")", R"("\u0041\u00e9\u20ac")", R"("\ud83d\ude00")",
      R"("\u0000")", R"("\ud83d")", R"("\ude00")", R"("\ud83dx")", R"("\ud83d\u0041")",
      R"("\u12")", R"("\u12G4")", R"("\x")", "\"a\tb\"", "\"a\nb\"", "\"a\x01\"", "\"unterminated",
      "\"caf\xc3\xa9\"", "\"\xe2\x82\xac\"", "\"\xf0\x9f\x98\x80\"", "\"\xff\"", "\"\xc0\x80\"",
      "\"\xc1\xbf\"", "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"",
      "\"\xc3\"", "\"\xe2\x82\"", "\"\x80\"", "\"\xc3\x28\"",
      // structure
      "", " ", "{", "}", "[", "[1,]", "{\"a\":1,}", "{\"a\"}", "{\"a\" 1}", "{a:1}", "{'a':1}",
      "[1 2]", "{} {}", "{}x", "nul", "tru", "falsey", "[null,]", "// c\n{}", "{/*c*/}",
  };
  for (const auto& text : cases) expect_like_nlohmann(text);
}

TEST(JsonReaderTest, BoundsNesting) {
  std::string error;
  const std::string ok = std::string(512, '[') + std::string(512, ']');
  EXPECT_TRUE(read_json(ok, &error, 512)) << error;
  const std::string deep = std::string(513, '[') + std::string(513, ']');
  EXPECT_FALSE(read_json(deep, &error, 512));
  EXPECT_EQ(error, "JSON nested deeper than 512");
  // Hostile depth far beyond any stack.
  const std::string hostile(1'000'000, '[');
  EXPECT_FALSE(validate_json(hostile, &error, 512));
  EXPECT_FALSE(JsonObjectView::parse("{\"a\":" + hostile, &error, 512));
}

TEST(JsonReaderTest, ObjectViewGivesRawMembers) {
  std::string error;
  const auto view = JsonObjectView::parse(
      R"({"msg_id": "m\u0031", "n": 5, "list": [1, "x"], "n": 6, "k\"q": true})", &error, 512);
  ASSERT_TRUE(view) << error;
  EXPECT_EQ(view->size(), 5u);
  EXPECT_EQ(view->string("msg_id"), "m1");
  EXPECT_EQ(view->raw("n"), "6");  // the last of a repeated key
  EXPECT_EQ(view->get("list"), json::parse(R"([1, "x"])"));
  EXPECT_EQ(view->get("k\"q"), json(true));
  EXPECT_FALSE(view->string("n"));
  EXPECT_FALSE(view->contains("missing"));
}

TEST(JsonReaderTest, ObjectViewRejectsWhatParseDictRejects) {
  std::string error;
  EXPECT_FALSE(JsonObjectView::parse("[1]", &error, 512));
  EXPECT_EQ(error, "expected a JSON object, got array");
  EXPECT_FALSE(JsonObjectView::parse("\"s\"", &error, 512));
  EXPECT_EQ(error, "expected a JSON object, got string");
  EXPECT_FALSE(JsonObjectView::parse("{\"a\": \"\xff\"}", &error, 512));
  EXPECT_NE(error.find("UTF-8"), std::string::npos) << error;
  EXPECT_FALSE(JsonObjectView::parse("{\"a\": 1} x", &error, 512));
  EXPECT_FALSE(JsonObjectView::parse("", &error, 512));
  EXPECT_TRUE(JsonObjectView::parse(" {} ", &error, 512));
}

TEST(JsonReaderTest, DecodesStrings) {
  EXPECT_EQ(decode_json_string(R"("plain")"), "plain");
  EXPECT_EQ(decode_json_string(R"("a\nb\u00e9\ud83d\ude00")"), "a\nb\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_FALSE(decode_json_string("5"));
}

}  // namespace
}  // namespace ipp::wire

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/config.hpp"

#include <gtest/gtest.h>

namespace ipp::config {
namespace {

using nlohmann::json;

ConfigValue plain(json v, std::string source = "a.py", int line = 1) {
  ConfigValue c;
  c.value = std::move(v);
  c.source = std::move(source);
  c.line = line;
  return c;
}

ConfigValue lazy(json ops, std::string source = "b.py", int line = 2) {
  ConfigValue c = plain(std::move(ops), std::move(source), line);
  c.lazy = true;
  return c;
}

TEST(ConfigTest, LaterPlainValueWins) {
  Config a, b;
  a.set("IPController", "ip", plain("1"));
  a.set("IPController", "location", plain("x"));
  b.set("IPController", "ip", plain("2", "b.py", 7));
  a.merge(b);
  EXPECT_EQ(a.find("IPController", "ip")->value, "2");
  EXPECT_EQ(a.find("IPController", "ip")->where(), "b.py:7");
  EXPECT_EQ(a.find("IPController", "location")->value, "x");
}

TEST(ConfigTest, LazyOntoPlainReifies) {
  Config a, b;
  a.set("S", "l", plain(json({"x"})));
  b.set("S", "l", lazy({{"extend", {"y"}}}));
  a.merge(b);
  const ConfigValue* v = a.find("S", "l");
  EXPECT_FALSE(v->lazy);
  EXPECT_EQ(v->value, json({"x", "y"}));
  EXPECT_EQ(v->source, "b.py");
}

TEST(ConfigTest, LazyOntoLazyCombines) {
  Config a, b;
  a.set("S", "l", lazy({{"extend", {"a"}}, {"prepend", {"p1"}}}));
  b.set("S", "l", lazy({{"extend", {"b"}}, {"prepend", {"p2"}}}));
  a.merge(b);
  const ConfigValue* v = a.find("S", "l");
  EXPECT_TRUE(v->lazy);
  EXPECT_EQ(apply_lazy(v->value, json({"d"})), json({"p2", "p1", "d", "a", "b"}));
}

TEST(ConfigTest, PlainAfterLazyReplaces) {
  Config a, b;
  a.set("S", "l", lazy({{"extend", {"a"}}}));
  b.set("S", "l", plain(json({"z"})));
  a.merge(b);
  EXPECT_FALSE(a.find("S", "l")->lazy);
  EXPECT_EQ(a.find("S", "l")->value, json({"z"}));
}

TEST(ConfigTest, ApplyLazyInsertFollowsPythonListInsert) {
  json ops = {{"inserts", {{0, "first"}, {-1, "before-last"}, {100, "end"}}}};
  EXPECT_EQ(apply_lazy(ops, json({"a", "b"})), json({"first", "a", "before-last", "b", "end"}));
}

TEST(ConfigTest, ApplyLazyDictUpdateAndSetAdd) {
  EXPECT_EQ(apply_lazy({{"update", {{"k", 1}}}}, json({{"j", 0}})), json({{"j", 0}, {"k", 1}}));
  EXPECT_EQ(apply_lazy({{"update", {{"k", 1}}}}, nullptr), json({{"k", 1}}));
  EXPECT_EQ(apply_lazy({{"add", {1, 2}}}, json({2, 3})), json({2, 3, 1}));
}

TEST(ConfigTest, EraseDropsEmptySection) {
  Config a;
  a.set("S", "t", plain(1));
  EXPECT_TRUE(a.erase("S", "t"));
  EXPECT_FALSE(a.has_section("S"));
  EXPECT_FALSE(a.erase("S", "t"));
}

TEST(ConfigTest, DiagnosticText) {
  EXPECT_EQ((Diagnostic{Diagnostic::Kind::Unknown, "/p/c.py", 3, "m"}).to_string(), "/p/c.py:3: m");
  EXPECT_EQ((Diagnostic{Diagnostic::Kind::Note, "<command line>", 0, "m"}).to_string(), "<command line>: m");
}

}  // namespace
}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/json_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"

namespace ipp::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(JsonConfigTest, SectionsTraitsAndLines) {
  Config c = parse_json_config(
      "{\n"
      "  \"IPController\": {\n"
      "    \"ip\": \"*\",\n"
      "    \"reuse_files\": true\n"
      "  },\n"
      "  \"SSHEngineSetLauncher\": {\"engines\": {\"b\": 2, \"a\": 1}}\n"
      "}\n",
      "x.json");
  EXPECT_EQ(c.find("IPController", "ip")->value, "*");
  EXPECT_EQ(c.find("IPController", "ip")->line, 3);
  EXPECT_EQ(c.find("IPController", "reuse_files")->value, true);
  EXPECT_EQ(c.find("IPController", "reuse_files")->line, 4);
  EXPECT_EQ(c.find("IPController", "ip")->source, "x.json");
  EXPECT_EQ(c.find("SSHEngineSetLauncher", "engines")->key_order, (std::vector<std::string>{"b", "a"}));
}

TEST(JsonConfigTest, VersionKeyIsAccepted) {
  Config c = parse_json_config(R"({"version": 1, "Cluster": {"n": 3}})", "x.json");
  EXPECT_EQ(c.find("Cluster", "n")->value, 3);
  EXPECT_FALSE(c.has_section("version"));
  EXPECT_THROW(parse_json_config(R"({"version": 2})", "x.json"), Error);
}

TEST(JsonConfigTest, SyntaxErrorNamesLine) {
  try {
    parse_json_config("{\n\"Cluster\": {\n  \"n\": 3,,\n}}", "x.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("x.json:3: invalid JSON"));
  }
}

TEST(JsonConfigTest, SectionMustBeAnObject) {
  EXPECT_THROW(parse_json_config(R"({"Cluster": 3})", "x.json"), Error);
  EXPECT_THROW(parse_json_config(R"([1, 2])", "x.json"), Error);
}

TEST(JsonConfigTest, NestedSection) {
  Config c = parse_json_config(R"({"IPClusterStart": {"Cluster": {"n": 2}}})", "x.json");
  EXPECT_EQ(c.find("IPClusterStart.Cluster", "n")->value, 2);
}

}  // namespace
}  // namespace ipp::config

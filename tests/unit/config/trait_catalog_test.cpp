// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/trait_catalog.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"

namespace ipp::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const TraitCatalog& cat() { return TraitCatalog::instance(); }

ConfigValue cli(json v) {
  ConfigValue c;
  c.value = std::move(v);
  c.source = "<command line>";
  c.from_command_line = true;
  return c;
}

ConfigValue file(json v) {
  ConfigValue c;
  c.value = std::move(v);
  c.source = "/p/c.py";
  c.line = 9;
  return c;
}

json convert(const char* cls, const char* trait, const ConfigValue& v) {
  const TraitInfo* t = cat().find_trait(cls, trait);
  if (t == nullptr) throw std::runtime_error("no trait");
  return convert_trait_value(*t, cls, v);
}

TEST(TraitCatalogTest, KnowsClassesAndInheritance) {
  EXPECT_NE(cat().find_trait("IPController", "reuse_files"), nullptr);
  EXPECT_NE(cat().find_trait("IPController", "log_level"), nullptr);  // from Application
  EXPECT_EQ(cat().find_trait("IPController", "log_level")->declared_by, "Application");
  EXPECT_NE(cat().find_trait("SSHEngineSetLauncher", "to_send"), nullptr);  // from SSHLauncher
  EXPECT_NE(cat().find_trait("SGEEngineSetLauncher", "queue"), nullptr);
  EXPECT_EQ(cat().find_trait("PBSEngineSetLauncher", "submit_command")->default_value, json({"qsub"}));
  EXPECT_EQ(cat().find_trait("HubFactory", "db_class")->declared_by, "IPController");  // deprecated name
  EXPECT_EQ(cat().mro("SSHEngineSetLauncher")[1], "LocalEngineSetLauncher");
  EXPECT_EQ(cat().find_trait("IPController", "no_such_trait"), nullptr);
}

TEST(TraitCatalogTest, Owners) {
  using O = TraitCatalog::Owner;
  EXPECT_EQ(cat().owner("IPController"), O::Controller);
  EXPECT_EQ(cat().owner("HubFactory"), O::Controller);
  EXPECT_EQ(cat().owner("SQLiteDB"), O::Controller);
  EXPECT_EQ(cat().owner("IPEngineApp"), O::Engine);
  EXPECT_EQ(cat().owner("MPI"), O::Engine);
  EXPECT_EQ(cat().owner("SSHLauncher"), O::Cluster);
  EXPECT_EQ(cat().owner("IPClusterEngines"), O::Cluster);
  EXPECT_EQ(cat().owner("Session"), O::Common);
  EXPECT_EQ(cat().owner("ProfileDir"), O::Common);
  for (const char* f : {"InteractiveShell", "TerminalIPythonApp", "IPKernelApp", "InteractiveShellApp",
                        "HistoryManager", "ZMQInteractiveShell", "NotebookApp", "PlainTextFormatter"}) {
    EXPECT_EQ(cat().owner(f), O::Foreign) << f;
  }
  EXPECT_EQ(cat().owner("Foo"), O::Unknown);
}

TEST(TraitCatalogTest, CommandLineConversion) {
  EXPECT_EQ(convert("IPController", "reuse_files", cli("True")), true);
  EXPECT_EQ(convert("IPController", "reuse_files", cli("0")), false);
  EXPECT_EQ(convert("HeartMonitor", "period", cli("500")), 500);
  EXPECT_EQ(convert("IPEngine", "timeout", cli("2.5")), 2.5);
  EXPECT_EQ(convert("IPController", "ports", cli(json({"10-12", "20"}))), json({10, 11, 12, 20}));
  EXPECT_EQ(convert("IPController", "hb", cli(json({"1", "2"}))), json({1, 2}));
  EXPECT_EQ(convert("Cluster", "controller_args", cli(json({"--a"}))), json({"--a"}));
  EXPECT_EQ(convert("Cluster", "controller_args", cli("['--a', '--b']")), json({"--a", "--b"}));
  EXPECT_EQ(convert("BatchSystemLauncher", "namespace", cli(json({"a=1", "b=x"}))), json({{"a", "1"}, {"b", "x"}}));
  EXPECT_EQ(convert("SSHEngineSetLauncher", "engines", cli("{'h': 2}")), json({{"h", 2}}));
  EXPECT_EQ(convert("Cluster", "n", cli("None")), nullptr);
  EXPECT_EQ(convert("IPController", "log_level", cli("10")), 10);
  EXPECT_EQ(convert("IPController", "log_level", cli("DEBUG")), "DEBUG");
  EXPECT_EQ(convert("IPClusterList", "output_format", cli("JSON")), "json");
  EXPECT_EQ(convert("IPController", "ip", cli("'*'")), "*");  // deprecated extra quotes
}

TEST(TraitCatalogTest, FileValueValidation) {
  EXPECT_EQ(convert("IPEngine", "timeout", file(3)), 3.0);
  EXPECT_EQ(convert("IPController", "reuse_files", file(1)), true);
  try {
    convert("IPEngine", "timeout", file("abc"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "/p/c.py:9: The 'timeout' trait of IPEngine expected a float, not the str 'abc'");
  }
  EXPECT_THROW(convert("Cluster", "controller_args", file("--ip=*")), Error);
  EXPECT_THROW(convert("Cluster", "controller_args", file(json({1}))), Error);
  EXPECT_THROW(convert("IPController", "hb", file(json({1, 2, 3}))), Error);
  EXPECT_THROW(convert("SSHEngineSetLauncher", "engines", file(json({1}))), Error);
  EXPECT_THROW(convert("IPController", "ip", file(nullptr)), Error);
  EXPECT_EQ(convert("Cluster", "n", file(nullptr)), nullptr);
}

TEST(TraitCatalogTest, DeprecatedSpellingNamedInErrors) {
  ConfigValue v = file("abc");
  v.spelled_as = "EngineFactory.timeout";
  try {
    convert("IPEngine", "timeout", v);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("The 'timeout' trait of EngineFactory"));
  }
}

TEST(TraitCatalogTest, CheckConfigIgnoresForeignClasses) {
  Config c;
  c.set("InteractiveShell", "colors", file("Linux"));
  c.set("IPKernelApp", "exec_lines", file(json::array()));
  EXPECT_TRUE(check_config(c, Program::Engine).empty());
  EXPECT_TRUE(check_config(c, Program::Controller).empty());
}

TEST(TraitCatalogTest, CheckConfigParentSpecific) {
  Config c;
  c.set("IPClusterStart.Cluster", "n", file(2));
  auto d = check_config(c, Program::Cluster);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_THAT(d[0].message, HasSubstr("parent-specific"));
}

}  // namespace
}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/deprecations.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/config/config_test_util.hpp"

namespace ipp::config {
namespace {

using nlohmann::json;
using testing::has_diagnostic;
using K = Diagnostic::Kind;

ConfigValue file_value(json v, int line) {
  ConfigValue c;
  c.value = std::move(v);
  c.source = "/p/cfg.py";
  c.line = line;
  return c;
}

struct Mapped {
  Config config;
  std::vector<Diagnostic> diags;
};

Mapped map(Program program, std::vector<std::tuple<std::string, std::string, json>> values) {
  Mapped m;
  int line = 1;
  for (auto& [s, t, v] : values) m.config.set(s, t, file_value(v, line++));
  apply_deprecations(m.config, program, m.diags);
  return m;
}

TEST(DeprecationsTest, HubFactoryMovesToIPController) {
  auto m = map(Program::Controller, {{"HubFactory", "ip", "*"}, {"HubFactory", "db_class", "SQLiteDB"},
                                     {"HubFactory", "client_ip", "IP"}, {"HubFactory", "regport", 10101}});
  EXPECT_FALSE(m.config.has_section("HubFactory"));
  EXPECT_EQ(m.config.find("IPController", "ip")->value, "*");
  EXPECT_EQ(m.config.find("IPController", "db_class")->value, "SQLiteDB");
  EXPECT_EQ(m.config.find("IPController", "client_ip")->value, "IP");
  EXPECT_EQ(m.config.find("IPController", "regport")->value, 10101);
  EXPECT_EQ(m.config.find("IPController", "ip")->spelled_as, "HubFactory.ip");
  EXPECT_EQ(m.config.find("IPController", "ip")->line, 1);
  EXPECT_TRUE(has_diagnostic(m.diags, K::Deprecated,
                             "/p/cfg.py:1: c.HubFactory.ip is deprecated: use c.IPController.ip = '*'"));
}

TEST(DeprecationsTest, IPControllerAppMovesToIPController) {
  auto m = map(Program::Controller, {{"IPControllerApp", "reuse_files", true}, {"IPControllerApp", "ssh_server", "s"}});
  EXPECT_EQ(m.config.find("IPController", "reuse_files")->value, true);
  EXPECT_EQ(m.config.find("IPController", "ssh_server")->value, "s");
  EXPECT_FALSE(m.config.has_section("IPControllerApp"));
}

TEST(DeprecationsTest, NewSpellingWinsAndTheOldIsReported) {
  auto m = map(Program::Controller, {{"IPController", "ip", "new"}, {"HubFactory", "ip", "old"}});
  EXPECT_EQ(m.config.find("IPController", "ip")->value, "new");
  EXPECT_TRUE(has_diagnostic(m.diags, K::Deprecated,
                             "ignoring c.HubFactory.ip = 'old', overridden by c.IPController.ip = 'new'"));
}

TEST(DeprecationsTest, EngineFactoryAndIPEngineAppMoveToIPEngine) {
  auto m = map(Program::Engine, {{"EngineFactory", "timeout", 10}, {"EngineFactory", "sshserver", "gw"},
                                 {"IPEngineApp", "work_dir", "/scratch"},
                                 {"IPEngineApp", "startup_command", "import numpy"}});
  EXPECT_EQ(m.config.find("IPEngine", "timeout")->value, 10);
  EXPECT_EQ(m.config.find("IPEngine", "sshserver")->value, "gw");
  EXPECT_EQ(m.config.find("IPEngine", "work_dir")->value, "/scratch");
  EXPECT_EQ(m.config.find("IPEngine", "startup_command")->value, "import numpy");
}

TEST(DeprecationsTest, MpiUseMpi4pyMeansUseMpi) {
  auto m = map(Program::Engine, {{"MPI", "use", "mpi4py"}, {"MPI", "init_script", "import mpi4py"}});
  EXPECT_EQ(m.config.find("IPEngine", "use_mpi")->value, true);
  EXPECT_EQ(m.config.find("IPEngine", "init_mpi")->value, "import mpi4py");
  EXPECT_FALSE(m.config.has_section("MPI"));
  EXPECT_TRUE(has_diagnostic(m.diags, K::Deprecated, "c.MPI.use = 'mpi4py'"));
}

TEST(DeprecationsTest, MpiUseOtherValueIsUnsupported) {
  auto m = map(Program::Engine, {{"MPI", "use", "pytrilinos"}});
  EXPECT_FALSE(m.config.contains("IPEngine", "use_mpi"));
  EXPECT_TRUE(has_diagnostic(m.diags, K::Unsupported, "pytrilinos"));
}

TEST(DeprecationsTest, ExplicitUseMpiFalseWins) {
  auto m = map(Program::Engine, {{"IPEngine", "use_mpi", false}, {"MPI", "use", "mpi4py"}});
  EXPECT_EQ(m.config.find("IPEngine", "use_mpi")->value, false);
}

TEST(DeprecationsTest, IPClusterStartAndEnginesTraitsMoveToCluster) {
  auto m = map(Program::Cluster, {{"IPClusterEngines", "engine_launcher_class", "SSH"},
                                  {"IPClusterStart", "controller_launcher_class", "Local"},
                                  {"IPClusterStart", "controller_location", "IP"},
                                  {"IPClusterEngines", "n", 64},
                                  {"IPClusterStart", "delay", 2.0},
                                  {"IPClusterStart", "controller_ip", "*"},
                                  {"IPClusterEngines", "daemonize", true}});
  EXPECT_EQ(m.config.find("Cluster", "engine_launcher_class")->value, "SSH");
  EXPECT_EQ(m.config.find("Cluster", "controller_launcher_class")->value, "Local");
  EXPECT_EQ(m.config.find("Cluster", "controller_location")->value, "IP");
  EXPECT_EQ(m.config.find("Cluster", "n")->value, 64);
  EXPECT_EQ(m.config.find("Cluster", "delay")->value, 2.0);
  EXPECT_EQ(m.config.find("Cluster", "controller_ip")->value, "*");
  // not one of the six: stays where it is
  EXPECT_EQ(m.config.find("IPClusterEngines", "daemonize")->value, true);
}

TEST(DeprecationsTest, IPClusterStartWinsOverIPClusterEngines) {
  auto m = map(Program::Cluster, {{"IPClusterEngines", "n", 4}, {"IPClusterStart", "n", 8}});
  EXPECT_EQ(m.config.find("Cluster", "n")->value, 8);
}

TEST(DeprecationsTest, OldLauncherTraitNames) {
  auto m = map(Program::Cluster, {{"IPClusterEngines", "engine_set_launcher", "MPI"},
                                  {"IPClusterStart", "controller_launcher", "PBS"}});
  EXPECT_EQ(m.config.find("Cluster", "engine_launcher_class")->value, "MPI");
  EXPECT_EQ(m.config.find("Cluster", "controller_launcher_class")->value, "PBS");
  auto n = map(Program::Cluster, {{"IPClusterEngines", "engine_launcher", "SSH"}});
  EXPECT_EQ(n.config.find("Cluster", "engine_launcher_class")->value, "SSH");
  auto o = map(Program::Cluster, {{"Cluster", "engine_set_launcher_class", "ssh"}});
  EXPECT_EQ(o.config.find("Cluster", "engine_launcher_class")->value, "ssh");
}

TEST(DeprecationsTest, IPClusterAppMovesToIPCluster) {
  auto m = map(Program::Cluster, {{"IPClusterApp", "log_level", 10}});
  EXPECT_EQ(m.config.find("IPCluster", "log_level")->value, 10);
}

TEST(DeprecationsTest, MPIExecLaunchersMoveToMPILaunchers) {
  auto m = map(Program::Cluster, {{"MPIExecLauncher", "mpi_args", json({"-x"})},
                                  {"MPIExecEngineSetLauncher", "mpi_cmd", json({"mpirun"})},
                                  {"MPIExecControllerLauncher", "controller_args", json({"--ip=*"})}});
  EXPECT_EQ(m.config.find("MPILauncher", "mpi_args")->value, json({"-x"}));
  EXPECT_EQ(m.config.find("MPIEngineSetLauncher", "mpi_cmd")->value, json({"mpirun"}));
  EXPECT_EQ(m.config.find("MPIControllerLauncher", "controller_args")->value, json({"--ip=*"}));
}

TEST(DeprecationsTest, OtherProgramsSectionsAreLeftAlone) {
  auto m = map(Program::Engine, {{"HubFactory", "ip", "*"}});
  EXPECT_TRUE(m.config.contains("HubFactory", "ip"));
  EXPECT_FALSE(m.config.contains("IPController", "ip"));
}

}  // namespace
}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/launcher_class.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/config/controller_options.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using K = LauncherKind;
using R = LauncherRole;

LauncherClass engines(const std::string& s) { return resolve_launcher_class(s, R::EngineSet, "Cluster.engine_launcher_class"); }
LauncherClass controller(const std::string& s) {
  return resolve_launcher_class(s, R::Controller, "Cluster.controller_launcher_class");
}

struct Case {
  const char* spelling;
  K kind;
  const char* engine_class;
};

class EngineLauncherSpellingTest : public ::testing::TestWithParam<Case> {};

TEST_P(EngineLauncherSpellingTest, ResolvesToTheEngineSetLauncher) {
  const Case& c = GetParam();
  LauncherClass l = engines(c.spelling);
  EXPECT_EQ(l.kind, c.kind) << c.spelling;
  EXPECT_EQ(l.role, R::EngineSet);
  EXPECT_EQ(l.class_name, c.engine_class) << c.spelling;
}

INSTANTIATE_TEST_SUITE_P(
    AllSpellings, EngineLauncherSpellingTest,
    ::testing::Values(
        Case{"local", K::Local, "LocalEngineSetLauncher"}, Case{"Local", K::Local, "LocalEngineSetLauncher"},
        Case{"ssh", K::SSH, "SSHEngineSetLauncher"}, Case{"SSH", K::SSH, "SSHEngineSetLauncher"},
        Case{"sshproxy", K::SSHProxy, "SSHProxyEngineSetLauncher"},
        Case{"SSHProxyEngineSetLauncher", K::SSHProxy, "SSHProxyEngineSetLauncher"},
        Case{"mpi", K::MPI, "MPIEngineSetLauncher"}, Case{"MPI", K::MPI, "MPIEngineSetLauncher"},
        Case{"MPIExec", K::MPI, "MPIEngineSetLauncher"},
        Case{"MPIExecEngineSetLauncher", K::MPI, "MPIEngineSetLauncher"},
        Case{"pbs", K::PBS, "PBSEngineSetLauncher"}, Case{"PBS", K::PBS, "PBSEngineSetLauncher"},
        Case{"sge", K::SGE, "SGEEngineSetLauncher"}, Case{"SGE", K::SGE, "SGEEngineSetLauncher"},
        Case{"slurm", K::Slurm, "SlurmEngineSetLauncher"}, Case{"Slurm", K::Slurm, "SlurmEngineSetLauncher"},
        Case{"lsf", K::LSF, "LSFEngineSetLauncher"}, Case{"LSF", K::LSF, "LSFEngineSetLauncher"},
        Case{"htcondor", K::HTCondor, "HTCondorEngineSetLauncher"},
        Case{"HTCondor", K::HTCondor, "HTCondorEngineSetLauncher"},
        Case{"batch", K::Batch, "BatchEngineSetLauncher"},
        Case{"winhpc", K::WindowsHPC, "WindowsHPCEngineSetLauncher"},
        Case{"WindowsHPC", K::WindowsHPC, "WindowsHPCEngineSetLauncher"},
        Case{"SSHEngineSetLauncher", K::SSH, "SSHEngineSetLauncher"},
        Case{"MPIEngineSetLauncher", K::MPI, "MPIEngineSetLauncher"},
        Case{"PBSEngineSetLauncher", K::PBS, "PBSEngineSetLauncher"},
        Case{"LocalEngineSetLauncher", K::Local, "LocalEngineSetLauncher"},
        Case{"IPython.parallel.apps.launcher.SSHEngineSetLauncher", K::SSH, "SSHEngineSetLauncher"},
        Case{"IPython.parallel.apps.launcher.MPIExecEngineSetLauncher", K::MPI, "MPIEngineSetLauncher"},
        Case{"IPython.parallel.apps.launcher.LocalEngineSetLauncher", K::Local, "LocalEngineSetLauncher"},
        Case{"ipyparallel.apps.launcher.SlurmEngineSetLauncher", K::Slurm, "SlurmEngineSetLauncher"},
        Case{"ipyparallel.cluster.launcher.SSHEngineSetLauncher", K::SSH, "SSHEngineSetLauncher"},
        Case{"ipyparallel.cluster.launcher.PBSEngineSetLauncher", K::PBS, "PBSEngineSetLauncher"},
        Case{"ipyparallel.cluster.launcher:SGEEngineSetLauncher", K::SGE, "SGEEngineSetLauncher"}));

TEST(LauncherClassTest, ControllerSpellings) {
  EXPECT_EQ(controller("Local").class_name, "LocalControllerLauncher");
  EXPECT_EQ(controller("MPIControllerLauncher").class_name, "MPIControllerLauncher");
  EXPECT_EQ(controller("PBSControllerLauncher").kind, K::PBS);
  EXPECT_EQ(controller("SSHControllerLauncher").class_name, "SSHControllerLauncher");
  EXPECT_EQ(controller("LocalControllerLauncher").kind, K::Local);
  EXPECT_EQ(controller("pbs").class_name, "PBSControllerLauncher");
  EXPECT_EQ(controller("ssh").class_name, "SSHControllerLauncher");
  EXPECT_EQ(controller("MPIExec").class_name, "MPIControllerLauncher");
  EXPECT_EQ(controller("IPython.parallel.apps.launcher.LocalControllerLauncher").kind, K::Local);
  EXPECT_EQ(controller("ipyparallel.cluster.launcher.SlurmControllerLauncher").kind, K::Slurm);
  EXPECT_EQ(controller("IPython.parallel.apps.launcher.MPIExecControllerLauncher").class_name,
            "MPIControllerLauncher");
}

TEST(LauncherClassTest, PythonClassObjects) {
  json cls = {{"__pyobject__", "ipyparallel.cluster.launcher.MPIEngineSetLauncher"}};
  EXPECT_EQ(resolve_launcher_class(cls, R::EngineSet, "x").kind, K::MPI);
}

TEST(LauncherClassTest, OldSpellingsAreFlagged) {
  EXPECT_FALSE(engines("ssh").old_spelling);
  EXPECT_FALSE(engines("SSH").old_spelling);
  EXPECT_FALSE(engines("ipyparallel.cluster.launcher.SSHEngineSetLauncher").old_spelling);
  EXPECT_TRUE(engines("SSHEngineSetLauncher").old_spelling);
  EXPECT_TRUE(engines("IPython.parallel.apps.launcher.SSHEngineSetLauncher").old_spelling);
  EXPECT_TRUE(engines("ipyparallel.apps.launcher.SSHEngineSetLauncher").old_spelling);
  EXPECT_TRUE(engines("MPIExec").old_spelling);
}

TEST(LauncherClassTest, UnknownNameListsTheAcceptedOnes) {
  try {
    engines("torque");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Cluster.engine_launcher_class = 'torque': unknown launcher"));
    EXPECT_THAT(e.what(), HasSubstr("local, ssh, sshproxy, mpi, pbs, sge, slurm, lsf, htcondor, batch, winhpc"));
  }
}

TEST(LauncherClassTest, WrongRoleIsAnError) {
  EXPECT_THROW(engines("SSHControllerLauncher"), Error);
  EXPECT_THROW(engines("SSHEngineLauncher"), Error);
  EXPECT_THROW(engines("PBSLauncher"), Error);
  EXPECT_THROW(controller("MPIEngineSetLauncher"), Error);
  EXPECT_THROW(controller("sshproxy"), Error);
}

TEST(LauncherClassTest, CustomModulesAreRejected) {
  EXPECT_THROW(engines("mypackage.launchers.FancyLauncher"), Error);
  EXPECT_THROW(engines("mypackage:FancyLauncher"), Error);
}

TEST(DbClassTest, AllSpellings) {
  for (const char* s : {"SQLiteDB", "sqlitedb", "SQLITEDB", "ipyparallel.controller.sqlitedb.SQLiteDB",
                        "IPython.parallel.controller.sqlitedb.SQLiteDB", "ipyparallel.controller.sqlitedb:SQLiteDB"}) {
    EXPECT_EQ(resolve_db_class(s), DbKind::SQLiteDB) << s;
  }
  for (const char* s : {"DictDB", "dictdb", "ipyparallel.controller.dictdb.DictDB",
                        "IPython.parallel.controller.dictdb.DictDB"}) {
    EXPECT_EQ(resolve_db_class(s), DbKind::DictDB) << s;
  }
  for (const char* s : {"NoDB", "nodb", "ipyparallel.controller.dictdb.NoDB", "IPython.parallel.controller.dictdb.NoDB"}) {
    EXPECT_EQ(resolve_db_class(s), DbKind::NoDB) << s;
  }
  for (const char* s : {"MongoDB", "mongodb", "ipyparallel.controller.mongodb.MongoDB",
                        "IPython.parallel.controller.mongodb.MongoDB"}) {
    EXPECT_EQ(resolve_db_class(s), DbKind::MongoDB) << s;
  }
  EXPECT_EQ(resolve_db_class(json{{"__pyobject__", "ipyparallel.controller.sqlitedb.SQLiteDB"}}), DbKind::SQLiteDB);
}

TEST(DbClassTest, UnknownIsAnErrorListingChoices) {
  try {
    resolve_db_class("RedisDB", "/p/c.py:4: ");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/p/c.py:4: IPController.db_class = 'RedisDB' is not a known task database"));
    EXPECT_THAT(e.what(), HasSubstr("DictDB, NoDB, SQLiteDB"));
  }
  EXPECT_THROW(resolve_db_class("ipyparallel.controller.dictdb.SQLiteDB"), Error);
}

}  // namespace
}  // namespace ipp::config

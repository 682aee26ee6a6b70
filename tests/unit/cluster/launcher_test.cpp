// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/launcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/cluster/launcher_registry.hpp"

namespace ipp::cluster {
namespace {

using config::LauncherClass;
using config::LauncherKind;
using config::LauncherRole;
using nlohmann::json;
using ::testing::HasSubstr;

LauncherClass engines(const std::string& s) {
  return config::resolve_launcher_class(json(s), LauncherRole::EngineSet, "Cluster.engine_launcher_class");
}
LauncherClass controller(const std::string& s) {
  return config::resolve_launcher_class(json(s), LauncherRole::Controller, "Cluster.controller_launcher_class");
}

// A launcher that only records calls, to test the base class's state.
class FakeEngineSet : public EngineSetLauncher {
 public:
  using EngineSetLauncher::EngineSetLauncher;
  void start() override { set_state(LauncherState::Running); }
  void stop() override { set_state(LauncherState::After); }
  void signal(int) override {}
  bool poll() override { return running(); }
};

LaunchContext context_for(const LauncherClass& c) {
  LaunchContext ctx;
  ctx.config.launcher = c;
  ctx.profile_dir = "/home/u/.ipython/profile_default";
  ctx.cluster_id = "1700000000-abcd";
  ctx.n = 3;
  return ctx;
}

TEST(LauncherRegistryTest, ClusterFileClassIsTheEntryPointNameOrTheFullPath) {
  EXPECT_EQ(cluster_file_class(engines("local")), "local");
  EXPECT_EQ(cluster_file_class(engines("ipyparallel.cluster.launcher.SSHEngineSetLauncher")), "ssh");
  EXPECT_EQ(cluster_file_class(engines("sshproxy")), "sshproxy");
  EXPECT_EQ(cluster_file_class(engines("MPI")), "mpi");
  EXPECT_EQ(cluster_file_class(controller("slurm")), "slurm");
  EXPECT_EQ(cluster_file_class(controller("pbs")), "pbs");
  // 7.1 has no "pbs" engine entry point; its Cluster.from_file imports the path.
  EXPECT_EQ(cluster_file_class(engines("pbs")), "ipyparallel.cluster.launcher.PBSEngineSetLauncher");
}

TEST(LauncherRegistryTest, ReadsEveryClassSpellingOfClusterFiles) {
  EXPECT_EQ(launcher_class_from_file("local", LauncherRole::EngineSet).class_name, "LocalEngineSetLauncher");
  EXPECT_EQ(launcher_class_from_file("LOCAL", LauncherRole::Controller).class_name, "LocalControllerLauncher");
  EXPECT_EQ(launcher_class_from_file("ipyparallel.cluster.launcher.PBSEngineSetLauncher", LauncherRole::EngineSet).kind,
            LauncherKind::PBS);
  EXPECT_EQ(launcher_class_from_file("ipyparallel.cluster.launcher:SlurmEngineSetLauncher", LauncherRole::EngineSet)
                .class_name,
            "SlurmEngineSetLauncher");
  EXPECT_THROW(launcher_class_from_file("mymodule.MyLauncher", LauncherRole::EngineSet), Error);
}

TEST(LauncherRegistryTest, UnimplementedClassIsAClearError) {
  LaunchContext ctx = context_for(engines("winhpc"));
  EXPECT_FALSE(has_launcher(ctx.config.launcher));
  try {
    make_engine_set_launcher(ctx);
    FAIL() << "expected ipp::Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("WindowsHPCEngineSetLauncher"));
    EXPECT_THAT(e.what(), HasSubstr("not implemented"));
  }
}

TEST(LauncherRegistryTest, WrongRoleIsAnError) {
  EXPECT_THROW(make_controller_launcher(context_for(engines("local"))), Error);
}

TEST(LauncherTest, ToDictHasTheCommonFieldsAndN) {
  FakeEngineSet set(context_for(engines("local")));
  json d = set.to_dict();
  EXPECT_EQ(d["profile_dir"], "/home/u/.ipython/profile_default");
  EXPECT_EQ(d["cluster_id"], "1700000000-abcd");
  EXPECT_EQ(d["state"], "before");
  EXPECT_EQ(d["n"], 3);
  set.start();
  EXPECT_EQ(set.to_dict()["state"], "running");
  EXPECT_EQ(set.cluster_file_class(), "local");
  EXPECT_EQ(set.class_name(), "LocalEngineSetLauncher");
}

TEST(LauncherTest, FromDictRestoresWhatToDictSaved) {
  FakeEngineSet set(context_for(engines("local")));
  set.from_dict(json{{"profile_dir", "/p"}, {"cluster_id", "x"}, {"state", "running"}, {"n", 5}});
  EXPECT_EQ(set.context().profile_dir, "/p");
  EXPECT_EQ(set.context().cluster_id, "x");
  EXPECT_EQ(set.n(), 5);
  EXPECT_TRUE(set.running());
  EXPECT_THROW(set.from_dict(json{{"n", "five"}}), Error);
  EXPECT_THROW(set.from_dict(json::array()), Error);
}

TEST(LauncherTest, DefaultCommandsAreOurProgramsNextToIpcluster) {
  LaunchContext ctx = context_for(engines("local"));
  ctx.program_dir = "/opt/ipp/bin";
  EXPECT_EQ(engine_command(ctx), std::vector<std::string>{"/opt/ipp/bin/ipengine"});
  EXPECT_EQ(controller_command(ctx), std::vector<std::string>{"/opt/ipp/bin/ipcontroller"});
  ctx.config.engine_cmd = std::vector<std::string>{"/usr/bin/python3", "-m", "ipyparallel.engine"};
  EXPECT_EQ(engine_command(ctx).at(2), "ipyparallel.engine");
  EXPECT_EQ(cluster_args(ctx),
            (std::vector<std::string>{"--profile-dir", "/home/u/.ipython/profile_default", "--cluster-id",
                                      "1700000000-abcd"}));
}

}  // namespace
}  // namespace ipp::cluster

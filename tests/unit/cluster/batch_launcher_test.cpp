// SPDX-License-Identifier: BSD-3-Clause
// The batch launchers through the registry, as ipcluster makes them: every
// spelling of every batch class, the cluster file state, restoring it in
// "another process" and deleting the job (fake PBS commands).
#include "ipp/cluster/batch_launcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "ipp/cluster/launcher_registry.hpp"
#include "unit/config/config_test_util.hpp"

namespace ipp::cluster {
namespace {

using config::LauncherRole;
using config::Program;
using nlohmann::json;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

const fs::path kFakes = fs::path(IPP_SOURCE_DIR) / "tests/fixtures/fake_batch";

class BatchLauncherTest : public ::testing::Test {
 protected:
  // The launchers ipcluster start would make for `args` and `py`.
  config::ClusterOptions options(const std::vector<std::string>& args, const std::string& py = "") {
    profile_.write("ipcluster_config.py", py);
    return config::build_cluster_options(profile_.load(Program::Cluster, args));
  }
  LaunchContext context(const config::LauncherConfig& l) {
    LaunchContext c;
    c.config = l;
    c.profile_dir = profile_.dir();
    c.cluster_id = "c1";
    c.engine_set_id = "1700000000";
    c.n = 2;
    c.work_dir = profile_.root();
    c.environment = {{"FAKE_BATCH_DIR", (profile_.root() / "fake-batch").string()}};
    return c;
  }
  // PBS through the fake commands, running a harmless program.
  config::ClusterOptions fake_pbs() {
    const fs::path bin = kFakes / "bin-pbs";
    return options({"start", "--engines=pbs", "--controller=pbs"},
                   "c.PBSLauncher.submit_command = ['" + (bin / "qsub").string() + "']\n" +
                       "c.PBSLauncher.delete_command = ['" + (bin / "qdel").string() + "']\n" +
                       "c.PBSLauncher.queue = 'short'\n"
                       "c.PBSEngineSetLauncher.engine_cmd = ['/bin/sleep', '60']\n"
                       "c.PBSEngineSetLauncher.engine_args = []\n");
  }
  bool job_deleted(const std::string& id) {
    std::ifstream in(profile_.root() / "fake-batch" / "jobs" / id / "job.json");
    return in && json::parse(in).value("state", "") == "deleted";
  }

  config::testing::TempProfile profile_;
};

TEST_F(BatchLauncherTest, EverySpellingMakesABatchLauncher) {
  for (const char* name :
       {"pbs", "PBS", "PBSEngineSetLauncher", "ipyparallel.cluster.launcher.PBSEngineSetLauncher",
        "IPython.parallel.apps.launcher.PBSEngineSetLauncher", "sge", "SGE", "slurm", "Slurm",
        "ipyparallel.cluster.launcher:SlurmEngineSetLauncher", "lsf", "LSFEngineSetLauncher", "htcondor",
        "HTCondor", "batch"}) {
    std::string controller_name = name;  // the same spelling for the controller class
    if (auto at = controller_name.find("EngineSetLauncher"); at != std::string::npos) {
      controller_name.replace(at, 17, "ControllerLauncher");
    }
    auto o = options({"start", std::string("--engines=") + name, "--controller=" + controller_name});
    auto engines = make_engine_set_launcher(context(o.engine_launcher));
    EXPECT_NE(dynamic_cast<BatchEngineSetLauncher*>(engines.get()), nullptr) << name;
    EXPECT_TRUE(engines->remote()) << name;
    auto controller = make_controller_launcher(context(o.controller_launcher));
    EXPECT_NE(dynamic_cast<BatchControllerLauncher*>(controller.get()), nullptr) << name;
  }
}

TEST_F(BatchLauncherTest, StartSavesTheJobAndAnotherProcessDeletesIt) {
  config::ClusterOptions o = fake_pbs();
  auto engines = make_engine_set_launcher(context(o.engine_launcher));
  engines->start();
  ASSERT_TRUE(engines->running());
  EXPECT_EQ(engines->n(), 2);
  EXPECT_EQ(engines->hosts(), (std::vector<std::pair<std::string, int>>{{"job 100", 2}}));
  EXPECT_TRUE(engines->poll());

  json state = engines->to_dict();
  EXPECT_EQ(state["job_id"], "100");
  EXPECT_EQ(state["n"], 2);
  EXPECT_EQ(state["queue"], "short");
  EXPECT_EQ(state["batch_file_name"], "pbs_engines");
  EXPECT_EQ(state["batch_template"],
            "#!/bin/sh\n#PBS -t 1-{n}\n#PBS -q {queue}\n#PBS -V\n#PBS -N ipengine\n"
            "{program_and_args}\n");
  EXPECT_EQ(state["namespace"], json::object());
  EXPECT_EQ(state["state"], "running");
  EXPECT_EQ(state["profile_dir"], profile_.dir().string());
  EXPECT_EQ(state["cluster_id"], "c1");
  EXPECT_THAT(state["output_file"].get<std::string>(), HasSubstr("/log/ipengine-c1-1700000000-"));
  EXPECT_EQ(engines->cluster_file_class(), "ipyparallel.cluster.launcher.PBSEngineSetLauncher");
  // The script runs the configured engine command after the cluster args.
  std::ifstream script(profile_.root() / "pbs_engines");
  std::string text((std::istreambuf_iterator<char>(script)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text,
              HasSubstr("\n/bin/sleep 60 --profile-dir " + profile_.dir().string() + " --cluster-id c1\n"));

  auto restored = make_engine_set_launcher(context(o.engine_launcher));
  restored->from_dict(state);
  EXPECT_TRUE(restored->running());
  EXPECT_EQ(restored->to_dict(), state);
  restored->stop();
  EXPECT_FALSE(restored->running());
  EXPECT_TRUE(job_deleted("100"));
}

TEST_F(BatchLauncherTest, ControllerIsAJobOfOne) {
  config::ClusterOptions o = fake_pbs();
  auto controller = make_controller_launcher(context(o.controller_launcher));
  controller->start();
  json state = controller->to_dict();
  EXPECT_EQ(state["n"], 1);
  EXPECT_EQ(state["batch_file_name"], "pbs_controller");
  EXPECT_EQ(controller->cluster_file_class(), "pbs");
  controller->stop();
  EXPECT_TRUE(job_deleted(state["job_id"]));
}

TEST_F(BatchLauncherTest, SavedStateWithoutJobIdIsNotRunning) {
  config::ClusterOptions o = fake_pbs();
  auto engines = make_engine_set_launcher(context(o.engine_launcher));
  EXPECT_THROW(
      engines->from_dict({{"state", "running"}, {"n", 2}, {"profile_dir", "/p"}, {"cluster_id", ""}}),
      NotRunning);
}

TEST_F(BatchLauncherTest, FailedDeleteIsLoggedNotThrown) {
  config::ClusterOptions o = fake_pbs();
  auto engines = make_engine_set_launcher(context(o.engine_launcher));
  engines->from_dict({{"state", "running"}, {"job_id", "4242"}, {"n", 2}});
  EXPECT_NO_THROW(engines->stop());  // qdel: Unknown Job Id 4242
  EXPECT_FALSE(engines->running());
}

TEST_F(BatchLauncherTest, FailedSubmitLeavesTheLauncherUnstarted) {
  config::ClusterOptions o =
      options({"start", "--engines=pbs"}, "c.PBSEngineSetLauncher.batch_template = '{nodes}'\n");
  auto engines = make_engine_set_launcher(context(o.engine_launcher));
  try {
    engines->start();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("name 'nodes' is not defined"));
  }
  EXPECT_EQ(engines->state(), LauncherState::Before);
}

}  // namespace
}  // namespace ipp::cluster

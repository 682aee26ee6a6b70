// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/cluster.hpp"

#include <unistd.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/subprocess.hpp"
#include "unit/config/temp_dir.hpp"

namespace ipp::cluster {
namespace {

using config::LauncherClass;
using config::LauncherKind;
using config::LauncherRole;
using nlohmann::json;

// Stand-ins for ipcontroller/ipengine: sleep, ignoring the cluster args.
const std::vector<std::string> kSleeper{"/bin/sh", "-c", "sleep 60", "fake"};

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "security");
    std::filesystem::create_directories(dir_.path() / "log");
    options_.common.profile.location = dir_.path();
    options_.common.cluster_id = "t";
    options_.n = 2;
    options_.controller_launcher_class = {LauncherKind::Local, LauncherRole::Controller, "LocalControllerLauncher"};
    options_.engine_launcher_class = {LauncherKind::Local, LauncherRole::EngineSet, "LocalEngineSetLauncher"};
    options_.controller_launcher.launcher = options_.controller_launcher_class;
    options_.controller_launcher.controller_cmd = kSleeper;
    options_.controller_launcher.stop_seconds_until_kill = 1;
    options_.engine_launcher.launcher = options_.engine_launcher_class;
    options_.engine_launcher.engine_cmd = kSleeper;
    options_.engine_launcher.delay = 0;
    options_.engine_launcher.stop_seconds_until_kill = 1;
    env_.work_dir = dir_.path();
    env_.send_engines_connection_env = false;
  }

  json read_file() {
    std::ifstream in(dir_.path() / "security" / "cluster-t.json");
    return json::parse(in);
  }

  testing::TempDir dir_;
  config::ClusterOptions options_;
  ClusterEnvironment env_;
};

TEST_F(ClusterTest, FileHasPythonsFormatAndLoadsBack) {
  Cluster c(options_, env_);
  c.start_controller();
  std::string set_id = c.start_engines(std::nullopt);
  json d = read_file();
  EXPECT_EQ(d["cluster"]["class"], "ipyparallel.cluster.cluster.Cluster");
  EXPECT_EQ(d["cluster"]["cluster_id"], "t");
  EXPECT_EQ(d["cluster"]["n"], 2);
  EXPECT_EQ(d["cluster"]["profile_dir"], dir_.path().string());
  EXPECT_EQ(d["controller"]["class"], "local");
  EXPECT_EQ(d["controller"]["state"]["state"], "running");
  EXPECT_GT(d["controller"]["state"]["pid"].get<int>(), 0);
  EXPECT_THAT(d["controller"]["state"]["output_file"].get<std::string>(),
              ::testing::EndsWith("/log/ipcontroller-t-" + std::to_string(::getpid()) + ".log"));
  const json& set = d["engines"]["sets"][set_id];
  EXPECT_EQ(d["engines"]["class"], "local");
  EXPECT_EQ(set["n"], 2);
  EXPECT_EQ(set["pid"], -1);
  EXPECT_EQ(set["engines"]["1"]["n"], 1);
  EXPECT_THAT(set["engines"]["1"]["output_file"].get<std::string>(),
              ::testing::EndsWith("/log/ipengine-t-" + set_id + "-1.log"));

  Cluster loaded = Cluster::load(c.cluster_file(), env_);
  EXPECT_TRUE(loaded.running());
  EXPECT_EQ(loaded.engines_expected(), 2);
  EXPECT_EQ(loaded.to_dict(), d);
  EXPECT_EQ(loaded.engine_launcher_label(), "Local");

  std::vector<int> pids{d["controller"]["state"]["pid"].get<int>(), set["engines"]["0"]["pid"].get<int>(),
                        set["engines"]["1"]["pid"].get<int>()};
  loaded.stop();
  EXPECT_FALSE(std::filesystem::exists(c.cluster_file()));
  for (int pid : pids) EXPECT_FALSE(util::process_alive(pid)) << pid;
  EXPECT_THROW(Cluster::load(c.cluster_file(), env_), ClusterFileMissing);
}

TEST_F(ClusterTest, DeadEnginesAreDroppedWhenLoading) {
  Cluster c(options_, env_);
  c.start_controller();
  std::string set_id = c.start_engines(std::nullopt);
  json d = read_file();
  int engine0 = d["engines"]["sets"][set_id]["engines"]["0"]["pid"];
  ::kill(engine0, SIGKILL);
  while (util::process_alive(engine0)) ::usleep(1000);
  Cluster loaded = Cluster::load(c.cluster_file(), env_);
  EXPECT_EQ(loaded.engines_expected(), 1);
  EXPECT_FALSE(read_file()["engines"]["sets"][set_id]["engines"].contains("0"));
  c.stop();
  loaded.stop();
}

TEST_F(ClusterTest, EngineSetsOfAnotherIpclusterAreKept) {
  Cluster started(options_, env_);
  started.start_controller();
  started.start_engines(1);
  // `ipcluster engines` in another process: its own Cluster object.
  Cluster added(options_, env_);
  std::string extra = added.start_engines(1);
  json d = read_file();
  EXPECT_TRUE(d.contains("controller"));
  EXPECT_EQ(d["engines"]["sets"].size(), 2u);
  // The first process rewrites the file (e.g. an engine stopped): the other
  // set stays.
  started.update_cluster_file();
  EXPECT_TRUE(read_file()["engines"]["sets"].contains(extra));
  added.stop();
  EXPECT_FALSE(read_file()["engines"]["sets"].contains(extra));
  EXPECT_TRUE(read_file().contains("controller"));
  started.stop();
  EXPECT_FALSE(std::filesystem::exists(started.cluster_file()));
}

TEST_F(ClusterTest, MalformedFileIsAClearError) {
  std::ofstream(dir_.path() / "security" / "cluster-t.json") << "{not json";
  try {
    Cluster::load(dir_.path() / "security" / "cluster-t.json", env_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cluster-t.json"));
  }
}

}  // namespace
}  // namespace ipp::cluster

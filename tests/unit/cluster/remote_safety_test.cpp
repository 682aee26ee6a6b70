// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/remote_safety.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/config/config_test_util.hpp"

namespace ipp::cluster {
namespace {

using ::testing::HasSubstr;

class LoopbackWarningTest : public ::testing::Test {
 protected:
  std::optional<std::string> warning(const std::string& ipcluster_py, const std::string& ipcontroller_py = "",
                                     std::vector<std::string> args = {"start"}) {
    profile_.write("ipcluster_config.py", ipcluster_py);
    profile_.write("ipcontroller_config.py", ipcontroller_py);
    return loopback_warning(config::build_cluster_options(profile_.load(config::Program::Cluster, args)));
  }
  config::testing::TempProfile profile_;
};

// Seed 004, without and with its controller_args line.
const char* const kSeed004 =
    "c.IPClusterEngines.engine_launcher_class = 'SSH'\n"
    "c.IPClusterStart.controller_launcher_class = 'Local'\n"
    "c.SSHEngineSetLauncher.engines = {'host1.example.com' : 2, 'node7': 4}\n";

TEST_F(LoopbackWarningTest, RemoteSshEnginesAndLoopbackControllerWarnWithTheFix) {
  auto w = warning(kSeed004);
  ASSERT_TRUE(w);
  EXPECT_THAT(*w, HasSubstr("host1.example.com, node7"));
  EXPECT_THAT(*w, HasSubstr("127.0.0.1"));
  EXPECT_THAT(*w, HasSubstr("c.Cluster.controller_ip = '*'"));
}

TEST_F(LoopbackWarningTest, ControllerListeningElsewhereIsFine) {
  EXPECT_FALSE(warning(std::string(kSeed004) + "c.LocalControllerLauncher.controller_args = ['--ip=*']\n"));
  EXPECT_FALSE(warning(std::string(kSeed004) + "c.Cluster.controller_ip = '0.0.0.0'\n"));
  EXPECT_FALSE(warning(kSeed004, "c.IPController.ip = '10.1.2.3'\n"));
  EXPECT_FALSE(warning(kSeed004, "c.HubFactory.engine_ip = '*'\n"));
  EXPECT_FALSE(warning(kSeed004, "", {"start", "--ip=*"}));
  EXPECT_FALSE(warning(kSeed004, "", {"start", "--", "--ip=*"}));
  // Engines tunnel to the controller over ssh.
  EXPECT_FALSE(warning(kSeed004, "c.IPController.engine_ssh_server = 'head'\n"));
}

TEST_F(LoopbackWarningTest, LocalTargetsDoNotWarn) {
  EXPECT_FALSE(warning(""));
  EXPECT_FALSE(warning("c.Cluster.engine_launcher_class = 'mpi'\n"));
  EXPECT_FALSE(warning("c.Cluster.engine_launcher_class = 'ssh'\n"
                       "c.SSHEngineSetLauncher.engines = {'localhost': 2, '127.0.0.1': 1}\n"));
}

TEST_F(LoopbackWarningTest, BatchAndMpiHostListsWarn) {
  EXPECT_THAT(warning("c.Cluster.engine_launcher_class = 'pbs'\n").value_or(""), HasSubstr("PBSEngineSetLauncher"));
  EXPECT_THAT(warning("c.Cluster.engine_launcher_class = 'mpi'\n"
                      "c.MPILauncher.mpi_args = ['--hostfile', 'hosts']\n")
                  .value_or(""),
              HasSubstr("MPIEngineSetLauncher"));
  EXPECT_THAT(warning("c.Cluster.controller_launcher_class = 'slurm'\n").value_or(""),
              HasSubstr("SlurmControllerLauncher"));
}

}  // namespace
}  // namespace ipp::cluster

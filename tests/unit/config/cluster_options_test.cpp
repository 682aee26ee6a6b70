// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/cluster_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"
#include "unit/config/config_test_util.hpp"

namespace ipp::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::TempProfile;

class ClusterOptionsTest : public ::testing::Test {
 protected:
  ClusterOptions build(const std::string& py, std::vector<std::string> args = {"start"}) {
    profile_.write("ipcluster_config.py", py);
    return build_cluster_options(profile_.load(Program::Cluster, args));
  }
  std::string error_of(const std::string& py, std::vector<std::string> args = {"start"}) {
    try {
      build(py, args);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  TempProfile profile_;
};

TEST_F(ClusterOptionsTest, Defaults) {
  auto o = build("");
  EXPECT_FALSE(o.n.has_value());
  EXPECT_DOUBLE_EQ(o.delay, 1.0);
  EXPECT_EQ(o.engine_launcher_class.class_name, "LocalEngineSetLauncher");
  EXPECT_EQ(o.controller_launcher_class.class_name, "LocalControllerLauncher");
  EXPECT_TRUE(o.common.clean_logs);  // IPClusterStart.clean_logs defaults to True
  EXPECT_FALSE(o.daemonize);
  EXPECT_EQ(o.early_shutdown, 30);
  EXPECT_EQ(o.engine_timeout, 60);
  EXPECT_EQ(o.engine_launcher.engine_args, (std::vector<std::string>{"--log-level=20"}));
  EXPECT_DOUBLE_EQ(o.engine_launcher.delay, 0.1);
  EXPECT_FALSE(o.engine_launcher.engine_cmd.has_value());
  EXPECT_FALSE(build("", {"engines"}).common.clean_logs);
}

TEST_F(ClusterOptionsTest, CommandLine) {
  auto o = build("", {"start", "-n", "4", "--engines=mpi", "--controller=Local", "--ip=*", "--delay=0.5",
                      "--daemonize", "--", "--sqlitedb"});
  EXPECT_EQ(o.n, 4);
  EXPECT_EQ(o.engine_launcher_class.kind, LauncherKind::MPI);
  EXPECT_EQ(o.controller_launcher_class.kind, LauncherKind::Local);
  EXPECT_EQ(o.controller_ip, "*");
  EXPECT_DOUBLE_EQ(o.delay, 0.5);
  EXPECT_TRUE(o.daemonize);
  EXPECT_EQ(o.controller_args, (std::vector<std::string>{"--sqlitedb"}));
}

TEST_F(ClusterOptionsTest, ControllerArgsFromConfigAndCommandLine) {
  auto o = build("c.Cluster.controller_args = ['--reuse']\n", {"start", "--", "--nodb"});
  EXPECT_EQ(o.controller_args, (std::vector<std::string>{"--reuse", "--nodb"}));
}

TEST_F(ClusterOptionsTest, LauncherTraitsFollowInheritance) {
  auto o = build(
      "c.Cluster.engine_launcher_class = 'pbs'\nc.Cluster.controller_launcher_class = 'pbs'\n"
      "c.PBSLauncher.queue = 'veryshort.q'\n"
      "c.PBSEngineSetLauncher.batch_template_file = 'pbs.engine.template'\n"
      "c.PBSControllerLauncher.batch_template_file = 'pbs.controller.template'\n"
      "c.BatchSystemLauncher.namespace = {'walltime': '01:00:00'}\n"
      "c.PBSControllerLauncher.queue = 'ctl.q'\n");
  EXPECT_EQ(o.engine_launcher.queue, "veryshort.q");
  EXPECT_EQ(o.controller_launcher.queue, "ctl.q");
  EXPECT_EQ(o.engine_launcher.batch_template_file, "pbs.engine.template");
  EXPECT_EQ(o.controller_launcher.batch_template_file, "pbs.controller.template");
  EXPECT_EQ(o.engine_launcher.namespace_["walltime"], "01:00:00");
  EXPECT_EQ(o.engine_launcher.submit_command, (std::vector<std::string>{"qsub"}));
  EXPECT_EQ(o.engine_launcher.delete_command, (std::vector<std::string>{"qdel"}));
  EXPECT_EQ(o.engine_launcher.batch_file_name, "pbs_engines");
  EXPECT_EQ(o.controller_launcher.batch_file_name, "pbs_controller");
}

TEST_F(ClusterOptionsTest, SgeInheritsFromPbs) {
  auto o = build("c.Cluster.engine_launcher_class = 'sge'\nc.PBSLauncher.queue = 'q1'\n");
  EXPECT_EQ(o.engine_launcher.queue, "q1");
  EXPECT_EQ(o.engine_launcher.batch_file_name, "sge_engines");
}

TEST_F(ClusterOptionsTest, SlurmTraits) {
  auto o = build("c.Cluster.engine_launcher_class = 'slurm'\nc.SlurmLauncher.account = 'acct'\n"
                 "c.SlurmLauncher.qos = 'low'\nc.SlurmLauncher.timelimit = 30\n");
  EXPECT_EQ(o.engine_launcher.account, "acct");
  EXPECT_EQ(o.engine_launcher.qos, "low");
  EXPECT_EQ(o.engine_launcher.timelimit, "30");
  EXPECT_EQ(o.engine_launcher.submit_command, (std::vector<std::string>{"sbatch"}));
}

TEST_F(ClusterOptionsTest, MpiTraits) {
  auto o = build("c.Cluster.engine_launcher_class = 'MPIEngineSetLauncher'\n"
                 "c.MPILauncher.mpi_cmd = ['mpiexec', '--oversubscribe']\nc.MPIEngineSetLauncher.mpi_args = ['-x', 'A']\n");
  EXPECT_EQ(o.engine_launcher.mpi_cmd, (std::vector<std::string>{"mpiexec", "--oversubscribe"}));
  EXPECT_EQ(o.engine_launcher.mpi_args, (std::vector<std::string>{"-x", "A"}));
  EXPECT_EQ(o.notes.size(), 1u);  // bare class name is an old spelling
}

TEST_F(ClusterOptionsTest, SshEnginesEveryForm) {
  auto o = build(
      "c.Cluster.engine_launcher_class = 'ssh'\n"
      "c.SSHLauncher.user = 'deflt'\n"
      "c.SSHLauncher.to_send = []\n"
      "c.SSHEngineSetLauncher.engine_args = ['--profile-dir=/path/to/profile_ssh']\n"
      "c.SSHEngineSetLauncher.engines = {\n"
      "    'host1.example.com': 2,\n"
      "    'alice@host2.example.com:2222': 4,\n"
      "    'host3.example.com': (1, ['--profile-dir=/home/different/location']),\n"
      "    'host4': {'n': 3, 'engine_args': ['--debug'], 'engine_cmd': ['/venv/bin/python', '-m', 'ipyparallel.engine'],\n"
      "              'remote_python': '/opt/py/bin/python3'},\n"
      "}\n");
  ASSERT_EQ(o.ssh_engines.size(), 4u);
  const auto& h1 = o.ssh_engines[0];
  EXPECT_EQ(h1.key, "host1.example.com");
  EXPECT_EQ(h1.n, 2);
  EXPECT_EQ(h1.launcher.hostname, "host1.example.com");
  EXPECT_EQ(h1.launcher.user, "deflt");  // c.SSHLauncher.user applies to SSHEngineLauncher
  EXPECT_EQ(h1.launcher.location, "deflt@host1.example.com");
  EXPECT_EQ(h1.launcher.engine_args, (std::vector<std::string>{"--profile-dir=/path/to/profile_ssh"}));
  ASSERT_TRUE(h1.launcher.to_send.has_value());
  EXPECT_TRUE(h1.launcher.to_send->empty());
  const auto& h2 = o.ssh_engines[1];
  EXPECT_EQ(h2.host, "host2.example.com");
  EXPECT_EQ(h2.user, "alice");
  EXPECT_EQ(h2.port, 2222);
  EXPECT_EQ(h2.n, 4);
  EXPECT_EQ(h2.launcher.location, "alice@host2.example.com");
  const auto& h3 = o.ssh_engines[2];
  EXPECT_EQ(h3.n, 1);
  EXPECT_EQ(h3.launcher.engine_args, (std::vector<std::string>{"--profile-dir=/home/different/location"}));
  const auto& h4 = o.ssh_engines[3];
  EXPECT_EQ(h4.n, 3);
  EXPECT_EQ(h4.launcher.engine_args, (std::vector<std::string>{"--debug"}));
  EXPECT_EQ(h4.launcher.engine_cmd, (std::vector<std::string>{"/venv/bin/python", "-m", "ipyparallel.engine"}));
  EXPECT_EQ(h4.launcher.remote_python, "/opt/py/bin/python3");
  EXPECT_EQ(o.engine_launcher.poll_seconds, 60);
}

TEST_F(ClusterOptionsTest, SshEnginesKeepDictOrder) {
  auto o = build("c.Cluster.engine_launcher_class = 'ssh'\nc.SSHEngineSetLauncher.engines = {'zz': 1, 'aa': 2}\n");
  ASSERT_EQ(o.ssh_engines.size(), 2u);
  EXPECT_EQ(o.ssh_engines[0].key, "zz");
  EXPECT_EQ(o.ssh_engines[1].key, "aa");
}

TEST_F(ClusterOptionsTest, SshEngineBadEntriesAreErrors) {
  EXPECT_THAT(error_of("c.Cluster.engine_launcher_class = 'ssh'\nc.SSHEngineSetLauncher.engines = {'h': 'two'}\n"),
              HasSubstr(":2: SSHEngineSetLauncher.engines['h'] must be a number of engines"));
  EXPECT_THAT(error_of("c.Cluster.engine_launcher_class = 'ssh'\nc.SSHEngineSetLauncher.engines = {'h': {'n': 1, 'bogus': 1}}\n"),
              HasSubstr("'bogus' is not an SSHEngineLauncher setting"));
}

TEST_F(ClusterOptionsTest, SshControllerSettings) {
  auto o = build("c.Cluster.controller_launcher_class = 'ssh'\n"
                 "c.SSHControllerLauncher.hostname = 'controller.example.com'\n"
                 "c.SSHControllerLauncher.user = 'me'\n"
                 "c.SSHControllerLauncher.controller_args = ['--reuse', '--ip=*', '--profile-dir=/path/to/cd']\n"
                 "c.SSHLauncher.to_fetch = [('/remote/a', '/local/a')]\n");
  EXPECT_EQ(o.controller_launcher.hostname, "controller.example.com");
  EXPECT_EQ(o.controller_launcher.user, "me");
  EXPECT_EQ(o.controller_launcher.controller_args,
            (std::vector<std::string>{"--reuse", "--ip=*", "--profile-dir=/path/to/cd"}));
  ASSERT_TRUE(o.controller_launcher.to_fetch.has_value());
  EXPECT_EQ(o.controller_launcher.to_fetch->at(0), std::make_pair(std::string("/remote/a"), std::string("/local/a")));
  EXPECT_FALSE(o.controller_launcher.to_send.has_value());
}

TEST_F(ClusterOptionsTest, UnknownLauncherIsAnErrorWithLine) {
  EXPECT_THAT(error_of("\nc.Cluster.engine_launcher_class = 'Torque'\n"),
              HasSubstr("ipcluster_config.py:2: Cluster.engine_launcher_class = 'Torque': unknown launcher"));
  EXPECT_THAT(error_of("", {"start", "--engines=nope"}), HasSubstr("<command line>: Cluster.engine_launcher_class"));
}

TEST_F(ClusterOptionsTest, WindowsHpcIsNotImplemented) {
  EXPECT_EQ(build("c.Cluster.engine_launcher_class = 'winhpc'\n").not_implemented.size(), 1u);
}

TEST_F(ClusterOptionsTest, OtherSubcommands) {
  auto stop = build("", {"stop", "--all", "--signal=9"});
  EXPECT_TRUE(stop.stop_all);
  EXPECT_EQ(stop.stop_signal, 9);
  auto list = build("", {"list", "-o", "JSON"});
  EXPECT_EQ(list.output_format, "json");
  auto clean = build("", {"clean", "--force"});
  EXPECT_TRUE(clean.clean_force);
  auto nb = build("", {"nbextension", "enable", "--user"});
  EXPECT_EQ(nb.nbextension_action, "enable");
  EXPECT_TRUE(nb.nbextension_user);
}

}  // namespace
}  // namespace ipp::config

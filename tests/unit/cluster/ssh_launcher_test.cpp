// SPDX-License-Identifier: BSD-3-Clause
// The SSH launchers' pure parts: what ssh_args mean to the built-in client,
// the remote command line, remote paths, and the cluster-file fields.
#include "ipp/cluster/ssh_launcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/cluster/launcher_registry.hpp"
#include "ipp/util/error.hpp"
#include "unit/config/temp_dir.hpp"

namespace ipp::cluster {
namespace {

using config::LauncherClass;
using config::LauncherKind;
using config::LauncherRole;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

config::LauncherConfig ssh_config(const std::string& cls = "SSHControllerLauncher") {
  config::LauncherConfig c;
  c.launcher = {LauncherKind::SSH, cls == "SSHControllerLauncher" ? LauncherRole::Controller : LauncherRole::EngineSet,
                cls, false};
  return c;
}

TEST(SshTargetTest, HostnameUserAndKeyPort) {
  config::LauncherConfig c = ssh_config();
  c.hostname = "cl-1";
  c.user = "alice";
  c.port = 2222;
  SshTarget t = ssh_target(c);
  EXPECT_EQ(t.options.destination.to_string(), "alice@cl-1:2222");
  EXPECT_TRUE(t.ignored.empty());
}

TEST(SshTargetTest, LocationIsUserAtHost) {
  config::LauncherConfig c = ssh_config();
  c.location = "bob@head";
  EXPECT_EQ(ssh_target(c).options.destination.to_string(), "bob@head");
  c.hostname = "other";  // hostname wins, as 7.1 derives location from it
  EXPECT_EQ(ssh_target(c).options.destination.to_string(), "bob@other");
}

TEST(SshTargetTest, NoHostIsAnErrorNamingTheTrait) {
  try {
    ssh_target(ssh_config());
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("SSHControllerLauncher.hostname"));
  }
}

TEST(SshTargetTest, SshArgsTheClientHonours) {
  config::LauncherConfig c = ssh_config();
  c.hostname = "h";
  c.ssh_args = {"-p", "2200", "-i", "/k/id", "-l", "carol", "-F", "/c/config", "-o",
                "StrictHostKeyChecking=no", "-oUserKnownHostsFile=/kh", "-o", "ConnectTimeout 7", "-q",
                "-o", "BatchMode=yes"};
  SshTarget t = ssh_target(c);
  EXPECT_EQ(t.options.destination.to_string(), "carol@h:2200");
  EXPECT_EQ(t.options.identity_file, "/k/id");
  EXPECT_EQ(t.options.config_file, "/c/config");
  EXPECT_EQ(t.options.host_key_policy, ssh::HostKeyPolicy::NoCheck);
  EXPECT_EQ(t.options.known_hosts_file, "/kh");
  EXPECT_EQ(t.options.timeout, std::chrono::seconds(7));
  EXPECT_TRUE(t.ignored.empty());
}

TEST(SshTargetTest, UnknownArgsAreReportedNotApplied) {
  config::LauncherConfig c = ssh_config();
  c.hostname = "h";
  c.ssh_args = {"-J", "jump", "-o", "ProxyJump=x"};
  SshTarget t = ssh_target(c);
  EXPECT_THAT(t.ignored, ElementsAre("-J", "jump", "-o ProxyJump=x"));
}

TEST(SshTargetTest, ScpPortFlagAndKeyPortPrecedence) {
  config::LauncherConfig c = ssh_config();
  c.hostname = "h";
  c.scp_args = {"-P", "2201"};
  EXPECT_EQ(ssh_target(c).options.destination.port, 2201);
  c.ssh_args = {"-p", "2202"};
  EXPECT_EQ(ssh_target(c).options.destination.port, 2202);
  c.port = 2203;  // "h:2203" in the engines dict
  EXPECT_EQ(ssh_target(c).options.destination.port, 2203);
  c.ssh_args = {"-p", "nope"};
  EXPECT_THROW(ssh_target(c), Error);
}

TEST(NohupCommandTest, QuotesEveryWord) {
  std::string cmd = nohup_command({"/opt/ipengine", "--profile-dir", "my profile", "--cluster-id", ""},
                                  "log/ipengine-1.0000.out", {{"IPP_CLUSTER_ID", ""}, {"X", "a'b"}});
  EXPECT_EQ(cmd,
            "IPP_CLUSTER_ID='' X='a'\"'\"'b' nohup /opt/ipengine --profile-dir 'my profile' --cluster-id '' > "
            "log/ipengine-1.0000.out 2>&1 </dev/null & echo __remote_pid=$!__");
}

TEST(RemoteProfileDirTest, StripsHomeAsPythonDoes) {
  testing::ScopedEnv env;
  env.set("HOME", "/home/u");
  EXPECT_EQ(default_remote_profile_dir("/home/u/.ipython/profile_x"), ".ipython/profile_x");
  EXPECT_EQ(default_remote_profile_dir("/home/user2/.ipython/profile_x"), "/home/user2/.ipython/profile_x");
  EXPECT_EQ(default_remote_profile_dir("/scratch/profile_x"), "/scratch/profile_x");
  config::LauncherConfig c = ssh_config();
  EXPECT_EQ(remote_profile_dir(c, "/home/u/.ipython/profile_x"), ".ipython/profile_x");
  c.remote_profile_dir = "/shared/p";
  EXPECT_EQ(remote_profile_dir(c, "/home/u/.ipython/profile_x"), "/shared/p");
}

TEST(SshFieldsTest, SavedAsPythonAndReadBack) {
  config::LauncherConfig c = ssh_config("SSHEngineSetLauncher");
  c.hostname = "host2";
  c.user = "alice";
  c.port = 2222;
  c.ssh_args = {"-q"};
  c.remote_python = "/opt/py/bin/python3";
  json d;
  save_ssh_fields(c, ".ipython/profile_x", ".ipython/profile_x/log/ipengine-1.0000.out", d);
  EXPECT_EQ(d["ssh_cmd"], json({"ssh"}));
  EXPECT_EQ(d["ssh_args"], json({"-q", "-p", "2222"}));  // 7.1 appends the key's port
  EXPECT_EQ(d["scp_args"], json({"-P", "2222"}));
  EXPECT_EQ(d["hostname"], "host2");
  EXPECT_EQ(d["user"], "alice");
  EXPECT_EQ(d["remote_profile_dir"], ".ipython/profile_x");
  EXPECT_EQ(d["remote_output_file"], ".ipython/profile_x/log/ipengine-1.0000.out");
  EXPECT_EQ(d["remote_python"], "/opt/py/bin/python3");

  config::LauncherConfig back = ssh_config("SSHEngineSetLauncher");
  std::string rpd, out;
  restore_ssh_fields(back, d, &rpd, &out);
  EXPECT_EQ(rpd, ".ipython/profile_x");
  EXPECT_EQ(out, ".ipython/profile_x/log/ipengine-1.0000.out");
  EXPECT_EQ(ssh_target(back).options.destination.to_string(), "alice@host2:2222");
  json again;
  save_ssh_fields(back, rpd, out, again);
  EXPECT_EQ(again, d);  // a restored launcher writes the same state
}

TEST(SshLauncherRegistryTest, AllThreeClassesAreImplemented) {
  auto engines = [](const char* s) {
    return config::resolve_launcher_class(json(s), LauncherRole::EngineSet, "Cluster.engine_launcher_class");
  };
  EXPECT_TRUE(has_launcher(engines("ssh")));
  EXPECT_TRUE(has_launcher(engines("sshproxy")));
  EXPECT_TRUE(has_launcher(config::resolve_launcher_class(json("ssh"), LauncherRole::Controller, "c")));
}

TEST(SshLauncherStateTest, EngineSetRestoresFromPythonsDictWithoutConnecting) {
  // A cluster file written by Python 7.1's SSHEngineSetLauncher.
  json state = json::parse(R"({
    "cluster_id": "", "profile_dir": "/p", "state": "running", "n": 2, "pid": -1,
    "ssh_cmd": ["ssh"], "ssh_args": [], "scp_cmd": ["scp"], "scp_args": [], "hostname": "", "user": "",
    "remote_output_file": "", "remote_profile_dir": "p", "remote_python": "python3",
    "engines": {
      "cl-1/0": {"cluster_id": "", "profile_dir": "/p", "state": "running", "n": 1, "pid": 101,
                 "output_file": "/p/log/x.log", "ssh_cmd": ["ssh"], "ssh_args": ["-p", "2222"],
                 "scp_cmd": ["scp"], "scp_args": ["-P", "2222"], "hostname": "cl-1", "user": "bob",
                 "remote_output_file": "p/log/ipengine-1.0000.out", "remote_profile_dir": "p",
                 "remote_python": "python3"},
      "cl-2/0": {"cluster_id": "", "profile_dir": "/p", "state": "after", "n": 1, "pid": 102,
                 "hostname": "cl-2"}
    }})");
  LaunchContext ctx;
  ctx.config = ssh_config("SSHEngineSetLauncher");
  ctx.profile_dir = "/p";
  auto set = make_engine_set_launcher(std::move(ctx));
  set->from_dict(state);
  EXPECT_TRUE(set->running());
  EXPECT_EQ(set->n(), 1);  // the stopped one is dropped
  json d = set->to_dict();
  ASSERT_TRUE(d["engines"].contains("cl-1/0"));
  EXPECT_FALSE(d["engines"].contains("cl-2/0"));
  const json& e = d["engines"]["cl-1/0"];
  EXPECT_EQ(e["pid"], 101);
  EXPECT_EQ(e["hostname"], "cl-1");
  EXPECT_EQ(e["user"], "bob");
  EXPECT_EQ(e["ssh_args"], json({"-p", "2222"}));
  EXPECT_EQ(e["remote_output_file"], "p/log/ipengine-1.0000.out");
  EXPECT_THAT(set->hosts(), ElementsAre(std::pair<std::string, int>("bob@cl-1:2222", 1)));
}

}  // namespace
}  // namespace ipp::cluster

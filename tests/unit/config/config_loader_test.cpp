// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/config_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/config/cluster_options.hpp"
#include "ipp/config/controller_options.hpp"
#include "ipp/util/error.hpp"
#include "unit/config/config_test_util.hpp"

namespace ipp::config {
namespace {

using ::testing::HasSubstr;
using testing::has_diagnostic;
using testing::TempProfile;
using testing::write_file;
using K = Diagnostic::Kind;

class ConfigLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"IPP_CLUSTER_ID", "IPP_SESSION_KEY", "IPP_PROFILE_DIR", "IPP_ENABLE_CURVE"}) {
      env_.unset(name);
    }
  }
  ipp::testing::ScopedEnv env_;
  TempProfile profile_;
};

TEST_F(ConfigLoaderTest, JsonOverridesPyInTheSameDirectory) {
  profile_.write("ipcontroller_config.py", "c.IPController.ip = 'py'\nc.IPController.location = 'py'\n");
  profile_.write("ipcontroller_config.json", R"({"IPController": {"ip": "json"}})");
  auto loaded = profile_.load(Program::Controller);
  EXPECT_EQ(loaded.config.find("IPController", "ip")->value, "json");
  EXPECT_EQ(loaded.config.find("IPController", "location")->value, "py");
  ASSERT_EQ(loaded.files.size(), 2u);
  EXPECT_EQ(loaded.files[0].filename(), "ipcontroller_config.py");
}

TEST_F(ConfigLoaderTest, IpythonConfigHasTheLowestPriority) {
  profile_.write("ipython_config.py", "c.IPController.ip = 'ipython'\nc.IPController.ssh_server = 'login'\n");
  profile_.write("ipcontroller_config.py", "c.IPController.ip = 'app'\n");
  auto o = build_controller_options(profile_.load(Program::Controller));
  EXPECT_EQ(o.engine_ip, "app");
  EXPECT_EQ(o.ssh_server, "login");
}

TEST_F(ConfigLoaderTest, ExtraConfigFileBeatsProfileFilesAndCommandLineBeatsAll) {
  profile_.write("ipcontroller_config.py", "c.IPController.ip = 'py'\nc.IPController.location = 'py'\n"
                                           "c.IPController.ssh_server = 'py'\n");
  profile_.write("ipcontroller_config.json", R"({"IPController": {"ip": "json", "location": "json"}})");
  write_file(profile_.root() / "extra.py", "c.IPController.ip = 'extra'\n");
  auto loaded = profile_.load(Program::Controller,
                              {"--config=" + (profile_.root() / "extra.py").string(), "--location=cli"});
  auto o = build_controller_options(loaded);
  EXPECT_EQ(o.engine_ip, "extra");
  EXPECT_EQ(o.location, "cli");
  EXPECT_EQ(o.ssh_server, "py");
  EXPECT_EQ(loaded.files.back(), profile_.root() / "extra.py");
}

TEST_F(ConfigLoaderTest, RelativeExtraConfigIsSearchedInTheProfile) {
  profile_.write("more.py", "c.IPController.ip = 'more'\n");
  auto o = build_controller_options(profile_.load(Program::Controller, {"--config", "more.py"}));
  EXPECT_EQ(o.engine_ip, "more");
}

TEST_F(ConfigLoaderTest, MissingExtraConfigWarns) {
  auto loaded = profile_.load(Program::Controller, {"--config=/nonexistent/x.py"});
  EXPECT_TRUE(has_diagnostic(loaded.diagnostics, K::Note, "config file not found, skipping: /nonexistent/x.py"));
}

TEST_F(ConfigLoaderTest, SystemDirectoriesRankBelowTheProfile) {
  write_file(profile_.root() / "etc1" / "ipcontroller_config.py",
             "c.IPController.ip = 'etc1'\nc.IPController.ssh_server = 'etc1'\nc.IPController.location = 'etc1'\n");
  write_file(profile_.root() / "etc2" / "ipcontroller_config.py",
             "c.IPController.ip = 'etc2'\nc.IPController.ssh_server = 'etc2'\n");
  profile_.write("ipcontroller_config.py", "c.IPController.ip = 'profile'\n");
  LoaderOptions opts = profile_.options();
  opts.system_config_dirs = {profile_.root() / "etc1", profile_.root() / "etc2"};  // etc1 higher
  auto o = build_controller_options(load_config(Program::Controller, {}, opts));
  EXPECT_EQ(o.engine_ip, "profile");
  EXPECT_EQ(o.ssh_server, "etc1");
  EXPECT_EQ(o.location, "etc1");
}

TEST_F(ConfigLoaderTest, ConfigFileErrorIsAnErrorWithFileAndLine) {
  profile_.write("ipengine_config.py", "c.IPEngine.timeout = 3\nc.IPEngine.location = undefined_name\n");
  try {
    profile_.load(Program::Engine);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              profile_.file("ipengine_config.py").string() + ":2: NameError: name 'undefined_name' is not defined");
  }
}

TEST_F(ConfigLoaderTest, BadJsonIsAnErrorWithLine) {
  profile_.write("ipcluster_config.json", "{\n  \"Cluster\": {\n    \"n\": 4,\n  }\n}\n");
  try {
    profile_.load(Program::Cluster, {"start"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ipcluster_config.json:4: invalid JSON"));
  }
}

TEST_F(ConfigLoaderTest, EnvironmentBeatsFilesCommandLineBeatsEnvironment) {
  profile_.write("ipcontroller_config.py", "c.IPController.cluster_id = 'file'\nc.Session.key = b'filekey'\n");
  env_.set("IPP_CLUSTER_ID", "env");
  env_.set("IPP_SESSION_KEY", "envkey");
  auto o = build_controller_options(profile_.load(Program::Controller));
  EXPECT_EQ(o.common.cluster_id, "env");
  EXPECT_EQ(o.session.key, "envkey");
  auto p = build_controller_options(profile_.load(Program::Controller, {"--cluster-id=cli"}));
  EXPECT_EQ(p.common.cluster_id, "cli");
  EXPECT_EQ(p.client_json_file.filename(), "ipcontroller-cli-client.json");
}

TEST_F(ConfigLoaderTest, CommandLineListReplacesFileList) {
  profile_.write("ipcluster_config.py", "c.Cluster.controller_args = ['--from-file']\n");
  auto o = build_cluster_options(profile_.load(Program::Cluster, {"start", "--Cluster.controller_args=--cli"}));
  EXPECT_EQ(o.controller_args, (std::vector<std::string>{"--cli"}));
}

TEST_F(ConfigLoaderTest, LazyAppendAcrossFilesAndDefault) {
  profile_.write("ipython_config.py", "c.SSHLauncher.ssh_args.append('-q')\n");
  profile_.write("ipcluster_config.py",
                 "c.Cluster.engine_launcher_class = 'ssh'\nc.SSHLauncher.ssh_args.append('-A')\n"
                 "c.SSHEngineSetLauncher.engines = {'h': 1}\n");
  auto o = build_cluster_options(profile_.load(Program::Cluster, {"start"}));
  EXPECT_EQ(o.engine_launcher.ssh_args, (std::vector<std::string>{"-q", "-A"}));
}

TEST_F(ConfigLoaderTest, UnknownLinesWarnWithFileAndLine) {
  profile_.write("ipcontroller_config.py",
                 "c.IPController.ip = '*'\nc.IPController.reuse_file = True\nc.Foo.bar = 1\n"
                 "c.InteractiveShell.colors = 'Linux'\nc.TerminalIPythonApp.display_banner = False\n");
  auto loaded = profile_.load(Program::Controller);
  std::string path = profile_.file("ipcontroller_config.py").string();
  EXPECT_TRUE(has_diagnostic(loaded.diagnostics, K::Unknown,
                             path + ":2: unknown configuration 'IPController.reuse_file' (ignored); did you "
                                    "mean 'IPController.reuse_files'?"));
  EXPECT_TRUE(has_diagnostic(loaded.diagnostics, K::Unknown, path + ":3: unknown configuration 'Foo.bar' (ignored)"));
  EXPECT_EQ(testing::count_kind(loaded.diagnostics, K::Unknown), 2) << testing::all_text(loaded.diagnostics);
}

TEST_F(ConfigLoaderTest, SettingsOfAnotherProgramAreReported) {
  profile_.write("ipcontroller_config.py", "c.IPClusterEngines.engine_launcher_class = 'SSHEngineSetLauncher'\n");
  profile_.write("ipython_config.py", "c.IPEngine.timeout = 10\n");  // shared file: silent
  auto loaded = profile_.load(Program::Controller);
  EXPECT_TRUE(has_diagnostic(loaded.diagnostics, K::OtherProgram,
                             ":1: 'IPClusterEngines.engine_launcher_class' configures ipcluster, not "
                             "ipcontroller (ignored here; it belongs in ipcluster_config.py)"));
  EXPECT_EQ(testing::count_kind(loaded.diagnostics, K::OtherProgram), 1) << testing::all_text(loaded.diagnostics);
}

TEST_F(ConfigLoaderTest, UnknownCommandLineTraitWarns) {
  auto loaded = profile_.load(Program::Engine, {"--IPEngine.timout=3"});
  EXPECT_TRUE(has_diagnostic(loaded.diagnostics, K::Unknown,
                             "<command line>: unknown configuration 'IPEngine.timout' (ignored); did you "
                             "mean 'IPEngine.timeout'?"));
}

TEST_F(ConfigLoaderTest, HelpSkipsFiles) {
  profile_.write("ipcontroller_config.py", "raise RuntimeError('must not run')\n");
  auto loaded = profile_.load(Program::Controller, {"--help"});
  EXPECT_TRUE(loaded.wants_help_or_version());
  EXPECT_TRUE(loaded.files.empty());
}

TEST_F(ConfigLoaderTest, ClusterSubcommandIsTheFirstWord) {
  auto loaded = profile_.load(Program::Cluster, {"stop", "abc", "--signal=15"});
  EXPECT_EQ(loaded.subcommand, "stop");
  EXPECT_EQ(loaded.app_class, "IPClusterStop");
  auto o = build_cluster_options(loaded);
  EXPECT_EQ(o.cluster_ids, (std::vector<std::string>{"abc"}));
  EXPECT_EQ(o.stop_signal, 15);
  EXPECT_THROW(profile_.load(Program::Cluster, {"bogus"}), Error);
  auto none = profile_.load(Program::Cluster, {});
  EXPECT_TRUE(none.subcommand.empty());
  EXPECT_TRUE(none.files.empty());
}

TEST_F(ConfigLoaderTest, ProfileResolvedFromCommandLine) {
  ipp::testing::TempDir ipdir;
  env_.unset("IPYTHONDIR");
  write_file(ipdir / "profile_ssh" / "ipcontroller_config.py", "c.IPController.ip = 'from-ssh-profile'\n");
  LoaderOptions opts;
  opts.system_config_dirs = {};
  opts.python = testing::test_python();
  auto loaded = load_config(Program::Controller, {"--ipython-dir=" + ipdir.path().string(), "--profile=ssh"}, opts);
  EXPECT_EQ(loaded.profile.location, ipdir / "profile_ssh");
  EXPECT_EQ(build_controller_options(loaded).engine_ip, "from-ssh-profile");
  auto by_dir = load_config(Program::Controller, {"--profile-dir", (ipdir / "profile_ssh").string()}, opts);
  EXPECT_EQ(build_controller_options(by_dir).engine_ip, "from-ssh-profile");
}

}  // namespace
}  // namespace ipp::config
